/**
 * The Pipeline Overview dashboard: feeds, actors, stream semantics and sinks, from the metric
 * catalogue in docs/metrics.md.
 * @module
 */
import { type Dashboard, dashboard, prom, promLabelVariable } from "./grafana_model.ts";

// Every selector carries the instance filter so one replica can be singled out.
const I = `instance=~"$instance"`;
const RATE = "$__rate_interval";

/** Builds the Pipeline Overview dashboard. */
export function pipelineOverview(): Dashboard {
  const small = { w: 6, h: 4 };
  const wide = { w: 12, h: 8 };
  return dashboard({
    uid: "pipeline-overview",
    title: "Pipeline Overview",
    description:
      "Health, throughput and latency of every pipeline instance (ingest, process, archive).",
    tags: ["pipeline"],
    variables: [
      promLabelVariable("instance", "Instance", "label_values(pipeline_build_info, instance)"),
    ],
    panels: [
      {
        type: "stat",
        title: "Instances up",
        description: "Scraped pipeline instances answering /metrics, per compose service.",
        size: small,
        targets: [prom(`sum by (service) (up{job="pipeline"})`, { legend: "{{service}}" })],
      },
      {
        type: "stat",
        title: "Ticks accepted /s",
        size: small,
        unit: "ops",
        targets: [prom(`sum(rate(pipeline_ticks_total{${I}}[${RATE}]))`)],
      },
      {
        type: "stat",
        title: "Candles emitted /s",
        size: small,
        unit: "ops",
        targets: [prom(`sum(rate(pipeline_candles_total{${I}}[${RATE}]))`)],
      },
      {
        type: "stat",
        title: "Dead letters /s",
        description: "Rejected input; anything above zero deserves a look at the reason breakdown.",
        size: small,
        unit: "ops",
        targets: [prom(`sum(rate(pipeline_dead_letters_total{${I}}[${RATE}]))`)],
        defaults: {
          thresholds: {
            mode: "absolute",
            steps: [{ color: "green", value: null }, { color: "red", value: 0.1 }],
          },
        },
      },
      {
        type: "timeseries",
        title: "Ticks by source",
        size: wide,
        unit: "ops",
        targets: [
          prom(`sum by (source) (rate(pipeline_ticks_total{${I}}[${RATE}]))`, {
            legend: "{{source}}",
          }),
          prom(`sum by (source) (rate(pipeline_duplicate_ticks_total{${I}}[${RATE}]))`, {
            legend: "{{source}} duplicates",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Feed errors and reconnects",
        size: wide,
        unit: "ops",
        targets: [
          prom(`sum by (source, kind) (rate(pipeline_feed_errors_total{${I}}[${RATE}]))`, {
            legend: "{{source}} {{kind}}",
          }),
          prom(`sum by (source) (rate(pipeline_feed_reconnects_total{${I}}[${RATE}]))`, {
            legend: "{{source}} reconnects",
          }),
          prom(`sum by (source) (rate(pipeline_feed_sequence_gaps_total{${I}}[${RATE}]))`, {
            legend: "{{source}} sequence gaps",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Feed messages and ticks produced",
        description: "Frames or responses received vs ticks they yielded, per source.",
        size: wide,
        unit: "ops",
        targets: [
          prom(`sum by (source) (rate(pipeline_feed_messages_total{${I}}[${RATE}]))`, {
            legend: "{{source}} messages",
          }),
          prom(`sum by (source) (rate(pipeline_feed_ticks_total{${I}}[${RATE}]))`, {
            legend: "{{source}} ticks",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Feed freshness (seconds since last message)",
        size: wide,
        unit: "s",
        targets: [
          prom(`max by (source) (pipeline_feed_last_message_age_seconds{${I}})`, {
            legend: "{{source}}",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Feed request latency p99",
        size: wide,
        unit: "s",
        targets: [
          prom(
            `histogram_quantile(0.99, sum by (source, le) (rate(pipeline_feed_request_seconds_bucket{${I}}[${RATE}])))`,
            { legend: "{{source}}" },
          ),
        ],
      },
      {
        type: "timeseries",
        title: "Mailbox fill ratio",
        description:
          "Near 1 means the actor is the bottleneck and its senders block (backpressure).",
        size: wide,
        unit: "percentunit",
        targets: [
          prom(
            `max by (actor) (pipeline_actor_mailbox_size{${I}} / pipeline_actor_mailbox_capacity{${I}})`,
            { legend: "{{actor}}" },
          ),
        ],
      },
      {
        type: "timeseries",
        title: "Actor throughput",
        size: wide,
        unit: "ops",
        targets: [
          prom(`sum by (actor) (rate(pipeline_actor_messages_total{${I}}[${RATE}]))`, {
            legend: "{{actor}}",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Actor batch processing time p99",
        size: wide,
        unit: "s",
        targets: [
          prom(
            `histogram_quantile(0.99, sum by (actor, le) (rate(pipeline_actor_processing_seconds_bucket{${I}}[${RATE}])))`,
            { legend: "{{actor}}" },
          ),
        ],
      },
      {
        type: "timeseries",
        title: "Time senders spent blocked",
        description: "Seconds per second spent waiting on a full mailbox.",
        size: wide,
        unit: "percentunit",
        targets: [
          prom(`sum by (actor) (rate(pipeline_actor_blocked_seconds_total{${I}}[${RATE}]))`, {
            legend: "{{actor}}",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Actor failures, restarts and drops",
        size: wide,
        unit: "short",
        targets: [
          prom(`sum by (actor) (increase(pipeline_actor_failures_total{${I}}[${RATE}]))`, {
            legend: "{{actor}} failures",
          }),
          prom(`sum by (actor) (increase(pipeline_actor_restarts_total{${I}}[${RATE}]))`, {
            legend: "{{actor}} restarts",
          }),
          prom(`sum by (actor, policy) (increase(pipeline_actor_dropped_total{${I}}[${RATE}]))`, {
            legend: "{{actor}} dropped ({{policy}})",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Dead letters by reason",
        size: wide,
        unit: "ops",
        targets: [
          prom(`sum by (reason) (rate(pipeline_dead_letters_total{${I}}[${RATE}]))`, {
            legend: "{{reason}}",
          }),
          prom(`sum by (actor) (rate(pipeline_actor_dead_letters_total{${I}}[${RATE}]))`, {
            legend: "actor {{actor}}",
          }),
          prom(`sum by (where, kind) (rate(pipeline_given_up_total{${I}}[${RATE}]))`, {
            legend: "given up: {{where}} {{kind}}",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Late events",
        size: wide,
        unit: "ops",
        targets: [
          prom(`sum by (outcome) (rate(pipeline_late_events_total{${I}}[${RATE}]))`, {
            legend: "{{outcome}}",
          }),
          prom(`sum by (kind) (rate(pipeline_candles_total{${I},kind="revision"}[${RATE}]))`, {
            legend: "candle revisions",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Watermark delay by partition",
        description: "Processing time minus watermark; grows when a partition stalls or lags.",
        size: wide,
        unit: "s",
        targets: [
          prom(`max by (partition) (pipeline_watermark_delay_seconds{${I}})`, {
            legend: "partition {{partition}}",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "End-to-end latency (event time to acknowledged write)",
        size: wide,
        unit: "s",
        targets: [
          prom(
            `histogram_quantile(0.5, sum by (sink, le) (rate(pipeline_end_to_end_latency_seconds_bucket{${I}}[${RATE}])))`,
            { legend: "{{sink}} p50" },
          ),
          prom(
            `histogram_quantile(0.99, sum by (sink, le) (rate(pipeline_end_to_end_latency_seconds_bucket{${I}}[${RATE}])))`,
            { legend: "{{sink}} p99" },
          ),
        ],
      },
      {
        type: "timeseries",
        title: "Latency: latest price visible, window close to stored candle / alert (p99)",
        description:
          "Tick event time to its price in /api/latest; a window's close (watermark past its end) to its candle or alert acknowledged by each store. Targets: embedded 20 ms and 50 ms.",
        size: wide,
        unit: "s",
        targets: [
          prom(
            `histogram_quantile(0.99, sum by (le) (rate(pipeline_latest_price_delay_seconds_bucket{${I}}[${RATE}])))`,
            { legend: "latest price p99" },
          ),
          prom(
            // Since each process started: windows close a few times a minute (once an hour for 1h
            // candles), so a rate interval often holds none and the quantile of a rate is empty.
            `histogram_quantile(0.99, sum by (sink, kind, le) (pipeline_window_close_to_write_seconds_bucket{${I}}))`,
            { legend: "{{sink}} {{kind}} p99 since start" },
          ),
        ],
      },
      {
        type: "timeseries",
        title: "Sink rows written",
        size: wide,
        unit: "rowsps",
        targets: [
          prom(`sum by (sink, table) (rate(pipeline_sink_rows_written_total{${I}}[${RATE}]))`, {
            legend: "{{sink}} {{table}}",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Sink write latency p99 and batch size p50",
        size: wide,
        unit: "s",
        targets: [
          prom(
            `histogram_quantile(0.99, sum by (sink, le) (rate(pipeline_sink_write_seconds_bucket{${I}}[${RATE}])))`,
            { legend: "{{sink}} write p99" },
          ),
          prom(
            `histogram_quantile(0.5, sum by (sink, le) (rate(pipeline_sink_batch_size_bucket{${I}}[${RATE}])))`,
            { legend: "{{sink}} batch p50" },
          ),
        ],
        overrides: [{
          matcher: { id: "byRegexp", options: ".*batch p50" },
          properties: [{ id: "unit", value: "short" }, {
            id: "custom.axisPlacement",
            value: "right",
          }],
        }],
      },
      {
        type: "timeseries",
        title: "Sink errors and connections",
        size: wide,
        unit: "short",
        targets: [
          prom(`sum by (sink, kind) (rate(pipeline_sink_errors_total{${I}}[${RATE}]))`, {
            legend: "{{sink}} {{kind}} errors/s",
          }),
          prom(`sum by (sink) (pipeline_sink_connections{${I}})`, {
            legend: "{{sink}} connections",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "HTTP connections, refusals and responses",
        description: "Open connections (capped at 256), connections refused or dropped by " +
          "reason, responses by status class. Refusals protect the pipeline from its HTTP clients.",
        size: wide,
        unit: "short",
        targets: [
          prom(`sum(pipeline_http_connections{${I}})`, { legend: "open connections" }),
          prom(
            `sum by (reason) (rate(pipeline_http_connections_rejected_total{${I}}[${RATE}]))`,
            { legend: "refused {{reason}}/s" },
          ),
          prom(`sum by (status) (rate(pipeline_http_responses_total{${I}}[${RATE}]))`, {
            legend: "responses {{status}}/s",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Built-in dashboard streams",
        description: "Browsers streaming the built-in dashboard's live events (capped by " +
          "--dashboard-clients), events published, streams dropped for falling behind their " +
          "buffer and refused at the cap. A dropped stream never slows the pipeline.",
        size: wide,
        unit: "short",
        targets: [
          prom(`sum(pipeline_dashboard_clients{${I}})`, { legend: "browsers" }),
          prom(`sum(rate(pipeline_dashboard_events_total{${I}}[${RATE}]))`, {
            legend: "events/s",
          }),
          prom(
            `sum by (reason) (rate(pipeline_dashboard_clients_dropped_total{${I}}[${RATE}]))`,
            { legend: "dropped {{reason}}/s" },
          ),
          prom(`sum(rate(pipeline_dashboard_clients_refused_total{${I}}[${RATE}]))`, {
            legend: "refused/s",
          }),
        ],
      },
      {
        type: "table",
        title: "Build info",
        size: { w: 24, h: 6 },
        targets: [prom(`pipeline_build_info{${I}}`, { instant: true })],
      },
    ],
  });
}
