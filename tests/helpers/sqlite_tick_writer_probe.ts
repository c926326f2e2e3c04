/**
 * Opens the SQLite store at the path given as its first argument with its thread and prints what
 * the thread did, run by a test under exactly the launcher's permission flags. Default: writes a
 * few raw ticks through the thread and prints how many rows the file holds. With `checkpoint` as
 * the second argument (raw ticks off): asks the thread for a WAL checkpoint and prints whether it
 * ran.
 * @module
 */
import { SqliteStore } from "../../src/connectors/sqlite/sqlite_store.ts";
import { SqliteTickWriter } from "../../src/connectors/sqlite/sqlite_tick_writer.ts";

const [path, mode] = Deno.args;
const out = (text: string) => Deno.stdout.write(new TextEncoder().encode(`${text}\n`));
if (mode === "checkpoint") {
  const store = new SqliteStore({ path, checkpointThread: true });
  await store.migrate();
  // The store asks only every few thousand rows; the thread's own client asks at once.
  const thread = new SqliteTickWriter(path);
  try {
    await thread.checkpoint();
    await out("checkpoint done");
  } finally {
    await thread.close();
    await store.close();
  }
} else {
  const store = new SqliteStore({ path, tickThread: true });
  await store.migrate();
  await store.writeTicks(
    [1, 2, 3].map((i) => ({
      source: "sim",
      symbol: "BTC-USD",
      id: String(i),
      price: i,
      size: 1,
      ts: i,
    })),
  );
  const { n } = store.db.prepare("SELECT count(*) AS n FROM ticks").get() as { n: number };
  await store.close();
  await out(`ticks ${n}`);
}
