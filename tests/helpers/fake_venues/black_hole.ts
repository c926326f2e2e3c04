/**
 * A WebSocket peer that completes the opening handshake and then goes silent: it never sends a
 * frame nor answers the closing handshake, like a venue behind a dead network path.
 * @module
 */

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** A running black hole. */
export interface BlackHole {
  readonly url: string;
  /** Connections whose handshake completed. */
  readonly accepted: number;
  /** Answers pending closing handshakes, waits for the clients to hang up, and stops. */
  close(): Promise<void>;
}

/** Starts a black-hole WebSocket peer on 127.0.0.1. */
export function startBlackHole(): BlackHole {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: { conn: Deno.Conn; done: Promise<void> }[] = [];
  let accepted = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push({ conn, done: serve(conn).then(() => void accepted++) });
    }
  })();
  return {
    url: `ws://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`,
    get accepted() {
      return accepted;
    },
    close: async () => {
      listener.close();
      await accepting.catch(() => {});
      for (const { conn, done } of conns) {
        await done;
        // A close frame (FIN + opcode 8, empty) lets the client finish its closing handshake.
        await conn.write(new Uint8Array([0x88, 0x00])).catch(() => 0);
        await drain(conn);
        conn.close();
      }
    },
  };
}

async function serve(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(4096);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) return;
    head += new TextDecoder().decode(buf.subarray(0, n));
  }
  const key = head.match(/sec-websocket-key:\s*(\S+)/i)?.[1] ?? "";
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + GUID));
  const accept = btoa(String.fromCharCode(...new Uint8Array(digest)));
  await conn.write(new TextEncoder().encode(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  ));
}

async function drain(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(4096);
  try {
    while ((await conn.read(buf)) !== null) {
      // discard
    }
  } catch {
    // reset by the client
  }
}
