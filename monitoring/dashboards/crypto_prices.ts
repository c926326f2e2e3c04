/**
 * The Crypto Prices dashboard: candlesticks with moving averages, Bollinger bands and volume from
 * ClickHouse, indicators below, and the live last price from Prometheus.
 * @module
 */
import {
  BUCKET,
  IN_RANGE,
  SYMBOL_AND_INTERVAL,
  TIME,
  VENUE,
  VENUES_SQL,
} from "./clickhouse_sql.ts";
import {
  clickhouse,
  clickhouseVariable,
  type Dashboard,
  dashboard,
  prom,
} from "./grafana_model.ts";
import { forecastPanels } from "./forecast_panels.ts";

/**
 * Candles joined to the indicator row of the same key. FINAL keeps only the highest version of a
 * candle revised by late data; the join is `ANY LEFT` so candles still in indicator warm-up show.
 * The subquery needs its alias: current ClickHouse (the analyzer) rejects an unnamed one.
 */
const CANDLES_SQL = `SELECT ${TIME}, open, high, low, close, volume,
  sma, ema_fast, ema_slow, bb_upper, bb_lower
FROM candles FINAL
ANY LEFT JOIN (
  SELECT venue, symbol, \`interval\`, window_start, sma, ema_fast, ema_slow, bb_upper, bb_lower
  FROM indicators FINAL
  WHERE ${VENUE} AND ${SYMBOL_AND_INTERVAL} AND ${IN_RANGE}
) AS ind USING (venue, symbol, \`interval\`, window_start)
WHERE ${VENUE} AND ${SYMBOL_AND_INTERVAL} AND ${IN_RANGE}
ORDER BY time`;

/** Builds the Crypto Prices dashboard. */
export function cryptoPrices(): Dashboard {
  const wide = { w: 12, h: 8 };
  return dashboard({
    uid: "crypto-prices",
    title: "Crypto Prices",
    description: "OHLCV candles, moving averages, Bollinger bands, RSI, volatility and forecasts " +
      "per symbol.",
    tags: ["market"],
    from: "now-6h",
    variables: [
      clickhouseVariable(
        "symbol",
        "Symbol",
        "SELECT DISTINCT symbol FROM candles ORDER BY symbol",
        {
          current: "BTC-USD",
        },
      ),
      clickhouseVariable("venue", "Venue", VENUES_SQL, { current: "composite" }),
      // Not named `interval`: Grafana still treats `$interval` as a deprecated built-in.
      clickhouseVariable(
        "candle_interval",
        "Interval",
        "SELECT DISTINCT `interval` FROM candles WHERE symbol = '${symbol}' ORDER BY `interval`",
        { current: "1m" },
      ),
    ],
    panels: [
      {
        type: "candlestick",
        title: "${symbol} ${candle_interval} candles",
        description: "OHLC with SMA, fast/slow EMA and Bollinger bands as lines, volume below.",
        size: { w: 24, h: 12 },
        unit: "currencyUSD",
        targets: [clickhouse(CANDLES_SQL)],
        options: {
          mode: "candles+volume",
          candleStyle: "candles",
          colorStrategy: "open-close",
          colors: { up: "green", down: "red" },
          fields: { open: "open", high: "high", low: "low", close: "close", volume: "volume" },
          includeAllFields: true,
          legend: { displayMode: "list", placement: "bottom", showLegend: true },
        },
        overrides: [{
          matcher: { id: "byRegexp", options: "bb_.*" },
          properties: [
            { id: "custom.lineStyle", value: { fill: "dash", dash: [10, 10] } },
            { id: "color", value: { mode: "fixed", fixedColor: "purple" } },
          ],
        }],
      },
      {
        type: "stat",
        title: "Last price by source",
        size: { w: 8, h: 6 },
        unit: "currencyUSD",
        targets: [
          prom(`max by (source) (pipeline_last_price{symbol="$symbol"})`, { legend: "{{source}}" }),
        ],
      },
      {
        type: "timeseries",
        title: "Trades per candle",
        size: { w: 8, h: 6 },
        unit: "short",
        targets: [clickhouse(
          `SELECT ${TIME}, trades FROM candles FINAL WHERE ${VENUE} AND ${SYMBOL_AND_INTERVAL} AND ${IN_RANGE} ORDER BY time`,
        )],
        defaults: { custom: { drawStyle: "bars", fillOpacity: 60 } },
      },
      {
        type: "timeseries",
        title: "VWAP vs close",
        size: { w: 8, h: 6 },
        unit: "currencyUSD",
        targets: [clickhouse(
          `SELECT ${TIME}, close, vwap FROM candles FINAL WHERE ${VENUE} AND ${SYMBOL_AND_INTERVAL} AND ${IN_RANGE} ORDER BY time`,
        )],
      },
      {
        type: "timeseries",
        title: "RSI",
        description: "Wilder RSI; above 70 overbought, below 30 oversold.",
        size: wide,
        unit: "none",
        targets: [clickhouse(
          `SELECT ${TIME}, rsi FROM indicators FINAL WHERE ${VENUE} AND ${SYMBOL_AND_INTERVAL} AND ${IN_RANGE} ORDER BY time`,
        )],
        defaults: {
          min: 0,
          max: 100,
          custom: { thresholdsStyle: { mode: "line" } },
          thresholds: {
            mode: "absolute",
            steps: [
              { color: "green", value: null },
              { color: "orange", value: 30 },
              { color: "red", value: 70 },
            ],
          },
        },
      },
      {
        type: "timeseries",
        title: "Volatility of log returns",
        size: wide,
        unit: "percentunit",
        targets: [clickhouse(
          `SELECT ${TIME}, volatility FROM indicators FINAL WHERE ${VENUE} AND ${SYMBOL_AND_INTERVAL} AND ${IN_RANGE} ORDER BY time`,
        )],
      },
      {
        type: "timeseries",
        title: "Volume per ${__interval}",
        size: wide,
        unit: "short",
        targets: [clickhouse(
          `SELECT ${BUCKET}, sum(volume) AS volume FROM candles FINAL WHERE ${VENUE} AND ${SYMBOL_AND_INTERVAL} AND ${IN_RANGE} GROUP BY time ORDER BY time`,
        )],
        defaults: { custom: { drawStyle: "bars", fillOpacity: 60 } },
      },
      {
        type: "table",
        title: "Latest candles",
        description: "version > 1 marks a candle revised by late data.",
        size: wide,
        targets: [clickhouse(
          `SELECT ${TIME}, open, high, low, close, volume, vwap, trades, version
FROM candles FINAL WHERE ${VENUE} AND ${SYMBOL_AND_INTERVAL} AND ${IN_RANGE}
ORDER BY window_start DESC LIMIT 50`,
          { table: true },
        )],
      },
      ...forecastPanels(),
    ],
  });
}
