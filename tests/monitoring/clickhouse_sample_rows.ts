/**
 * A small, deterministic market history for the dashboard SQL test: two symbols, 1m and 5m
 * candles with indicator rows and a few alerts over the last hour, as JSONEachRow.
 * @module
 */
import type { Alert } from "../../src/market/alert.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { IndicatorRow } from "../../src/market/indicator_row.ts";

/** Rows per table, shaped exactly like the pipeline's records. */
export interface SampleRows {
  readonly candles: Candle[];
  readonly indicators: IndicatorRow[];
  readonly alerts: Alert[];
}

/** Builds an hour of history ending at the minute before `nowMs`. */
export function sampleRows(nowMs: number): SampleRows {
  const candles: Candle[] = [], indicators: IndicatorRow[] = [], alerts: Alert[] = [];
  const end = Math.floor(nowMs / 60_000) * 60_000;
  for (const [s, symbol] of ["BTC-USD", "ETH-USD"].entries()) {
    for (const [interval, ms] of [["1m", 60_000], ["5m", 300_000]] as const) {
      for (let t = end - 60 * 60_000; t < end; t += ms) {
        const open = (s + 1) * 1000 + Math.sin(t / ms) * 10;
        const close = open + Math.cos(t / ms) * 5;
        candles.push({
          symbol,
          interval,
          window_start: t,
          open,
          close,
          high: Math.max(open, close) + 2,
          low: Math.min(open, close) - 2,
          volume: 3 + (t / ms) % 7,
          vwap: (open + close) / 2,
          trades: 12,
          first_ts: t + 100,
          last_ts: t + ms - 100,
          version: 1,
        });
        indicators.push({
          symbol,
          interval,
          window_start: t,
          close,
          sma: close - 1,
          ema_fast: close - 0.5,
          ema_slow: close - 1.5,
          rsi: 50 + Math.sin(t) * 20,
          bb_upper: close + 4,
          bb_middle: close,
          bb_lower: close - 4,
          volatility: 0.01,
          version: 1,
        });
      }
    }
    for (const [i, rule] of (["price_spike", "volume_spike", "feed_stale"] as const).entries()) {
      const window_start = end - (10 + 10 * i) * 60_000;
      alerts.push({
        id: `${symbol}-${rule}-${window_start}`,
        symbol,
        interval: i === 2 ? "tick" : "1m",
        rule,
        severity: (["warning", "info", "critical"] as const)[i],
        value: 4.2,
        threshold: 3,
        window_start,
        message: `${rule} on ${symbol}`,
      });
    }
  }
  // A revision of one candle: FINAL must keep version 2 only.
  candles.push({ ...candles[0], close: candles[0].close + 1, version: 2 });
  return { candles, indicators, alerts };
}
