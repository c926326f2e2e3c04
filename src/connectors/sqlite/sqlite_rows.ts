/**
 * Each record kind as the values its SQLite statement binds (sqlite_writes.ts), in column order:
 * what a batch of those kinds is turned into before it is written.
 * @module
 */
import type { SQLInputValue } from "node:sqlite";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import { constituentsText, excludedText } from "../../market/composite_fields.ts";
import type { DeadLetter } from "../../market/dead_letter.ts";
import type { IndicatorRow } from "../../market/indicator_row.ts";
import type { PredictionRow } from "../../market/forecast/prediction_row.ts";

/** Largest raw payload kept in `dead_letters`; longer ones are cut (the reason says why anyway). */
export const MAX_DEAD_LETTER_RAW = 65_536;

/** The values each kind's statement binds, in its column order. */
export const BOUND_VALUES: {
  readonly candles: (c: Candle) => SQLInputValue[];
  readonly indicators: (r: IndicatorRow) => SQLInputValue[];
  readonly alerts: (a: Alert) => SQLInputValue[];
  readonly predictions: (r: PredictionRow) => SQLInputValue[];
  readonly dead_letters: (d: DeadLetter) => SQLInputValue[];
} = {
  candles: (c) => [
    c.venue,
    c.symbol,
    c.interval,
    c.window_start,
    c.open,
    c.high,
    c.low,
    c.close,
    c.volume,
    c.vwap,
    c.trades,
    c.first_ts,
    c.last_ts,
    c.version,
    c.instrument ?? null,
    constituentsText(c),
    excludedText(c),
  ],
  indicators: (r) => [
    r.venue,
    r.symbol,
    r.interval,
    r.window_start,
    r.close,
    r.sma,
    r.ema_fast,
    r.ema_slow,
    r.rsi,
    r.bb_upper,
    r.bb_middle,
    r.bb_lower,
    r.volatility,
    r.version,
  ],
  alerts: (a) => [
    a.id,
    a.venue,
    a.symbol,
    a.interval,
    a.rule,
    a.severity,
    a.value,
    a.threshold,
    a.window_start,
    a.message,
  ],
  predictions: (r) => [
    r.venue,
    r.symbol,
    r.interval,
    r.target_window_start,
    r.model,
    r.window_start,
    r.predicted_return,
    r.predicted_vol,
    r.prob_up,
    r.fallback,
    r.version,
  ],
  dead_letters: (d) => [d.reason, d.detail, d.raw.slice(0, MAX_DEAD_LETTER_RAW), d.source, d.ts],
};
