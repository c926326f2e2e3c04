/**
 * The Alerts Dashboard: the alerts table from ClickHouse, alert rates from Prometheus, and the
 * anomalies drawn over the price they fired on.
 * @module
 */
import { BUCKET, IN_RANGE, TIME, VENUE, VENUES_SQL } from "./clickhouse_sql.ts";
import {
  clickhouse,
  clickhouseVariable,
  type Dashboard,
  dashboard,
  DATASOURCES,
  prom,
  type Variable,
} from "./grafana_model.ts";

const SEVERITY = "severity IN (${severity:singlequote})";
const SYMBOL = "symbol = '${symbol}'";

const severityVariable: Variable = {
  name: "severity",
  label: "Severity",
  type: "custom",
  query: "info,warning,critical",
  current: { text: ["All"], value: ["$__all"] },
  options: ["info", "warning", "critical"].map((v) => ({ text: v, value: v, selected: false })),
  multi: true,
  includeAll: true,
  refresh: 0,
  hide: 0,
};

/**
 * The close of each 1m candle on which an alert fired. Alerts of every interval (and the tick-level
 * rules, stamped with their minute) start on a minute boundary, so they all meet a 1m candle.
 * The subquery needs its alias: current ClickHouse (the analyzer) rejects an unnamed one.
 */
const ANOMALIES_SQL = `SELECT ${TIME}, close AS anomaly
FROM candles FINAL
ANY INNER JOIN (
  SELECT DISTINCT venue, symbol, window_start FROM alerts FINAL
  WHERE ${VENUE} AND ${SYMBOL} AND ${SEVERITY} AND ${IN_RANGE}
) AS fired USING (venue, symbol, window_start)
WHERE ${VENUE} AND ${SYMBOL} AND \`interval\` = '1m' AND ${IN_RANGE}
ORDER BY time`;

/** Builds the Alerts Dashboard. */
export function alertsDashboard(): Dashboard {
  const wide = { w: 12, h: 8 };
  return dashboard({
    uid: "alerts",
    title: "Alerts Dashboard",
    description: "Anomaly alerts: what fired, how often, and where on the price chart.",
    tags: ["alerts"],
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
      severityVariable,
    ],
    annotations: [{
      name: "Alerts",
      datasource: DATASOURCES.clickhouse,
      enable: true,
      iconColor: "red",
      target: clickhouse(
        `SELECT ${TIME}, concat(rule, ' (', severity, '): ', message) AS text
FROM alerts FINAL WHERE ${VENUE} AND ${SYMBOL} AND ${SEVERITY} AND ${IN_RANGE} ORDER BY time`,
        { table: true },
      ),
    }],
    panels: [
      {
        type: "stat",
        title: "Alerts in range by severity",
        size: { w: 8, h: 5 },
        unit: "short",
        targets: [
          prom(
            `sum by (severity) (increase(pipeline_alerts_total{severity=~"$severity"}[$__range]))`,
            {
              legend: "{{severity}}",
            },
          ),
        ],
      },
      {
        type: "timeseries",
        title: "Alert rate by rule",
        size: { w: 16, h: 5 },
        unit: "ops",
        targets: [
          prom(
            `sum by (rule, severity) (rate(pipeline_alerts_total{severity=~"$severity"}[$__rate_interval]))`,
            { legend: "{{rule}} {{severity}}" },
          ),
        ],
      },
      {
        type: "timeseries",
        title: "Anomalies over ${symbol} price (1m close)",
        size: { w: 24, h: 10 },
        unit: "currencyUSD",
        targets: [
          clickhouse(
            `SELECT ${TIME}, close AS price FROM candles FINAL WHERE ${VENUE} AND ${SYMBOL} AND \`interval\` = '1m' AND ${IN_RANGE} ORDER BY time`,
          ),
          clickhouse(ANOMALIES_SQL),
        ],
        overrides: [{
          matcher: { id: "byName", options: "anomaly" },
          properties: [
            { id: "custom.drawStyle", value: "points" },
            { id: "custom.pointSize", value: 12 },
            { id: "color", value: { mode: "fixed", fixedColor: "red" } },
          ],
        }],
      },
      {
        type: "timeseries",
        title: "Stored alerts per ${__interval} by rule",
        size: wide,
        unit: "short",
        targets: [clickhouse(
          `SELECT ${BUCKET}, rule, count() AS alerts FROM alerts FINAL
WHERE ${VENUE} AND ${SEVERITY} AND ${IN_RANGE} GROUP BY time, rule ORDER BY time`,
        )],
        defaults: { custom: { drawStyle: "bars", fillOpacity: 60, stacking: { mode: "normal" } } },
      },
      {
        type: "table",
        title: "Alerts by rule and severity",
        size: wide,
        targets: [clickhouse(
          `SELECT rule, severity, count() AS alerts, max(value) AS max_value FROM alerts FINAL
WHERE ${VENUE} AND ${SEVERITY} AND ${IN_RANGE} GROUP BY rule, severity ORDER BY alerts DESC`,
          { table: true },
        )],
      },
      {
        type: "table",
        title: "Latest alerts",
        size: { w: 24, h: 10 },
        targets: [clickhouse(
          `SELECT ${TIME}, symbol, \`interval\`, rule, severity, value, threshold, message
FROM alerts FINAL WHERE ${VENUE} AND ${SEVERITY} AND ${IN_RANGE}
ORDER BY window_start DESC LIMIT 200`,
          { table: true },
        )],
      },
    ],
  });
}
