/**
 * `source_divergence` after a Kafka takeover: a detector restored as a new owner restores it (the
 * previous owner's commit, computed by the real CommitTracker) and fed the replay from the restore
 * point decides every tick after the processed position as the uninterrupted detector did, and
 * re-raises nothing the uninterrupted one did not raise before it — whatever the batching.
 * @module
 */
import assert from "node:assert/strict";
import { AnomalyDetector } from "../../src/market/anomaly/anomaly_detector.ts";
import { DivergenceBuckets } from "../../src/market/anomaly/divergence_buckets.ts";
import type { Alert } from "../../src/market/alert.ts";
import type { Tick } from "../../src/market/tick.ts";
import { CommitTracker } from "../../src/pipeline/kafka/commit_tracker.ts";
import { mulberry32 } from "./prng.ts";

const LATENESS = 2_000;
const LATE_UPDATE = 60_000;
const LONGEST = 60_000; // intervals 1m only: the rule's look-back (310 s) sets the horizon
const T0 = Date.UTC(2026, 0, 1);

Deno.test("DivergenceBuckets: one alert per symbol and fixed cooldown bucket, a late tick not judged", () => {
  const b = new DivergenceBuckets(300_000, 10_000);
  assert.equal(b.lookbackMs, 310_000);
  assert.equal(b.allow("A", 0, T0 + 1), true);
  assert.equal(b.allow("A", 0, T0 + 299_999), false, "same bucket");
  assert.equal(b.allow("B", 0, T0 + 2), true, "another symbol");
  assert.equal(b.allow("A", 0, T0 + 300_000), true, "next bucket, 1 ms after a 299 999 ms gap");
  assert.equal(b.judges(T0, T0 + 1), false, "behind the watermark");
  assert.equal(b.judges(T0 + 1, T0 + 1), true);
  b.restore(T0 + 450_000);
  assert.deepEqual(
    [b.records(T0 + 289_999), b.records(T0 + 290_000), b.judges(T0 + 299_999, 0)],
    [false, true, false],
    "a restored owner records from its bucket's start less the comparison window, judges from it",
  );
});

interface Run {
  alerts: Map<number, Alert[]>;
}

// Ticks of three venues of one symbol: jittered, some out of order within the lateness, a few
// late beyond it, prices drifting apart now and then.
function ticks(seed: number, n: number): Tick[] {
  const rnd = mulberry32(seed);
  const out: Tick[] = [];
  let ts = T0;
  let price = 100;
  for (let i = 0; i < n; i++) {
    ts += 200 + Math.floor(rnd() * 1_800);
    price *= Math.exp((rnd() - 0.5) * 0.004);
    const v = Math.floor(rnd() * 3);
    const skew = rnd() < 0.03 ? 1.02 : 1;
    const r = rnd();
    const at = r < 0.05 ? ts - Math.floor(rnd() * LATENESS) : r < 0.07 ? ts - 30_000 : ts;
    out.push({
      source: ["a", "b", "c"][v],
      symbol: "BTC-USD",
      price: price * skew * (1 + v * 0.001),
      size: 1,
      ts: at,
      id: String(i),
    });
  }
  return out;
}

// Runs `from`..end through `d`, the watermark starting at `watermark` (max ts − lateness).
function run(d: AnomalyDetector, input: Tick[], from: number, watermark: number): Run {
  const alerts = new Map<number, Alert[]>();
  let w = watermark;
  for (let i = from; i < input.length; i++) {
    const t = input[i];
    w = Math.max(w, t.ts - LATENESS);
    const a = d.onTick(t, t.ts, w);
    if (a.length) alerts.set(i, [...a]);
  }
  return { alerts };
}

const detector = () => new AnomalyDetector({ rules: new Set(["source_divergence"]) });

Deno.test("source_divergence: a new owner restored from a commit decides as the uninterrupted run, at every cut and batching", () => {
  let compared = 0;
  for (const seed of [1, 2, 3]) {
    const input = ticks(seed, 4_000);
    const whole = run(detector(), input, 0, -Infinity);
    assert.ok(whole.alerts.size > 5, `seed ${seed}: the fixture raises alerts`);
    const rnd = mulberry32(seed * 7);
    for (let cut = 0; cut < 12; cut++) {
      // The previous owner's batches up to P, of random sizes, and the commit it made there.
      const tracker = new CommitTracker({
        allowedLatenessMs: LATENESS,
        lateUpdateWindowMs: LATE_UPDATE,
        longestIntervalMs: LONGEST,
        ruleLookbackMs: detector().tickLookbackMs,
      });
      const end = 500 + Math.floor(rnd() * 3_000);
      let first = 0;
      while (first < end) {
        const next = Math.min(end, first + 1 + Math.floor(rnd() * 200));
        tracker.add(first, next, Math.max(...input.slice(first, next).map((t) => t.ts)));
        first = next;
      }
      const point = tracker.commitPoint()!;
      const restored = detector();
      restored.restoreTicks(point.maxTs - LATENESS);
      const replay = run(restored, input, point.restore, point.maxTsBefore - LATENESS);
      for (const [i, a] of replay.alerts) {
        assert.deepEqual(
          a,
          whole.alerts.get(i),
          `seed ${seed} cut ${end}: tick ${i} (R ${point.restore})`,
        );
      }
      for (const [i, a] of whole.alerts) {
        if (i >= point.processed) {
          assert.deepEqual(replay.alerts.get(i), a, `seed ${seed} cut ${end}: tick ${i} after P`);
          compared++;
        }
      }
    }
  }
  assert.ok(compared > 100, `alerts after the processed position compared: ${compared}`);
});
