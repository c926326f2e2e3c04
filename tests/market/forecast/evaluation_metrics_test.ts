import { ok, strictEqual as assertEquals } from "node:assert/strict";
import {
  DirectionalAccuracy,
  qlike,
  ReturnErrors,
  RunningMean,
  wilsonInterval,
} from "../../../src/market/forecast/evaluation_metrics.ts";
import { assertClose } from "../prng.ts";

Deno.test("wilsonInterval: published values", () => {
  // 50/100: 0.5 ± 1.96/(1 + 1.96²/100)·√(0.0025 + 1.96²/40000) = [0.40383, 0.59617].
  const [lo, hi] = wilsonInterval(50, 100);
  ok(Math.abs(lo - 0.40383) < 1e-5 && Math.abs(hi - 0.59617) < 1e-5, `${lo} ${hi}`);
  // 0/10: [0, z²/(n + z²)] = [0, 0.27753].
  const [lo0, hi0] = wilsonInterval(0, 10);
  ok(Math.abs(lo0) < 1e-12 && Math.abs(hi0 - 3.8416 / 13.8416) < 1e-12, `${lo0} ${hi0}`);
  ok(wilsonInterval(0, 0).every(Number.isNaN));
});

Deno.test("ReturnErrors, DirectionalAccuracy, qlike, RunningMean: by hand", () => {
  const e = new ReturnErrors();
  e.add(0.01, 0.03); // error 0.02
  e.add(0, -0.01); // error −0.01
  assertClose(e.mae, 0.015, "MAE");
  assertClose(e.rmse, Math.sqrt((0.0004 + 0.0001) / 2), "RMSE");
  const d = new DirectionalAccuracy();
  d.add(0.1, 0.2);
  d.add(-0.1, 0.2);
  d.add(0, 0.3); // no direction: skipped
  d.add(0.1, 0); // no move: skipped
  d.add(-1, -2);
  assertEquals(d.n, 3);
  assertClose(d.accuracy, 2 / 3, "accuracy");
  assertClose(qlike(2, 1), Math.log(2) + 0.5, "QLIKE");
  const m = new RunningMean();
  for (const x of [1, 2, 3, 4]) m.add(x);
  assertClose(m.mean, 2.5, "mean");
  assertClose(m.sd, Math.sqrt(5 / 3), "sd");
});
