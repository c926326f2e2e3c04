/**
 * Bounded label values for metrics whose labels come from input. Every distinct label set is a
 * series Prometheus keeps and every scrape renders: a replay with 60 000 distinct `source` values
 * once made `/metrics` 42 MB and crashed the process on a scrape. So such labels take their values
 * from a budget: the first values seen get a series of their own, later ones are counted under
 * `other`.
 * @module
 */
import type { Registry } from "./metrics.ts";

/** The label value everything beyond a budget is counted under. */
export const OTHER_LABEL = "other";

/** Distinct `source` values with a series of their own, per process. */
export const MAX_SOURCE_LABELS = 32;

/** Distinct (source, symbol) pairs with a series of their own, per process. */
export const MAX_TICK_SERIES = 5000;

/**
 * Admits keys until `limit` distinct ones were seen; later keys are refused (and not remembered,
 * so the budget's own memory is bounded too).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LabelBudget } from "./label_budget.ts";
 * const budget = new LabelBudget(1);
 * assert.equal(budget.admit("coinbase"), true);
 * assert.equal(budget.admit("kraken"), false);
 * assert.equal(budget.admit("coinbase"), true);
 * ```
 */
export class LabelBudget {
  readonly #limit: number;
  readonly #admitted = new Set<string>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** True when `key` has (or now gets) a series of its own. */
  admit(key: string): boolean {
    if (this.#admitted.has(key)) return true;
    if (this.#admitted.size >= this.#limit) return false;
    this.#admitted.add(key);
    return true;
  }

  /** Keys admitted so far. */
  get size(): number {
    return this.#admitted.size;
  }
}

/** Labels of a tick series: the input's own, or `other` for both once a budget is spent. */
export interface TickLabels {
  readonly source: string;
  readonly symbol: string;
}

/** The (source, symbol) budget the tick metrics of one process share. */
export class TickLabelBudget {
  readonly #sources: LabelBudget;
  readonly #pairs: LabelBudget;

  constructor(limits: { sources?: number; pairs?: number } = {}) {
    this.#sources = new LabelBudget(limits.sources ?? MAX_SOURCE_LABELS);
    this.#pairs = new LabelBudget(limits.pairs ?? MAX_TICK_SERIES);
  }

  /** The labels `(source, symbol)` are counted under. */
  labels(source: string, symbol: string): TickLabels {
    if (this.#sources.admit(source) && this.#pairs.admit(`${source}\u0000${symbol}`)) {
      return { source, symbol };
    }
    return OTHER_TICKS;
  }
}

const OTHER_TICKS: TickLabels = Object.freeze({ source: OTHER_LABEL, symbol: OTHER_LABEL });

const shared = new WeakMap<Registry, TickLabelBudget>();

/** The tick label budget of `registry` (one per registry: every stage counts into it). */
export function tickLabelBudget(registry: Registry): TickLabelBudget {
  let budget = shared.get(registry);
  if (budget === undefined) shared.set(registry, budget = new TickLabelBudget());
  return budget;
}
