import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import {
  fitGarch,
  garchForecast,
  garchLogLikelihood,
  garchVariances,
} from "../../../src/market/forecast/garch.ts";
import { nelderMead } from "../../../src/market/forecast/nelder_mead.ts";
import { assertClose, mulberry32 } from "../prng.ts";

const P = { omega: 0.1, alpha: 0.2, beta: 0.7 };

Deno.test("garchVariances: the recursion against hand-computed values", () => {
  const r = [1, -2, 0.5];
  // σ²₁ = mean r² = (1 + 4 + 0.25)/3 = 1.75
  // σ²₂ = 0.1 + 0.2·1 + 0.7·1.75 = 1.525
  // σ²₃ = 0.1 + 0.2·4 + 0.7·1.525 = 1.9675
  // σ²₄ = 0.1 + 0.2·0.25 + 0.7·1.9675 = 1.52725
  const h = garchVariances(r, P);
  [1.75, 1.525, 1.9675, 1.52725].forEach((v, i) => assertClose(h[i], v, `σ²${i + 1}`));
  assertClose(garchForecast(r, P), 1.52725, "forecast");
  assertEquals(garchForecast([], P), null);
});

Deno.test("garchLogLikelihood: hand-computed", () => {
  const r = [1, -2, 0.5];
  const expected = -0.5 * (Math.log(1.75) + 1 / 1.75) - 0.5 * (Math.log(1.525) + 4 / 1.525) -
    0.5 * (Math.log(1.9675) + 0.25 / 1.9675);
  assertClose(garchLogLikelihood(r, P), expected, "log-likelihood");
});

Deno.test("nelderMead: finds the Rosenbrock minimum from a fixed start", () => {
  const m = nelderMead(([x, y]) => 100 * (y - x * x) ** 2 + (1 - x) ** 2, [-1.2, 1], {
    maxIterations: 2000,
    tolerance: 1e-14,
  });
  ok(m.converged);
  ok(Math.abs(m.x[0] - 1) < 1e-3 && Math.abs(m.x[1] - 1) < 1e-3, `at ${m.x}`);
});

/** n returns of a GARCH(1,1) with standard normal shocks (Box–Muller), after a burn-in. */
function simulate(p: typeof P, n: number, seed: number): number[] {
  const u = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  let h = p.omega / (1 - p.alpha - p.beta);
  const out: number[] = [];
  for (let t = 0; t < n + 500; t++) {
    const r = Math.sqrt(h) * normal();
    if (t >= 500) out.push(r);
    h = p.omega + p.alpha * r * r + p.beta * h;
  }
  return out;
}

// Tolerance: with 4 000 returns the asymptotic standard errors of α̂ and β̂ are about 0.015 and
// 0.03 for this parameter set; the bounds below are about 2.5 of them.
Deno.test("fitGarch: recovers a known parameter set from simulated GARCH data (seeded)", () => {
  const truth = { omega: 2e-6, alpha: 0.1, beta: 0.85 };
  for (
    const [seed, method] of [[1, "targeting"], [2, "targeting"], [3, "full"], [1, "full"]] as const
  ) {
    const fit = fitGarch(simulate(truth, 4000, seed), { method });
    if (!fit.ok) throw new Error(`seed ${seed}: fit failed (${fit.reason})`);
    const { omega, alpha, beta } = fit.params;
    const what = `seed ${seed}: ω ${omega}, α ${alpha}, β ${beta}`;
    ok(Math.abs(alpha - 0.1) < 0.04, what);
    ok(Math.abs(beta - 0.85) < 0.08, what);
    // The unconditional variance ω/(1 − α − β) = 4e-5 within 25 %.
    ok(Math.abs(omega / (1 - alpha - beta) / 4e-5 - 1) < 0.25, what);
    ok(fit.converged, `${what}: not converged`);
  }
});

Deno.test("fitGarch: the fit's likelihood is at least the truth's", () => {
  const truth = { omega: 2e-6, alpha: 0.1, beta: 0.85 };
  const r = simulate(truth, 2000, 7);
  const fit = fitGarch(r);
  if (!fit.ok) throw new Error(fit.reason);
  ok(fit.logLikelihood >= garchLogLikelihood(r, truth) - 1e-9);
  assertClose(fit.logLikelihood, garchLogLikelihood(r, fit.params), "reported log-likelihood");
});

Deno.test("fitGarch: data without clustering gives the constant-variance model, not a failure", () => {
  const u = mulberry32(8);
  const r = Array.from({ length: 500 }, () => (u() - 0.5) * 0.002);
  const ms = r.reduce((s, x) => s + x * x, 0) / r.length;
  for (const method of ["targeting", "full"] as const) {
    const fit = fitGarch(r, { method });
    if (!fit.ok) throw new Error(`${method}: ${fit.reason}`);
    assertEquals([fit.params.alpha, fit.params.beta], [0, 0], method);
    assertClose(fit.params.omega / ms, 1, `${method}: ω is the mean square`);
  }
});

Deno.test("fitGarch: failures are reported, not thrown", () => {
  assertEquals(fitGarch([0.01, 0.02]), { ok: false, reason: "too_few" });
  assertEquals(fitGarch(new Array(200).fill(0)), { ok: false, reason: "flat" });
  // Integrated data: a random walk in variance pushes α + β to the edge.
  const u = mulberry32(5);
  const ramp = Array.from({ length: 400 }, (_, i) => (u() - 0.5) * Math.exp(i / 40));
  const fit = fitGarch(ramp);
  ok(!fit.ok && fit.reason === "not_stationary", JSON.stringify(fit));
});
