/**
 * Per-actor telemetry (the `pipeline_actor_*` metrics of docs/metrics.md). The hot path bumps plain
 * fields of an {@linkcode ActorStats}; prom-client reads them only on scrape, through `collect()`
 * callbacks, so no prom-client call is made per message.
 * @module
 */
import { counter, gauge, LATENCY_BUCKETS, type Registry } from "../telemetry/metrics.ts";
import type { FullPolicy, MailboxCounters } from "./mailbox.ts";

/** Plain counters of one actor. Cumulative across restarts and re-spawns under the same name. */
export class ActorStats implements MailboxCounters {
  /** Messages handled successfully. */
  processed = 0;
  failures = 0;
  restarts = 0;
  deadLetters = 0;
  dropped = 0;
  blockedSeconds = 0;
  /** Per-bucket (non-cumulative) counts of turn durations; the last slot is +Inf. */
  readonly buckets: Float64Array = new Float64Array(LATENCY_BUCKETS.length + 1);
  turnSeconds = 0;
  turns = 0;
  /** Reads the live mailbox; replaced when the actor is re-spawned. */
  size: () => number = () => 0;
  capacity = 0;
  policy: FullPolicy = "block";

  constructor(readonly actor: string) {}

  /** Records one drained turn (a batch) that took `seconds`. */
  observeTurn(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    this.buckets[i]++;
    this.turnSeconds += seconds;
    this.turns++;
  }
}

/** The actors of every system that publishes to one registry. */
class ActorTelemetry {
  readonly stats = new Map<string, ActorStats>();

  constructor(registry: Registry) {
    const all = () => this.stats.values();
    const perActor = (
      name: string,
      help: string,
      kind: "gauge" | "counter",
      read: (s: ActorStats) => number,
    ) => {
      const make = kind === "gauge" ? gauge : counter;
      const metric = make<"actor">(registry, {
        name,
        help,
        labelNames: ["actor"],
        collect() {
          metric.reset();
          for (const s of all()) metric.inc({ actor: s.actor }, read(s));
        },
      });
    };
    perActor(
      "pipeline_actor_mailbox_size",
      "Messages waiting in the actor's mailbox",
      "gauge",
      (s) => s.size(),
    );
    perActor("pipeline_actor_mailbox_capacity", "The mailbox bound", "gauge", (s) => s.capacity);
    perActor("pipeline_actor_messages_total", "Messages processed", "counter", (s) => s.processed);
    perActor("pipeline_actor_failures_total", "Handler errors", "counter", (s) => s.failures);
    perActor(
      "pipeline_actor_restarts_total",
      "Restarts by the supervisor",
      "counter",
      (s) => s.restarts,
    );
    perActor(
      "pipeline_actor_blocked_seconds_total",
      "Time senders spent waiting on the full mailbox",
      "counter",
      (s) => s.blockedSeconds,
    );
    perActor(
      "pipeline_actor_dead_letters_total",
      "Messages handed to dead letters",
      "counter",
      (s) => s.deadLetters,
    );
    const dropped = counter<"actor" | "policy">(registry, {
      name: "pipeline_actor_dropped_total",
      help: "Messages dropped by a drop_oldest / drop_newest mailbox",
      labelNames: ["actor", "policy"],
      collect() {
        dropped.reset();
        for (const s of all()) {
          if (s.policy !== "block") dropped.inc({ actor: s.actor, policy: s.policy }, s.dropped);
        }
      },
    });
    if (!registry.getSingleMetric(TURN_HISTOGRAM)) {
      registry.registerMetric(
        new TurnHistogram(all) as unknown as Parameters<Registry["registerMetric"]>[0],
      );
    }
  }
}

const TURN_HISTOGRAM = "pipeline_actor_processing_seconds";

/**
 * A histogram metric read straight from the actors' bucket arrays. prom-client's own Histogram can
 * only be fed one observation at a time, which would be a call per turn on the hot path.
 */
class TurnHistogram {
  readonly name = TURN_HISTOGRAM;
  readonly help = "Time to process one drained batch";
  readonly type = "histogram";
  readonly aggregator = "sum";

  constructor(readonly all: () => Iterable<ActorStats>) {}

  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] =
      [];
    for (const s of this.all()) {
      let acc = 0;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        acc += s.buckets[i];
        values.push({
          labels: { actor: s.actor, le: LATENCY_BUCKETS[i] },
          value: acc,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({
        labels: { actor: s.actor, le: "+Inf" },
        value: s.turns,
        metricName: `${this.name}_bucket`,
      });
      values.push({
        labels: { actor: s.actor },
        value: s.turnSeconds,
        metricName: `${this.name}_sum`,
      });
      values.push({ labels: { actor: s.actor }, value: s.turns, metricName: `${this.name}_count` });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    });
  }

  reset(): void {}
}

const byRegistry = new WeakMap<Registry, ActorTelemetry>();

/**
 * Returns the stats of `actor`, registering the actor metrics in `registry` on first use. Without a
 * registry the stats are still counted, just never published.
 */
export function actorStats(registry: Registry | undefined, actor: string): ActorStats {
  if (!registry) return new ActorStats(actor);
  let telemetry = byRegistry.get(registry);
  if (!telemetry) {
    telemetry = new ActorTelemetry(registry);
    byRegistry.set(registry, telemetry);
  }
  let stats = telemetry.stats.get(actor);
  if (!stats) {
    stats = new ActorStats(actor);
    telemetry.stats.set(actor, stats);
  }
  return stats;
}
