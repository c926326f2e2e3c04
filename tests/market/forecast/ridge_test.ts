import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { ridgeFit } from "../../../src/market/forecast/ridge.ts";
import { ridgeForecast } from "../../../src/market/forecast/ridge_forecast.ts";
import { featureMatrix, featureRow } from "../../../src/market/forecast/features.ts";
import { normalCdf } from "../../../src/market/forecast/normal_cdf.ts";
import type { WindowCandle } from "../../../src/market/forecast/window_candle.ts";
import { assertClose, mulberry32 } from "../prng.ts";

/** Solves Ax = b by Gaussian elimination with partial pivoting (the test's own solver). */
function gaussSolve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

/** The closed form (AᵀA + λD)⁻¹Aᵀy, A = [1 X], D = diag(0, 1, …, 1), built entry by entry. */
function normalEquations(x: number[][], y: number[], lambda: number): number[] {
  const a = x.map((row) => [1, ...row]);
  const p = a[0].length;
  const ata = Array.from(
    { length: p },
    (_, i) =>
      Array.from(
        { length: p },
        (_, j) => a.reduce((s, r) => s + r[i] * r[j], 0) + (i === j && i > 0 ? lambda : 0),
      ),
  );
  const aty = Array.from({ length: p }, (_, i) => a.reduce((s, r, k) => s + r[i] * y[k], 0));
  return gaussSolve(ata, aty);
}

Deno.test("ridgeFit: equals the closed-form normal equations (1e-9), seeded data", () => {
  const u = mulberry32(11);
  for (const [n, p, lambda] of [[50, 3, 0.5], [200, 8, 20], [12, 5, 1e-3], [30, 2, 0]]) {
    const x = Array.from({ length: n }, () => Array.from({ length: p }, () => u() * 4 - 2));
    const y = x.map((row) => 0.3 + row.reduce((s, v, j) => s + (j + 1) * 0.1 * v, 0) + u() - 0.5);
    const fit = ridgeFit(x, y, lambda)!;
    const expected = normalEquations(x, y, lambda);
    assertClose(fit.intercept, expected[0], `n ${n} intercept`);
    fit.coefficients.forEach((c, j) => assertClose(c, expected[j + 1], `n ${n} β${j + 1}`));
  }
});

Deno.test("ridgeFit: λ shrinks the slopes, not the intercept; bad input gives null", () => {
  const x = [[0], [1], [2], [3]];
  const y = [1, 3, 5, 7];
  assertClose(ridgeFit(x, y, 0)!.coefficients[0], 2, "least squares");
  // Centred x has Σx̃² = 5, so the slope is Σx̃ỹ/(Σx̃² + λ) = 10/(5 + 5) = 1 at λ = 5.
  assertClose(ridgeFit(x, y, 5)!.coefficients[0], 1, "λ = 5");
  assertClose(ridgeFit(x, y, 5)!.intercept, 4 - 1 * 1.5, "intercept through the means");
  assertEquals(ridgeFit([], [], 1), null);
  assertEquals(ridgeFit([[NaN]], [1], 1), null);
});

Deno.test("normalCdf: known values within 1.2e-7", () => {
  for (
    const [z, p] of [[0, 0.5], [1, 0.8413447460685429], [-1.96, 0.024997895148220435], [
      3,
      0.9986501019683699,
    ]]
  ) {
    ok(Math.abs(normalCdf(z) - p) < 1.2e-7, `Φ(${z})`);
  }
});

function candles(n: number, seed: number): WindowCandle[] {
  const u = mulberry32(seed);
  let close = 100;
  return Array.from({ length: n }, (_, i) => {
    close *= Math.exp((u() - 0.5) * 0.01);
    return {
      window_start: i * 60_000,
      high: close * 1.001,
      low: close * 0.999,
      close,
      volume: 1 + u(),
      version: 1,
    };
  });
}

