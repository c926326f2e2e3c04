/**
 * The dashboard's pipeline-health page, from the metrics registry: the few series it draws,
 * picked out of prom-client's JSON by name. Counters are cumulative; the browser turns two
 * summaries into rates. Which series exist depends on the role (an `ingest` instance has feeds
 * but no stores), so every list may be empty.
 * @module
 */
import type { DeadLetter } from "../market/dead_letter.ts";
import type { Registry } from "../telemetry/metrics.ts";

/** One labelled value. */
export interface Sample {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** What the health page shows; every list sorted for a stable rendering. */
export interface HealthSummary {
  readonly ts: number;
  readonly role: string;
  /**
   * Ticks by source (cumulative): `pipeline_feed_ticks_total`, or for sources that do not count
   * their own (the simulator, replays) the ticks the window stages processed.
   */
  readonly feedTicks: Sample[];
  /** Seconds since each source's last message (`pipeline_feed_last_message_age_seconds`). */
  readonly feedAge: Sample[];
  readonly feedReconnects: Sample[];
  readonly feedErrors: Sample[];
  /** Mailbox size and capacity per actor. */
  readonly mailboxes: { actor: string; size: number; capacity: number }[];
  readonly deadLetters: Sample[];
  /** Per sink: writes, their summed seconds (cumulative; mean latency = Δsum/Δcount). */
  readonly sinkWrites: { sink: string; count: number; seconds: number }[];
  readonly sinkErrors: Sample[];
  /** Kafka consumer lag by topic and partition (Kafka mode only). */
  readonly kafkaLag: Sample[];
  /** Dashboard streams: connected, dropped as too slow, refused at the cap. */
  readonly dashboard: Sample[];
  /** The newest dead letters, newest first (added by the pipeline's dashboard tap). */
  readonly recentDeadLetters?: readonly DeadLetter[];
}

interface MetricJson {
  name: string;
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

/** Reads the summary from `registry` (runs its collectors, like a scrape). */
export async function healthSummary(
  registry: Registry,
  o: { role: string; now: number },
): Promise<HealthSummary> {
  const all = (await registry.getMetricsAsJSON()) as unknown as MetricJson[];
  const byName = new Map(all.map((m) => [m.name, m.values]));
  const samples = (name: string): Sample[] =>
    (byName.get(name) ?? [])
      .filter((v) => v.metricName === undefined || v.metricName === name)
      .map((v) => ({ labels: v.labels, value: v.value }))
      .sort((a, b) => labelKey(a).localeCompare(labelKey(b)));
  const capacity = new Map(
    samples("pipeline_actor_mailbox_capacity").map((s) => [String(s.labels.actor), s.value]),
  );
  const writes = byName.get("pipeline_sink_write_seconds") ?? [];
  const sinks = new Map<string, { sink: string; count: number; seconds: number }>();
  for (const v of writes) {
    const sink = String(v.labels.sink);
    const s = sinks.get(sink) ?? { sink, count: 0, seconds: 0 };
    if (v.metricName?.endsWith("_count")) s.count = v.value;
    if (v.metricName?.endsWith("_sum")) s.seconds = v.value;
    sinks.set(sink, s);
  }
  return {
    ts: o.now,
    role: o.role,
    feedTicks: ticksBySource(samples("pipeline_feed_ticks_total"), samples("pipeline_ticks_total")),
    feedAge: samples("pipeline_feed_last_message_age_seconds"),
    feedReconnects: samples("pipeline_feed_reconnects_total"),
    feedErrors: samples("pipeline_feed_errors_total"),
    mailboxes: samples("pipeline_actor_mailbox_size").map((s) => ({
      actor: String(s.labels.actor),
      size: s.value,
      capacity: capacity.get(String(s.labels.actor)) ?? 0,
    })),
    deadLetters: samples("pipeline_dead_letters_total"),
    sinkWrites: [...sinks.values()].sort((a, b) => a.sink.localeCompare(b.sink)),
    sinkErrors: samples("pipeline_sink_errors_total"),
    kafkaLag: samples("pipeline_kafka_consumer_lag"),
    dashboard: [
      ...samples("pipeline_dashboard_clients"),
      ...samples("pipeline_dashboard_clients_dropped_total"),
      ...samples("pipeline_dashboard_clients_refused_total"),
    ],
  };
}

function ticksBySource(feed: Sample[], processed: Sample[]): Sample[] {
  const out = new Map(feed.map((s) => [String(s.labels.source), s.value]));
  const sums = new Map<string, number>();
  for (const s of processed) {
    const source = String(s.labels.source);
    sums.set(source, (sums.get(source) ?? 0) + s.value);
  }
  for (const [source, n] of sums) if (!out.has(source)) out.set(source, n);
  return [...out].sort(([a], [b]) => a.localeCompare(b))
    .map(([source, value]) => ({ labels: { source }, value }));
}

function labelKey(s: Sample): string {
  return Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(",");
}
