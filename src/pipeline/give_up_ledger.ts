/**
 * What a run gave up: rows a store refused for good, rows a store could not take before a stop ran
 * out of time, messages the runtime discarded. Rejected input (malformed, late) is not here: that
 * is the input's fault and is kept in the dead letters as a matter of course. Anything here means a
 * result is missing from a store, so the run must not say "all results are stored" and must exit
 * non-zero (src/main.ts reads {@linkcode GiveUpLedger.total}).
 * @module
 */
import { counter, publishCounts, type Registry } from "../telemetry/metrics.ts";

/** One line of the ledger. */
export interface GiveUpEntry {
  /** Where it was given up: a sink (`sink-postgres`) or an actor family (`aggregator`). */
  readonly where: string;
  /** Record kind (`ticks`, `candles`, …) or `messages`. */
  readonly kind: string;
  readonly count: number;
  /** The last cause, as text. */
  readonly cause: string;
}

/**
 * Counts what was given up, by where and kind; published as `pipeline_given_up_total`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GiveUpLedger } from "./give_up_ledger.ts";
 * const ledger = new GiveUpLedger();
 * ledger.record("sink-postgres", "ticks", 120, new Error("connection refused"));
 * assert.equal(ledger.total, 120);
 * ```
 */
export class GiveUpLedger {
  readonly #entries = new Map<
    string,
    { where: string; kind: string; count: number; cause: string }
  >();
  readonly #counts = new Map<string, number>();
  #total = 0;

  constructor(registry?: Registry) {
    if (!registry) return;
    const metric = counter(registry, {
      name: "pipeline_given_up_total",
      help: "Records a store refused for good or could not take before a stop ran out of time",
      labelNames: ["where", "kind"],
    });
    publishCounts(registry, metric, this.#counts, (key) => {
      const [where, kind] = key.split("\u0000");
      return { where, kind };
    });
  }

  /** Records `count` items of `kind` given up at `where` because of `cause`. */
  record(where: string, kind: string, count: number, cause: unknown): void {
    if (count <= 0) return;
    const key = `${where}\u0000${kind}`;
    const text = cause instanceof Error ? cause.message : String(cause);
    const entry = this.#entries.get(key);
    if (entry) {
      entry.count += count;
      entry.cause = text;
    } else {
      this.#entries.set(key, { where, kind, count, cause: text });
    }
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + count);
    this.#total += count;
  }

  /** Everything given up so far. */
  get total(): number {
    return this.#total;
  }

  /** The ledger's lines, for the final log line. */
  entries(): GiveUpEntry[] {
    return [...this.#entries.values()].map((e) => ({ ...e }));
  }
}