Deno.test("featureMatrix: lagged returns, %b and volume z-score by hand", () => {
  const c = candles(40, 3);
  const { names, rows } = featureMatrix(c);
  assertEquals(names, [
    "return_lag0",
    "return_lag1",
    "return_lag2",
    "rsi",
    "bollinger_b",
    "ema_spread",
    "volume_z",
  ]);
  assertEquals(rows[24], null); // EMA(26) warms up at index 25
  const t = 30;
  const row = rows[t]!;
  assertClose(row[0], Math.log(c[30].close / c[29].close), "r_t");
  assertClose(row[2], Math.log(c[28].close / c[27].close), "r_{t−2}");
  const last20 = c.slice(11, 31).map((x) => x.close);
  const mid = last20.reduce((a, b) => a + b) / 20;
  const sd = Math.sqrt(last20.reduce((a, b) => a + (b - mid) ** 2, 0) / 20);
  assertClose(row[4], (c[30].close - (mid - 2 * sd)) / (4 * sd) - 0.5, "%b − ½");
  const v = c.slice(10, 30).map((x) => x.volume);
  const vm = v.reduce((a, b) => a + b) / 20;
  const vs = Math.sqrt(v.reduce((a, b) => a + (b - vm) ** 2, 0) / 19);
  assertClose(row[6], (c[30].volume - vm) / vs, "volume z");
  const withCross = featureMatrix(c.map((x, i) => ({ ...x, cross_spread: i * 1e-4 })));
  assertEquals(withCross.names.at(-1), "cross_spread");
  assertClose(withCross.rows[t]!.at(-1)!, 30e-4, "cross spread");
});

Deno.test("ridgeForecast: the fit on standardised features equals the normal equations", () => {
  const c = candles(300, 9);
  const f = ridgeForecast(c)!;
  const { rows } = featureMatrix(c);
  const x: number[][] = [];
  const y: number[] = [];
  for (let t = 0; t < c.length - 1; t++) {
    if (rows[t] === null) continue;
    x.push([...rows[t]!]);
    y.push(Math.log(c[t + 1].close / c[t].close));
  }
  assertEquals(f.rows, x.length);
  const p = x[0].length;
  const mean = Array.from({ length: p }, (_, j) => x.reduce((s, r) => s + r[j], 0) / x.length);
  const sd = Array.from(
    { length: p },
    (_, j) => Math.sqrt(x.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / x.length),
  );
  const z = (r: readonly number[]) => r.map((v, j) => (v - mean[j]) / sd[j]);
  const beta = normalEquations(x.map(z), y, 0.1 * x.length);
  const predict = (r: readonly number[]) => z(r).reduce((s, v, j) => s + v * beta[j + 1], beta[0]);
  // Relative 1e-9: returns are ~1e-4, where assertClose's absolute floor would be lax.
  // The prediction's features come from the last 128 candles (PREDICT_TAIL).
  const expected = predict(featureMatrix(c.slice(-128)).rows.at(-1)!);
  ok(Math.abs(predict(rows[c.length - 1]!) - expected) > 0, "the tail matters: the test can tell");
  ok(Math.abs(f.predictedReturn - expected) <= 1e-9 * Math.abs(expected), `${f.predictedReturn}`);
  const rss = x.reduce((s, r, i) => s + (y[i] - predict(r)) ** 2, 0);
  assertClose(f.residualSd, Math.sqrt(rss / (x.length - p - 1)), "residual σ");
  ok(Math.abs(f.probUp - normalCdf(f.predictedReturn / f.residualSd)) < 1e-12);
  assertEquals(ridgeForecast(c.slice(0, 30)), null); // too few training rows
});

Deno.test("featureRow: the last row of featureMatrix, number for number", () => {
  for (const seed of [1, 2, 3]) {
    const c = candles(130, seed).map((x, i) => ({ ...x, cross_spread: (i % 7) * 1e-4 }));
    for (const n of [26, 27, 60, 130]) {
      const w = c.slice(0, n);
      for (const cross of [false, true]) {
        assertEquals(featureRow(w, {}, cross), featureMatrix(w, {}, { cross }).rows.at(-1));
      }
    }
    const settings = { lags: 1, rsi: 5, emaFast: 3, emaSlow: 8, volumeLookback: 4 };
    assertEquals(
      featureRow(c, settings, false),
      featureMatrix(c, settings, { cross: false }).rows.at(-1),
    );
  }
  assertEquals(featureRow(candles(20, 1), {}, false), null); // warming up
});
