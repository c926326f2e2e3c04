/**
 * The per-source feed metrics of docs/metrics.md (`pipeline_feed_*`). Hot paths count in plain
 * fields; the deltas reach prom-client when the registry is scraped (a `collect()` callback).
 * @module
 */
import type { Clock } from "../clock.ts";
import { counter, gauge, histogram, LATENCY_BUCKETS, type Registry } from "../telemetry/metrics.ts";

const live = new WeakMap<Registry, Set<FeedMetrics>>();

function publishAll(registry: Registry): void {
  for (const m of live.get(registry) ?? []) m.publish();
}

/**
 * Counters of one feed (`source` label). Create one per running source; `close()` publishes the
 * last deltas and stops the age gauge.
 *
 * @example
 * ```ts
 * import { createRegistry } from "../telemetry/metrics.ts";
 * import { systemClock } from "../clock.ts";
 * const m = new FeedMetrics(createRegistry(), "binance", systemClock);
 * m.message();
 * m.error("closed");
 * m.close();
 * ```
 */
export class FeedMetrics {
  readonly source: string;
  readonly #registry: Registry;
  readonly #clock: Clock;
  readonly #startedAt: number;
  #lastMessageAt: number | undefined;
  #messages = 0;
  #ticks = 0;
  #reconnects = 0;
  #gaps = 0;
  #duplicates = 0;
  #errors = new Map<string, number>();
  readonly #c;

  constructor(registry: Registry, source: string, clock: Clock) {
    this.source = source;
    this.#registry = registry;
    this.#clock = clock;
    this.#startedAt = clock.now();
    const collect = () => publishAll(registry);
    const bySource = ["source"] as const;
    this.#c = {
      messages: counter(registry, {
        name: "pipeline_feed_messages_total",
        help: "Frames / responses received from a feed.",
        labelNames: bySource,
        collect,
      }),
      ticks: counter(registry, {
        name: "pipeline_feed_ticks_total",
        help: "Ticks produced by a feed.",
        labelNames: bySource,
        collect,
      }),
      reconnects: counter(registry, {
        name: "pipeline_feed_reconnects_total",
        help: "Reconnects of a feed.",
        labelNames: bySource,
        collect,
      }),
      errors: counter(registry, {
        name: "pipeline_feed_errors_total",
        help: "Feed errors by kind.",
        labelNames: ["source", "kind"] as const,
        collect,
      }),
      gaps: counter(registry, {
        name: "pipeline_feed_sequence_gaps_total",
        help: "Sequence gaps seen in a feed.",
        labelNames: bySource,
        collect,
      }),
      duplicates: counter(registry, {
        name: "pipeline_duplicate_ticks_total",
        help: "Ticks dropped as duplicates of (source, symbol, id).",
        labelNames: bySource,
        collect,
      }),
      age: gauge(registry, {
        name: "pipeline_feed_last_message_age_seconds",
        help: "Seconds since the last message of a feed (since start when none yet).",
        labelNames: bySource,
        collect,
      }),
      request: histogram(registry, {
        name: "pipeline_feed_request_seconds",
        help: "REST request latency of a feed.",
        labelNames: bySource,
        buckets: LATENCY_BUCKETS,
      }),
    };
    let set = live.get(registry);
    if (!set) live.set(registry, set = new Set());
    set.add(this);
  }

  /** One frame or response received. */
  message(): void {
    this.#messages++;
    this.#lastMessageAt = this.#clock.now();
  }

  /** One tick produced. */
  tick(): void {
    this.#ticks++;
  }

  /** One reconnect attempt. */
  reconnect(): void {
    this.#reconnects++;
  }

  /** One error of `kind` (bounded: http_401, http_429, http_5xx, malformed, timeout, closed, …). */
  error(kind: string): void {
    this.#errors.set(kind, (this.#errors.get(kind) ?? 0) + 1);
  }

  /** One sequence gap. */
  sequenceGap(): void {
    this.#gaps++;
  }

  /** One tick dropped as a duplicate. */
  duplicate(): void {
    this.#duplicates++;
  }

  /** Observes one REST request's latency. */
  request(seconds: number): void {
    this.#c.request.observe({ source: this.source }, seconds);
  }

  /** Moves the counted deltas into prom-client (called on scrape). */
  publish(): void {
    const labels = { source: this.source };
    const c = this.#c;
    if (this.#messages) c.messages.inc(labels, this.#messages);
    if (this.#ticks) c.ticks.inc(labels, this.#ticks);
    if (this.#reconnects) c.reconnects.inc(labels, this.#reconnects);
    if (this.#gaps) c.gaps.inc(labels, this.#gaps);
    if (this.#duplicates) c.duplicates.inc(labels, this.#duplicates);
    for (const [kind, n] of this.#errors) c.errors.inc({ source: this.source, kind }, n);
    this.#messages =
      this.#ticks =
      this.#reconnects =
      this.#gaps =
      this.#duplicates =
        0;
    this.#errors.clear();
    if (live.get(this.#registry)?.has(this)) {
      const since = this.#lastMessageAt ?? this.#startedAt;
      c.age.set(labels, Math.max(0, (this.#clock.now() - since) / 1000));
    }
  }

  /** Publishes the remaining deltas and detaches from scrapes. */
  close(): void {
    this.publish();
    live.get(this.#registry)?.delete(this);
  }
}
