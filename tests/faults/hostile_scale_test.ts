/**
 * Fault matrix: input that grows state and metrics. 100 000 distinct symbols from 60 000 distinct
 * sources in one replay must neither crash the process nor grow its state or its `/metrics`
 * without bound: symbols beyond `--max-symbols` are dead letters (`symbol_limit`), label values
 * beyond the budget are counted under `other`, and every line is accounted for.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { MAX_SOURCE_LABELS } from "../../src/telemetry/label_budget.ts";
import { runToEnd, writeReplayFile } from "../helpers/test_pipeline.ts";

const LINES = 100_000;
const SOURCES = 60_000;
const MAX_SYMBOLS = 3000;
const PARTITIONS = 6;

/** A distinct symbol per index: letters only, as symbols are `BASE-QUOTE` of [A-Z0-9]. */
function symbolOf(i: number): string {
  let s = "";
  let k = i;
  do {
    s += String.fromCharCode(65 + (k % 26));
    k = Math.floor(k / 26);
  } while (k > 0);
  return `${s}X-USD`;
}

Deno.test({
  name: "100k symbols from 60k sources: bounded state (symbol_limit dead letters), bounded " +
    "metric series, every line accounted for",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "hostile_scale_" });
    try {
      const t0 = Date.UTC(2026, 0, 1);
      const lines = Array.from({ length: LINES }, (_, i) =>
        JSON.stringify({
          source: `src${i % SOURCES}`,
          symbol: symbolOf(i),
          price: "100.5",
          size: "1",
          ts: t0 + i * 10,
          id: String(i),
        }));
      const file = await writeReplayFile(`${dir}/t.ndjson`, lines);
      let metrics = "";
      const pipeline = await runToEnd([
        "--source=replay",
        `--replay-file=${file}`,
        `--sqlite=${dir}/db.sqlite`,
        "--http=off",
        `--partitions=${PARTITIONS}`,
        `--max-symbols=${MAX_SYMBOLS}`,
      ], { beforeStop: async (p) => (metrics = await p.registry.metrics()) });
      assert.ok((await pipeline.terminated).ok);
      assert.equal(pipeline.givenUp.total, 0, "nothing given up");

      const db = new DatabaseSync(`${dir}/db.sqlite`, { readOnly: true });
      const one = (sql: string) => Number(db.prepare(sql).get()!.n);
      const ticks = one("SELECT count(*) AS n FROM ticks");
      const limited = one("SELECT count(*) AS n FROM dead_letters WHERE reason = 'symbol_limit'");
      const symbols = one("SELECT count(DISTINCT symbol) AS n FROM candles");
      db.close();
      assert.equal(ticks + limited, LINES, "every line is a stored tick or a dead letter");
      const perPartition = Math.ceil(MAX_SYMBOLS / PARTITIONS);
      assert.ok(symbols <= perPartition * PARTITIONS, `${symbols} symbols hold state`);
      assert.ok(symbols >= MAX_SYMBOLS * 0.9, `the limit is used (${symbols} symbols)`);

      const series = (name: string) =>
        metrics.split("\n").filter((l) => l.startsWith(`${name}{`)).length;
      assert.ok(
        series("pipeline_ticks_total") <= MAX_SOURCE_LABELS + 1,
        `pipeline_ticks_total has ${series("pipeline_ticks_total")} series`,
      );
      assert.ok(series("pipeline_last_price") <= MAX_SOURCE_LABELS);
      assert.match(metrics, /pipeline_ticks_total\{source="other",symbol="other"\} \d+/);
      assert.match(metrics, /pipeline_dead_letters_total\{reason="symbol_limit"\} 97\d\d\d/);
      assert.ok(metrics.length < 1_000_000, `/metrics is ${metrics.length} bytes`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
