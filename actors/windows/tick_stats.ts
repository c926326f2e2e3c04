/**
 * Per (source, symbol) tick counts and last prices ({@linkcode TickCounts}), published to
 * `pipeline_ticks_total` and `pipeline_last_price` only when Prometheus scrapes.
 * @module
 */
import { OTHER_LABEL, tickLabelBudget } from "../../src/telemetry/label_budget.ts";
import { counter, gauge, onCollect, type Registry } from "../../src/telemetry/metrics.ts";
import { TickCounts } from "./tick_counts.ts";

/** Tick statistics of one actor. */
export class TickStats extends TickCounts {
  constructor(registry: Registry) {
    super(tickLabelBudget(registry));
    const ticks = counter(registry, {
      name: "pipeline_ticks_total",
      help: "Valid ticks accepted, by source and symbol",
      labelNames: ["source", "symbol"],
    });
    const price = gauge(registry, {
      name: "pipeline_last_price",
      help: "Latest price seen, by symbol and source",
      labelNames: ["symbol", "source"],
    });
    // Several actors share the metrics; each adds its own unpublished counts on scrape.
    this.unregister = onCollect(registry, () => {
      this.drain((source, symbol, count, last) => {
        if (count > 0) ticks.inc({ source, symbol }, count);
        // `other` mixes symbols: no price means anything there.
        if (symbol !== OTHER_LABEL) price.set({ symbol, source }, last);
      });
    });
  }

  /** Stops publishing (the actor stopped); what was counted stays in the metrics. */
  readonly unregister: () => void;
}
