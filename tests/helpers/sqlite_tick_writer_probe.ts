/**
 * Opens the SQLite store at the path given as its argument with the tick writer thread, writes a
 * few ticks through it and prints how many rows the file holds: run by a test under exactly the
 * launcher's permission flags.
 * @module
 */
import { SqliteStore } from "../../src/connectors/sqlite/sqlite_store.ts";

const store = new SqliteStore({ path: Deno.args[0], tickThread: true });
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
await Deno.stdout.write(new TextEncoder().encode(`ticks ${n}\n`));
