/**
 * Get-or-create helpers over one prom-client registry, so components built twice against the same
 * registry (restarts, tests) share their metrics instead of failing on duplicate registration.
 *
 * Hot paths never call a labelled prom-client method per message: they count in plain fields and
 * publish per batch, or in a `collect()` callback that runs on scrape.
 * @module
 */
import client from "prom-client";

export type Registry = client.Registry;
export type Counter<L extends string = string> = client.Counter<L>;
export type Gauge<L extends string = string> = client.Gauge<L>;
export type Histogram<L extends string = string> = client.Histogram<L>;

const COLLECTORS = new WeakMap<Registry, Array<() => void>>();

/**
 * A fresh registry. The pipeline uses exactly one per process; tests make their own.
 *
 * Its first metric runs every {@linkcode onCollect} publisher, so counts kept in plain fields on
 * hot paths reach their metrics before those are serialised (prom-client serialises metrics in
 * registration order, each right after its own collect()).
 */
export function createRegistry(): Registry {
  const registry = new client.Registry();
  const publishers: Array<() => void> = [];
  COLLECTORS.set(registry, publishers);
  new client.Gauge({
    name: "pipeline_scrape_publishers",
    help: "Components that publish their counts at scrape time",
    registers: [registry],
    collect(this: client.Gauge) {
      this.set(publishers.length);
      for (const publish of publishers) publish();
    },
  });
  return registry;
}

/**
 * Registers `publish` to run at every scrape of `registry`, before any metric is serialised.
 * Returns a function that unregisters it (for actors that stop).
 */
export function onCollect(registry: Registry, publish: () => void): () => void {
  const publishers = COLLECTORS.get(registry);
  if (!publishers) {
    throw new Error("onCollect: the registry was not made by createRegistry()");
  }
  publishers.push(publish);
  return () => {
    const i = publishers.indexOf(publish);
    if (i >= 0) publishers.splice(i, 1);
  };
}

/** Returns the counter `name` in `registry`, creating it on first use. */
export function counter<L extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames?: readonly L[]; collect?: () => void },
): Counter<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing) return existing as Counter<L>;
  return new client.Counter<L>({
    ...config,
    labelNames: config.labelNames ?? [],
    registers: [registry],
  });
}

/** Returns the gauge `name` in `registry`, creating it on first use. */
export function gauge<L extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames?: readonly L[]; collect?: () => void },
): Gauge<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing) return existing as Gauge<L>;
  return new client.Gauge<L>({
    ...config,
    labelNames: config.labelNames ?? [],
    registers: [registry],
  });
}

/** Returns the histogram `name` in `registry`, creating it on first use. */
export function histogram<L extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames?: readonly L[]; buckets?: number[] },
): Histogram<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing) return existing as Histogram<L>;
  return new client.Histogram<L>({
    ...config,
    labelNames: config.labelNames ?? [],
    registers: [registry],
  });
}

/** Latency buckets in seconds, 100 µs to 30 s. */
export const LATENCY_BUCKETS = [
  0.0001,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/** Batch-size buckets. */
export const BATCH_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384];

/**
 * Publishes counts kept in a plain `Map` (the hot path's cheap `map.set(key, n + 1)`) to `metric`
 * at every scrape: each key's growth since the last scrape is added to the labelled series
 * `labels(key)`. Returns the unregister function.
 */
export function publishCounts<L extends string>(
  registry: Registry,
  metric: Counter<L>,
  counts: ReadonlyMap<string, number>,
  labels: (key: string) => Partial<Record<L, string>>,
): () => void {
  const published = new Map<string, number>();
  return onCollect(registry, () => {
    for (const [key, n] of counts) {
      const before = published.get(key) ?? 0;
      if (n > before) metric.inc(labels(key) as Record<L, string>, n - before);
      published.set(key, n);
    }
  });
}
