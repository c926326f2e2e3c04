// The chart's overlays from a run of candle closes: EMA, Bollinger bands and RSI, with the
// pipeline's definitions and default periods (src/market/indicators/). Computed here over the
// candles drawn, so history loaded page by page and live bars get the same lines. Pure: tested
// against the technicalindicators package in tests/web/indicators_test.ts.

/**
 * Exponential moving average, seeded with the SMA of the first `period` values; null before.
 * @param {readonly number[]} xs
 * @param {number} period
 * @returns {(number|null)[]}
 */
export function ema(xs, period) {
  const out = new Array(xs.length).fill(null);
  if (xs.length < period) return out;
  const k = 2 / (period + 1);
  let value = xs.slice(0, period).reduce((a, b) => a + b, 0) / period;
  out[period - 1] = value;
  for (let i = period; i < xs.length; i++) {
    value = xs[i] * k + value * (1 - k);
    out[i] = value;
  }
  return out;
}

/**
 * Bollinger bands: SMA ± `mult` population standard deviations over `period` values.
 * @param {readonly number[]} xs
 * @param {number} period
 * @param {number} mult
 * @returns {{upper: number|null, middle: number|null, lower: number|null}[]}
 */
export function bollinger(xs, period, mult) {
  return xs.map((_, i) => {
    if (i + 1 < period) return { upper: null, middle: null, lower: null };
    const win = xs.slice(i + 1 - period, i + 1);
    const mean = win.reduce((a, b) => a + b, 0) / period;
    const sd = Math.sqrt(win.reduce((a, b) => a + (b - mean) ** 2, 0) / period);
    return { upper: mean + mult * sd, middle: mean, lower: mean - mult * sd };
  });
}

/**
 * Wilder's RSI over `period` changes; null until `period` changes are known.
 * @param {readonly number[]} xs
 * @param {number} period
 * @returns {(number|null)[]}
 */
export function rsi(xs, period) {
  const out = new Array(xs.length).fill(null);
  let gain = 0;
  let loss = 0;
  for (let i = 1; i < xs.length; i++) {
    const d = xs[i] - xs[i - 1];
    const g = Math.max(d, 0);
    const l = Math.max(-d, 0);
    if (i <= period) {
      gain += g / period;
      loss += l / period;
      if (i < period) continue;
    } else {
      gain = (gain * (period - 1) + g) / period;
      loss = (loss * (period - 1) + l) / period;
    }
    out[i] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  }
  return out;
}

/** The pipeline's default periods (src/market/indicator_engine.ts). */
export const PERIODS = { emaFast: 12, emaSlow: 26, rsi: 14, bollinger: 20, bollingerMult: 2 };
