/**
 * What the dashboard's browser tests read of a symbol chart: the bars and markers drawn, through
 * the `window.dashboardChart` probe (web/symbol_view.js reads them from the chart library), and
 * whether a drawn bar is a stored candle.
 * @module
 */
import type { Page } from "playwright-core";

/** A drawn candlestick (time in seconds, as the chart library holds it). */
export interface Bar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

// deno-lint-ignore no-explicit-any
export type Json = any;

/** The bars the chart draws, oldest first (none before the chart exists). */
export const chartCandles = (page: Page): Promise<Bar[]> =>
  // deno-lint-ignore no-explicit-any
  page.evaluate(() => (globalThis as any).dashboardChart?.candles() ?? []);

/** The markers (alerts) the chart draws. */
export const chartMarkers = (page: Page): Promise<Json[]> =>
  // deno-lint-ignore no-explicit-any
  page.evaluate(() => (globalThis as any).dashboardChart?.markers() ?? []);

/** Whether a drawn bar has the stored candle's time and prices. */
export function sameBar(bar: Bar | undefined, c: Json): boolean {
  return !!bar && bar.time * 1000 === c.window_start && bar.open === c.open &&
    bar.high === c.high && bar.low === c.low && bar.close === c.close;
}

/**
 * Whether the chart's closed bars are exactly the stored candles from its oldest drawn bar on
 * (`stored` oldest first); the in-progress bar, newer than any stored candle, is left aside.
 */
export function closedBarsMatch(drawn: readonly Bar[], stored: readonly Json[]): boolean {
  if (drawn.length === 0 || stored.length === 0) return false;
  const newestStored = stored[stored.length - 1].window_start;
  const from = Math.min(...drawn.map((b) => b.time)) * 1000;
  const closed = drawn.filter((b) => b.time * 1000 <= newestStored);
  const expected = stored.filter((c) => c.window_start >= from);
  return closed.length === expected.length && expected.every((c, i) => sameBar(closed[i], c));
}
