// The symbol chart: candles with a volume histogram, EMA and Bollinger overlays, and an RSI pane,
// coloured from the stylesheet's theme and labelled in local time or UTC.
import {
  CandlestickSeries,
  createChart,
  createSeriesMarkers,
  HistogramSeries,
  LineSeries,
} from "./vendor/lightweight-charts.mjs";
import { formatTick, formatTime } from "./format.js";
import { cssVar, utc } from "./prefs.js";

/**
 * Creates the chart and its series in `container`.
 * @param {HTMLElement} container
 */
export function buildChart(container) {
  const chart = createChart(container, {
    autoSize: true,
    layout: { attributionLogo: false, panes: { separatorColor: cssVar("--border") } },
    timeScale: {
      timeVisible: true,
      secondsVisible: false,
      tickMarkFormatter: (/** @type {number} */ t) => formatTick(t * 1000, utc()),
    },
    localization: { timeFormatter: (/** @type {number} */ t) => formatTime(t * 1000, utc()) },
    crosshair: { mode: 0 },
  });
  const candles = chart.addSeries(CandlestickSeries, { priceLineVisible: true });
  const volume = chart.addSeries(HistogramSeries, {
    priceFormat: { type: "volume" },
    priceScaleId: "volume",
    lastValueVisible: false,
    priceLineVisible: false,
  });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  candles.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });
  const line = (/** @type {number} */ width, /** @type {number} */ style) =>
    chart.addSeries(LineSeries, {
      lineWidth: width,
      lineStyle: style,
      lastValueVisible: false,
      priceLineVisible: false,
      crosshairMarkerVisible: false,
    });
  const emaFast = line(2, 0);
  const emaSlow = line(2, 0);
  const bbUpper = line(1, 2);
  const bbMiddle = line(1, 1);
  const bbLower = line(1, 2);
  const rsi = chart.addSeries(LineSeries, { lineWidth: 2, priceLineVisible: false }, 1);
  rsi.createPriceLine({
    price: 70,
    lineStyle: 2,
    lineWidth: 1,
    axisLabelVisible: false,
    color: "#888",
  });
  rsi.createPriceLine({
    price: 30,
    lineStyle: 2,
    lineWidth: 1,
    axisLabelVisible: false,
    color: "#888",
  });
  // The price pane gets three quarters of the height, RSI the rest.
  const panes = chart.panes();
  panes[0]?.setStretchFactor(3);
  panes[1]?.setStretchFactor(1);
  const markers = createSeriesMarkers(candles, []);
  const c = { chart, candles, volume, emaFast, emaSlow, bbUpper, bbMiddle, bbLower, rsi, markers };
  applyTheme(c);
  return c;
}

/** @typedef {ReturnType<typeof buildChart>} Chart */

/**
 * Colours from the current theme (called again when it changes).
 * @param {Chart} c
 */
export function applyTheme(c) {
  const up = cssVar("--up");
  const down = cssVar("--down");
  c.chart.applyOptions({
    layout: {
      background: { color: cssVar("--bg") },
      textColor: cssVar("--fg"),
      panes: { separatorColor: cssVar("--border") },
    },
    grid: { vertLines: { color: cssVar("--grid") }, horzLines: { color: cssVar("--grid") } },
  });
  c.candles.applyOptions({
    upColor: up,
    downColor: down,
    borderUpColor: up,
    borderDownColor: down,
    wickUpColor: up,
    wickDownColor: down,
  });
  c.emaFast.applyOptions({ color: cssVar("--ema-fast") });
  c.emaSlow.applyOptions({ color: cssVar("--ema-slow") });
  for (const s of [c.bbUpper, c.bbMiddle, c.bbLower]) s.applyOptions({ color: cssVar("--band") });
  c.rsi.applyOptions({ color: cssVar("--rsi") });
}
