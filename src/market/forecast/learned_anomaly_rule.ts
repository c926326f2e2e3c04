/**
 * Rule `learned_anomaly`: a learned anomaly score over its threshold becomes an alert.
 * @module
 */
import type { Alert } from "../alert.ts";
import { alertId } from "../anomaly/alert_id.ts";
import { COMPOSITE_VENUE } from "../candle.ts";

/** The series and window an anomaly score belongs to. */
export interface ScoredWindow {
  readonly venue: string;
  readonly symbol: string;
  readonly interval: string;
  readonly windowStart: number;
}
import { Cooldown } from "../anomaly/cooldown.ts";

/** Options of {@linkcode LearnedAnomalyRule}. */
export interface LearnedAnomalyRuleOptions {
  /** Score (bits) at which to alert. Default 4; critical at twice that. */
  threshold?: number;
  /** Minimum event time between two alerts of one (venue, symbol, rule). Default 300 000 ms. */
  cooldownMs?: number;
  /** (venue, symbol, rule) keys the cooldown remembers. Default: no limit. */
  maxKeys?: number;
}

/**
 * The same conventions as the other rules: the id of anomaly/alert_id.ts, warning at the threshold
 * and critical at twice it, a cooldown per (venue, symbol, rule) in event time.
 *
 * @example
 * ```ts
 * import { LearnedAnomalyRule } from "./learned_anomaly_rule.ts";
 * const rule = new LearnedAnomalyRule({ threshold: 4 });
 * const w = { venue: "composite", symbol: "BTC-USD", interval: "1m", windowStart: 1_700_000_040_000 };
 * rule.evaluate(w, 9)?.severity; // "critical"
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
  evaluate(w: ScoredWindow, score: number | null): Alert | null {
    if (score === null || !(score >= this.#threshold)) return null;
    const { venue, symbol, interval, windowStart } = w;
    const key = venue === COMPOSITE_VENUE ? symbol : `${venue}/${symbol}`;
    if (!this.#cooldown.allow(key, "learned_anomaly", windowStart)) return null;
    const t = this.#threshold;
    const named = venue === COMPOSITE_VENUE ? symbol : `${venue} ${symbol}`;
    return {
      id: alertId(venue, symbol, interval, "learned_anomaly", windowStart),
      venue,
      symbol,
      interval,
      rule: "learned_anomaly",
      severity: score >= 2 * t ? "critical" : "warning",
      value: score,
      threshold: t,
      window_start: windowStart,
      message: `${named} ${interval} learned_anomaly: score ${
        Math.round(score * 100) / 100
      } bits ≥ ${t} (Half-Space Trees)`,
    };
  }
}
