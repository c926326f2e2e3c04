/**
 * The forecast row of the Crypto Prices dashboard (docs/forecasts.md): the GARCH band around the
 * close and ridge's forecasts from ClickHouse, and the rolling out-of-sample errors against the
 * naive baselines from Prometheus.
 * @module
 */
import { IN_RANGE, SYMBOL_AND_INTERVAL, TIME, VENUE } from "./clickhouse_sql.ts";
import { clickhouse, type PanelSpec, prom } from "./grafana_model.ts";

const PREDICTED = `${VENUE} AND ${SYMBOL_AND_INTERVAL} AND $__timeFilter(target_window_start)`;

/**
 * Each target window's band, set one window ahead: the close of the candle the forecast was made
 * after × exp(±2σ̂). An inner join: a band needs its base candle. The subquery has its alias
 * (current ClickHouse requires one; 18.16 accepts it).
 */
const BAND_SQL = `SELECT target_window_start AS time,
  close * exp(2 * predicted_vol) AS upper, close * exp(-2 * predicted_vol) AS lower
FROM predictions FINAL
ANY INNER JOIN (
  SELECT window_start, close FROM candles FINAL
  WHERE ${VENUE} AND ${SYMBOL_AND_INTERVAL} AND ${IN_RANGE}
) AS base USING (window_start)
WHERE ${PREDICTED} AND model = 'garch'
ORDER BY time`;

const CLOSE_SQL =
  `SELECT ${TIME}, close FROM candles FINAL WHERE ${VENUE} AND ${SYMBOL_AND_INTERVAL} AND ${IN_RANGE} ORDER BY time`;

const RIDGE_SQL = `SELECT target_window_start AS time, predicted_return,
  prob_up - 0.5 AS prob_up_minus_half
FROM predictions FINAL WHERE ${PREDICTED} AND model = 'ridge' ORDER BY time`;

const BY_INTERVAL = `interval="$candle_interval"`;

/** The forecast panels, laid out after the others. */
export function forecastPanels(): PanelSpec[] {
  const third = { w: 8, h: 8 };
  return [
    {
      type: "timeseries",
      title: "Close with the GARCH ±2σ forecast band",
      description: "Each window's band is set one window ahead: the close before × exp(±2σ̂).",
      size: { w: 12, h: 8 },
      unit: "currencyUSD",
      targets: [clickhouse(CLOSE_SQL), clickhouse(BAND_SQL)],
    },
    {
      type: "timeseries",
      title: "Ridge: predicted return and P(up) − ½",
      description: "Forecasts per target window; on a random walk they should hover near zero.",
      size: { w: 12, h: 8 },
      unit: "percentunit",
      targets: [clickhouse(RIDGE_SQL)],
    },
    {
      type: "timeseries",
      title: "Return error vs the zero forecast (rolling)",
      description: "Ridge against the zero-return baseline over the last 1 000 scored forecasts; " +
        "below zero's line is skill.",
      size: third,
      unit: "percentunit",
      targets: [
        prom(`max by (model) (pipeline_forecast_return_mae{${BY_INTERVAL}})`, {
          legend: "MAE {{model}}",
        }),
        prom(`max by (model) (pipeline_forecast_return_rmse{${BY_INTERVAL}})`, {
          legend: "RMSE {{model}}",
        }),
      ],
    },
    {
      type: "timeseries",
      title: "Direction hit rate, 95 % Wilson interval",
      description: "An interval that contains 50 % is no evidence of skill.",
      size: third,
      unit: "percentunit",
      targets: [
        prom(`max by (bound) (pipeline_forecast_direction_accuracy{${BY_INTERVAL}})`, {
          legend: "{{bound}}",
        }),
      ],
    },
    {
      type: "timeseries",
      title: "Volatility QLIKE vs EWMA and the squared return",
      description: "Mean QLIKE of the variance forecasts, lower is better; only differences count.",
      size: third,
      unit: "none",
      targets: [
        prom(`max by (model) (pipeline_forecast_volatility_qlike{${BY_INTERVAL}})`, {
          legend: "{{model}}",
        }),
      ],
    },
    {
      type: "timeseries",
      title: "Scored forecasts and GARCH fallbacks",
      size: { w: 24, h: 6 },
      unit: "short",
      targets: [
        prom(`max(pipeline_forecast_scored{${BY_INTERVAL}})`, {
          legend: "scored (rolling window)",
        }),
        prom("sum by (reason) (rate(pipeline_forecast_garch_fallbacks_total[5m]))", {
          legend: "GARCH fallback {{reason}} /s",
        }),
      ],
    },
  ];
}
