/**
 * The HTTP flood of the fault matrix, run as its own process so its sockets do not count against
 * the server's file-descriptor limit:
 *
 *   deno run --allow-net tests/faults/http_flood_client.ts PORT IDLE HALF
 *
 * Opens IDLE connections that send nothing and HALF connections that send a request head without
 * its end, then prints `{"opened","failed"}` as one JSON line. When stdin closes it prints
 * `{"closedByServer"}` (connections the server closed or refused meanwhile), closes the rest and
 * exits. Connections the client's own fd limit does not allow count as failed.
 * @module
 */
const [port, idle, half] = Deno.args.map(Number);
const encoder = new TextEncoder();
const partial = encoder.encode("GET /health HTTP/1.1\r\nHost: flood\r\nX-Never-Ends: ");
const conns: Deno.Conn[] = [];
const say = (o: unknown) => Deno.stdout.write(encoder.encode(JSON.stringify(o) + "\n"));
let failed = 0;
let closedByServer = 0;

async function open(sendPartial: boolean): Promise<void> {
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    if (sendPartial) await conn.write(partial);
  } catch {
    failed++;
    return;
  }
  conns.push(conn);
  void watch(conn);
}

async function watch(conn: Deno.Conn): Promise<void> {
  const sink = new Uint8Array(1024);
  try {
    while ((await conn.read(sink)) !== null) { /* a refusal's bytes */ }
    closedByServer++;
  } catch (err) {
    // Interrupted is our own close at the end; anything else is the server resetting.
    if (!(err instanceof Deno.errors.Interrupted) && !(err instanceof Deno.errors.BadResource)) {
      closedByServer++;
    }
  }
}

// A few connects in flight at a time: fast, without outrunning the server's listen backlog.
async function openMany(n: number, sendPartial: boolean): Promise<void> {
  const lanes = 16;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; i < n; i += lanes) await open(sendPartial);
    }),
  );
}

await openMany(idle, false);
await openMany(half, true);
await say({ opened: conns.length, failed });
for await (const _ of Deno.stdin.readable) { /* wait for stdin to close */ }
const closed = closedByServer;
for (const c of conns) {
  try {
    c.close();
  } catch {
    // Closed by the server already.
  }
}
await say({ closedByServer: closed });
