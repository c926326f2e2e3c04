/**
 * Starts a window worker, feeds it a few ticks and prints how many candles came out: run by a
 * test under exactly the launcher's permission flags for the Kafka `process` role.
 * @module
 */
import { Buffer } from "node:buffer";
import { WindowWorkerClient } from "../../actors/windows/window_worker_client.ts";
import { packRecords } from "../../src/connectors/kafka/packed_records.ts";
import { encodeTick } from "../../src/connectors/kafka/tick_codec.ts";
import { parseIntervals } from "../../src/market/interval.ts";

const T0 = 1_700_000_000_000;
const client = new WindowWorkerClient({
  intervals: parseIntervals("1m"),
  allowedLatenessMs: 0,
  lateUpdateWindowMs: 0,
  staleAfterMs: 60_000,
});
const records = Array.from(
  { length: 10 },
  (_, i) =>
    encodeTick({
      source: "p",
      symbol: "BTC-USD",
      price: 1 + i,
      size: 1,
      ts: T0 + i * 30_000,
      id: `${i}`,
    }),
);
await client.request({ op: "open", partition: 0, now: T0 });
await client.request({
  op: "records",
  partition: 0,
  now: T0,
  records: packRecords(records.map((r) => Buffer.from(r.value as string)), records.map(() => "p")),
});
const flushed = await client.request({ op: "flush", partition: 0, now: T0 });
await Deno.stdout.write(new TextEncoder().encode(`candles ${flushed.output.candles.length}\n`));
client.terminate();
