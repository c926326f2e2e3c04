import assert from "node:assert/strict";
import { TcpProxy } from "../helpers/tcp_proxy.ts";

/** An echo server on a free port. */
function echoServer(): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      conn.readable.pipeTo(conn.writable).catch(() => {}).finally(() => conns.delete(conn));
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close: () => {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed by pipeTo */ }
      }
    },
  };
}

async function roundTrip(conn: Deno.Conn, text: string): Promise<string> {
  await conn.write(new TextEncoder().encode(text));
  const buf = new Uint8Array(1024);
  let got = "";
  while (got.length < text.length) {
    const n = await conn.read(buf);
    if (n === null) throw new Error("connection closed");
    got += new TextDecoder().decode(buf.subarray(0, n));
  }
  return got;
}

Deno.test("TcpProxy forwards, cuts, refuses, stalls and restores connections", async () => {
  const echo = echoServer();
  const proxy = TcpProxy.start({ hostname: "127.0.0.1", port: echo.port });
  try {
    const a = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    assert.equal(await roundTrip(a, "hello"), "hello");

    proxy.cut();
    await assert.rejects(roundTrip(a, "lost"));
    a.close();
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: proxy.port }));

    proxy.restore();
    const b = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    assert.equal(await roundTrip(b, "again"), "again");

    proxy.stall();
    const pending = roundTrip(b, "held");
    let settled = false;
    pending.finally(() => (settled = true)).catch(() => {});
    await Promise.resolve();
    assert.equal(settled, false);
    proxy.restore();
    assert.equal(await pending, "held");
    b.close();
  } finally {
    await proxy.close();
    echo.close();
  }
});
