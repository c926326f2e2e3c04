import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { ewmaVariance } from "../../../src/market/forecast/ewma_volatility.ts";
import { logReturns } from "../../../src/market/forecast/log_returns.ts";
import { assertClose } from "../prng.ts";

Deno.test("ewmaVariance: hand-computed RiskMetrics recursion with λ = 0.94", () => {
  const r = [0.01, -0.02, 0.005];
  // Seed: mean of squares = (1e-4 + 4e-4 + 0.25e-4)/3 = 1.75e-4.
  const s0 = 1.75e-4;
  const s1 = 0.94 * s0 + 0.06 * 1e-4; // 1.705e-4
  const s2 = 0.94 * s1 + 0.06 * 4e-4; // 1.8427e-4
  const s3 = 0.94 * s2 + 0.06 * 0.25e-4; // 1.747138e-4
  assertClose(s3, 1.747138e-4, "hand arithmetic");
  assertClose(ewmaVariance(r), 1.747138e-4, "σ² forecast");
});

Deno.test("ewmaVariance: λ = 0.5 and a single return", () => {
  assertClose(ewmaVariance([0.01, -0.02], 0.5), 0.0002875, "two returns");
  // One return: seed r², then λr² + (1 − λ)r² = r².
  assertClose(ewmaVariance([0.03], 0.8), 0.0009, "one return");
  assertEquals(ewmaVariance([]), null);
});

Deno.test("ewmaVariance: λ outside (0, 1) is refused", () => {
  for (const bad of [0, 1, -0.1, 1.5, NaN]) {
    throws(() => ewmaVariance([0.01], bad), RangeError);
  }
});

Deno.test("logReturns: consecutive closes", () => {
  const r = logReturns([100, 110, 99]);
  assertEquals(r.length, 2);
  assertClose(r[0], 0.09531017980432493, "ln 1.1");
  assertClose(r[1], -0.10536051565782628, "ln 0.9");
  assertEquals(logReturns([5]), []);
});
