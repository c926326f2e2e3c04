/**
 * One `process` instance of the scale-out bench (bench/kafka_scale_out_bench.ts), in its own
 * process as in a deployment: `deno run -A bench/scale_out_instance.ts BOOTSTRAP GROUP CLIENT`.
 * Joins GROUP with no store, and once every partition it owns passed its end marker prints one
 * JSON line: its first record consumed and last tick processed (wall-clock ms, comparable across
 * processes), ticks seen, its CPU seconds between those two instants, and its RSS at the end. It
 * leaves the group only when its stdin closes: leaving earlier would hand its ended partitions to
 * the other members mid-run.
 * @module
 */
import process from "node:process";
import { startBenchProcessRole, watchFirstRecord } from "./process_role_start.ts";

const [bootstrap, group, client] = Deno.args;
const now = () => performance.timeOrigin + performance.now();
const pipeline = await startBenchProcessRole(bootstrap, group, client);
let cpu0 = process.cpuUsage();
const first = watchFirstRecord(pipeline, () => cpu0 = process.cpuUsage());
await pipeline.drained;
const last = now();
const cpu = process.cpuUsage(cpu0);
first.stop();
first.seconds(); // throws when no record was seen
// deno-lint-ignore no-console
console.log(JSON.stringify({
  first: performance.timeOrigin + first.at,
  last,
  ticks: pipeline.latest.tickCount,
  cpu_s: (cpu.user + cpu.system) / 1e6,
  rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
}));
for await (const _ of Deno.stdin.readable) { /* until the bench closes it */ }
await pipeline.stop();
Deno.exit(0);
