/**
 * Rule `learned_anomaly`: a learned anomaly score over its threshold becomes an alert.
 * @module
 */
import type { Alert } from "../alert.ts";
import { alertId } from "../anomaly/alert_id.ts";
import { Cooldown } from "../anomaly/cooldown.ts";

/** Options of {@linkcode LearnedAnomalyRule}. */
export interface LearnedAnomalyRuleOptions {
  /** Score (bits) at which to alert. Default 4; critical at twice that. */
  threshold?: number;
  /** Minimum event time between two alerts of one (symbol, rule). Default 300 000 ms. */
  cooldownMs?: number;
  /** (symbol, rule) pairs the cooldown remembers. Default: no limit. */
  maxKeys?: number;
}

/**
 * The same conventions as the other rules: id `symbol|interval|learned_anomaly|window_start`,
 * warning at the threshold and critical at twice it, a cooldown per (symbol, rule) in event time.
 *
 * @example
 * ```ts
 * import { LearnedAnomalyRule } from "./learned_anomaly_rule.ts";
 * const rule = new LearnedAnomalyRule({ threshold: 4 });
 * rule.evaluate("BTC-USD", "1m", 1_700_000_040_000, 9)?.severity; // "critical"
 * ```
 */
export class LearnedAnomalyRule {
  readonly #threshold: number;
  readonly #cooldown: Cooldown;

  constructor(options: LearnedAnomalyRuleOptions = {}) {
    this.#threshold = options.threshold ?? 4;
    if (!(this.#threshold > 0)) {
      throw new RangeError(`learned_anomaly threshold must be > 0, received ${this.#threshold}`);
    }
    this.#cooldown = new Cooldown(options.cooldownMs ?? 300_000, options.maxKeys ?? Infinity);
  }

  /** The alert for a candle's score, or null (below the threshold, or inside the cooldown). */
  evaluate(
    symbol: string,
    interval: string,
    windowStart: number,
    score: number | null,
  ): Alert | null {
    if (score === null || !(score >= this.#threshold)) return null;
    if (!this.#cooldown.allow(symbol, "learned_anomaly", windowStart)) return null;
    const t = this.#threshold;
    return {
      id: alertId(symbol, interval, "learned_anomaly", windowStart),
      symbol,
      interval,
      rule: "learned_anomaly",
      severity: score >= 2 * t ? "critical" : "warning",
      value: score,
      threshold: t,
      window_start: windowStart,
      message: `${symbol} ${interval} learned_anomaly: score ${
        Math.round(score * 100) / 100
      } bits ≥ ${t} (Half-Space Trees)`,
    };
  }
}
