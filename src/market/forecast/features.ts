/**
 * Regression features per candle, from the candles of a window only.
 * @module
 */
import { bollingerAt } from "../indicators/bollinger.ts";
import { ema, emaLast } from "../indicators/ema.ts";
import { rsi, rsiLast } from "../indicators/rsi.ts";
import type { WindowCandle } from "./window_candle.ts";
import { logReturn } from "./log_returns.ts";

/** Feature periods; defaults follow the indicator engine's. */
export interface FeatureSettings {
  /** Lagged log returns rₜ, rₜ₋₁, …. Default 3. */
  lags?: number;
  /** RSI period. Default 14. */
  rsi?: number;
  /** Bollinger period and multiplier. Default 20 and 2. */
  bollingerPeriod?: number;
  bollingerMultiplier?: number;
  /** EMA spread periods. Default 12 and 26. */
  emaFast?: number;
  emaSlow?: number;
  /** Volume z-score lookback. Default 20. */
  volumeLookback?: number;
}

/** Feature rows of a window: `rows[t]` is null while a feature is still warming up at t. */
export interface FeatureMatrix {
  readonly names: readonly string[];
  readonly rows: readonly (readonly number[] | null)[];
}

/**
 * Per candle t (using candles 0…t of the window only, so the result is a function of the
 * window): the last `lags` log returns; (RSI − 50)/50; Bollinger %b − ½ (0 when the bands have
 * no width); (EMA fast − EMA slow)/close; the volume z-score against the `volumeLookback`
 * candles before t (0 when their σ is 0, as with feeds without sizes); and `cross_spread` when
 * every candle of the window has one (or as `only.cross` says). Recursive indicators start at the
 * window's first candle. `only.from` leaves rows before it null (and skips their work).
 *
 * @example
 * ```ts
 * import { featureMatrix } from "./features.ts";
 * const c = (close: number, i: number) => ({ window_start: i, high: close, low: close, close, volume: 1, version: 1 });
 * featureMatrix([1, 2, 3].map(c)).rows; // [null, null, null]: too short to warm up
 * ```
 */
export function featureMatrix(
  candles: readonly WindowCandle[],
  settings: FeatureSettings = {},
  only: { from?: number; cross?: boolean } = {},
): FeatureMatrix {
  const s = resolve(settings);
  const from = only.from ?? 0;
  const closes = candles.map((c) => c.close);
  const rsiValues = rsi(closes, s.rsi);
  const fast = ema(closes, s.emaFast);
  const slow = ema(closes, s.emaSlow);
  const cross = only.cross ??
    (candles.length > 0 && candles.every((c) => typeof c.cross_spread === "number"));
  const names = [
    ...Array.from({ length: s.lags }, (_, k) => `return_lag${k}`),
    "rsi",
    "bollinger_b",
    "ema_spread",
    "volume_z",
    ...(cross ? ["cross_spread"] : []),
  ];
  const warm = warmUp(s);
  const rows = candles.map((c, t) => {
    if (t < warm || t < from) return null;
    if (cross && typeof c.cross_spread !== "number") return null;
    return buildRow(candles, closes, t, s, cross, [rsiValues[t]!, fast[t]!, slow[t]!]);
  });
  return { names, rows };
}

/**
 * The last candle's row of {@linkcode featureMatrix} with the same arithmetic (so the same
 * numbers), without the rows before it: the per-candle path of a prediction. Null while warming
 * up, or when `cross` asks for a cross spread the candle lacks. `closes`: the candles' closes,
 * when the caller holds them already (candle_columns.ts), instead of a copy.
 *
 * @example
 * ```ts
 * import { featureRow } from "./features.ts";
 * featureRow([], {}, false); // null
 * ```
 */
export function featureRow(
  candles: readonly WindowCandle[],
  settings: FeatureSettings,
  cross: boolean,
  closes: ArrayLike<number> = candles.map((c) => c.close),
): number[] | null {
  const s = resolve(settings);
  const t = candles.length - 1;
  if (t < warmUp(s) || (cross && typeof candles[t].cross_spread !== "number")) return null;
  const indicators: [number, number, number] = [
    lastRsi(closes, s.rsi),
    lastEma(closes, s.emaFast),
    lastEma(closes, s.emaSlow),
  ];
  return buildRow(candles, closes, t, s, cross, indicators);
}

function warmUp(s: Required<FeatureSettings>): number {
  return Math.max(s.lags, s.rsi, s.bollingerPeriod - 1, s.emaSlow - 1, s.volumeLookback);
}

// One row from the indicator values at t: [RSI, EMA fast, EMA slow].
function buildRow(
  candles: readonly WindowCandle[],
  closes: ArrayLike<number>,
  t: number,
  s: Required<FeatureSettings>,
  cross: boolean,
  [rsiT, fastT, slowT]: readonly [number, number, number],
): number[] {
  const c = candles[t];
  const row: number[] = [];
  for (let k = 0; k < s.lags; k++) row.push(logReturn(closes[t - k - 1], closes[t - k]));
  row.push((rsiT - 50) / 50);
  const bands = bollingerAt(closes, {
    period: s.bollingerPeriod,
    multiplier: s.bollingerMultiplier,
  }, t)!;
  const width = bands.upper - bands.lower;
  row.push(width > 0 ? (c.close - bands.lower) / width - 0.5 : 0);
  row.push((fastT - slowT) / c.close);
  row.push(volumeZ(candles, t, s.volumeLookback));
  if (cross) row.push(c.cross_spread as number);
  return row;
}

// The last value of rsi(closes, n) / ema(closes, n), by the same steps (so a row equals the
// matrix's row for the same candles), without the arrays.
function lastRsi(closes: ArrayLike<number>, n: number): number {
  return rsiLast(closes, n) ?? NaN;
}

function lastEma(closes: ArrayLike<number>, n: number): number {
  return emaLast(closes, n) ?? NaN;
}

function volumeZ(candles: readonly WindowCandle[], t: number, n: number): number {
  let mean = 0;
  for (let i = t - n; i < t; i++) mean += candles[i].volume;
  mean /= n;
  let ss = 0;
  for (let i = t - n; i < t; i++) ss += (candles[i].volume - mean) ** 2;
  const sd = Math.sqrt(ss / Math.max(1, n - 1));
  return sd > 0 ? (candles[t].volume - mean) / sd : 0;
}

// Settings objects are reused for every row of a model (ridgePredict runs per forecast): each is
// resolved and checked once.
const RESOLVED = new WeakMap<FeatureSettings, Required<FeatureSettings>>();

function resolve(s: FeatureSettings): Required<FeatureSettings> {
  let r = RESOLVED.get(s);
  if (r === undefined) RESOLVED.set(s, r = resolveOnce(s));
  return r;
}

function resolveOnce(s: FeatureSettings): Required<FeatureSettings> {
  const r = {
    lags: s.lags ?? 3,
    rsi: s.rsi ?? 14,
    bollingerPeriod: s.bollingerPeriod ?? 20,
    bollingerMultiplier: s.bollingerMultiplier ?? 2,
    emaFast: s.emaFast ?? 12,
    emaSlow: s.emaSlow ?? 26,
    volumeLookback: s.volumeLookback ?? 20,
  };
  for (const [k, v] of Object.entries(r)) {
    if (k !== "bollingerMultiplier" && (!Number.isInteger(v) || v < (k === "lags" ? 0 : 2))) {
      throw new RangeError(
        `Forecast feature ${k} must be an integer ≥ 2 (lags ≥ 0), received ${v}`,
      );
    }
  }
  return r;
}
