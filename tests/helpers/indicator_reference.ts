/**
 * Indicators computed independently of src/market/indicators: technicalindicators for SMA, EMA
 * and Bollinger bands, and by the book for RSI (technicalindicators rounds it to 2 decimals) and
 * volatility (technicalindicators has no σ of log returns). Used to check the pipeline's stored
 * indicator rows.
 * @module
 */
import ti from "technicalindicators";

/** Wilder's RSI by hand: first averages simple over n changes, then (prev·(n−1) + x)/n. */
export function rsiByHand(c: readonly number[], n: number): (number | null)[] {
  const out: (number | null)[] = c.map(() => null);
  let g = 0;
  let l = 0;
  for (let i = 1; i <= n && i < c.length; i++) {
    g += Math.max(c[i] - c[i - 1], 0);
    l += Math.max(c[i - 1] - c[i], 0);
  }
  g /= n;
  l /= n;
  for (let i = n; i < c.length; i++) {
    if (i > n) {
      g = (g * (n - 1) + Math.max(c[i] - c[i - 1], 0)) / n;
      l = (l * (n - 1) + Math.max(c[i - 1] - c[i], 0)) / n;
    }
    out[i] = l === 0 ? 100 : 100 - 100 / (1 + g / l);
  }
  return out;
}

/** The sample σ of the n log returns ending at each close, by hand; null for the first n. */
export function volatilityByHand(c: readonly number[], n: number): (number | null)[] {
  return c.map((_, i) => {
    if (i < n) return null;
    const r: number[] = [];
    for (let k = i - n + 1; k <= i; k++) r.push(Math.log(c[k]) - Math.log(c[k - 1]));
    const mean = r.reduce((a, b) => a + b, 0) / n;
    return Math.sqrt(r.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1));
  });
}

// technicalindicators returns only the warmed-up values: pad the front with nulls to align.
function padded(ref: number[], total: number): (number | null)[] {
  return [...Array(total - ref.length).fill(null), ...ref];
}

/** One indicator row's values, as the stores keep them. */
export interface ReferenceValues {
  sma: number | null;
  ema_fast: number | null;
  ema_slow: number | null;
  rsi: number | null;
  bb_upper: number | null;
  bb_middle: number | null;
  bb_lower: number | null;
  volatility: number | null;
}

/** Every indicator at each close, with the pipeline's default periods (SMA 20, EMA 12/26, …). */
export function referenceIndicators(closes: readonly number[]): ReferenceValues[] {
  const values = [...closes];
  const n = values.length;
  const sma = padded(ti.SMA.calculate({ period: 20, values }), n);
  const fast = padded(ti.EMA.calculate({ period: 12, values }), n);
  const slow = padded(ti.EMA.calculate({ period: 26, values }), n);
  const bands = ti.BollingerBands.calculate({ period: 20, stdDev: 2, values });
  const upper = padded(bands.map((b) => b.upper), n);
  const middle = padded(bands.map((b) => b.middle), n);
  const lower = padded(bands.map((b) => b.lower), n);
  const rsi = rsiByHand(values, 14);
  const vol = volatilityByHand(values, 20);
  return values.map((_, i) => ({
    sma: sma[i],
    ema_fast: fast[i],
    ema_slow: slow[i],
    rsi: rsi[i],
    bb_upper: upper[i],
    bb_middle: middle[i],
    bb_lower: lower[i],
    volatility: vol[i],
  }));
}
