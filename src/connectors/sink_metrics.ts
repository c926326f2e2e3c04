/**
 * The `pipeline_sink_*` metrics of docs/metrics.md, recorded once per batch write by every store
 * connector. Children are bound per label set up front so a write costs a few field updates.
 * @module
 */
import {
  BATCH_BUCKETS,
  counter,
  gauge,
  histogram,
  LATENCY_BUCKETS,
  type Registry,
} from "../telemetry/metrics.ts";
import type { StoreError, StoreErrorKind } from "./store_error.ts";

interface Observer {
  observe(value: number): void;
}
interface Incrementer {
  inc(value?: number): void;
}

/**
 * Per-sink metrics. Without a registry every method is a no-op.
 *
 * @example
 * ```ts
 * import { createRegistry } from "../telemetry/metrics.ts";
 * import { SinkMetrics } from "./sink_metrics.ts";
 * const metrics = new SinkMetrics(createRegistry(), "postgres");
 * metrics.written("ticks", 500, 0.012);
 * ```
 */
export class SinkMetrics {
  readonly #registry: Registry | undefined;
  readonly #sink: string;
  readonly #rows = new Map<string, Incrementer>();
  readonly #errors = new Map<StoreErrorKind, Incrementer>();
  readonly #latency: Observer | undefined;
  readonly #batch: Observer | undefined;
  #inUse = 0;

  constructor(registry: Registry | undefined, sink: string) {
    this.#registry = registry;
    this.#sink = sink;
    if (!registry) return;
    this.#latency = histogram(registry, {
      name: "pipeline_sink_write_seconds",
      help: "Latency of one batch write",
      labelNames: ["sink"],
      buckets: LATENCY_BUCKETS,
    }).labels({ sink });
    this.#batch = histogram(registry, {
      name: "pipeline_sink_batch_size",
      help: "Rows per batch write",
      labelNames: ["sink"],
      buckets: BATCH_BUCKETS,
    }).labels({ sink });
    const connections = gauge(registry, {
      name: "pipeline_sink_connections",
      help: "Connections in use",
      labelNames: ["sink"],
    });
    // A prom-client gauge has one collect(); the sinks publish on write instead.
    this.#publishConnections = () => connections.set({ sink }, this.#inUse);
  }

  #publishConnections: () => void = () => {};

  /** Records one successful batch of `rows` rows into `table`, taking `seconds`. */
  written(table: string, rows: number, seconds: number): void {
    if (!this.#registry) return;
    let c = this.#rows.get(table);
    if (!c) {
      c = counter(this.#registry, {
        name: "pipeline_sink_rows_written_total",
        help: "Rows acknowledged by a store",
        labelNames: ["sink", "table"],
      }).labels({ sink: this.#sink, table });
      this.#rows.set(table, c);
    }
    c.inc(rows);
    this.#latency?.observe(seconds);
    this.#batch?.observe(rows);
  }

  /** Counts one failed write. */
  failed(kind: StoreErrorKind): void {
    if (!this.#registry) return;
    let c = this.#errors.get(kind);
    if (!c) {
      c = counter(this.#registry, {
        name: "pipeline_sink_errors_total",
        help: "Failed writes by kind (transient, fatal, timeout)",
        labelNames: ["sink", "kind"],
      }).labels({ sink: this.#sink, kind });
      this.#errors.set(kind, c);
    }
    c.inc();
  }

  /** Marks a connection busy (+1) or released (-1). */
  connection(delta: 1 | -1): void {
    this.#inUse += delta;
    this.#publishConnections();
  }

  /**
   * Runs one batch write: counts the connection while it runs, records latency, batch size and
   * rows on success; on failure converts the error with `toError`, counts it by kind and throws it.
   */
  async track(
    table: string,
    rows: number,
    run: () => Promise<unknown>,
    toError: (err: unknown) => StoreError,
  ): Promise<void> {
    const t0 = performance.now();
    this.connection(1);
    try {
      await run();
    } catch (err) {
      const error = toError(err);
      this.failed(error.kind);
      throw error;
    } finally {
      this.connection(-1);
    }
    this.written(table, rows, (performance.now() - t0) / 1000);
  }
}
