/**
 * Configuration of the alert webhook client, separate from the running client. The config loader
 * reads `ALERT_WEBHOOK_URL` and passes it here.
 * @module
 */
import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";
import type { DeadLetter } from "../../market/dead_letter.ts";
import type { Registry } from "../../telemetry/metrics.ts";
import { OptionsError } from "../options_error.ts";
import { shownUrl } from "../redact_url.ts";

/** Options of {@linkcode WebhookClient}. */
export interface WebhookClientOptions {
  /** Where alerts are POSTed (env `ALERT_WEBHOOK_URL`), e.g. a Slack incoming webhook. Required. */
  url: string;
  /** Per-attempt timeout, ms. Default 5000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 5. */
  maxRetries?: number;
  /** First backoff, ms; doubles per retry. Default 500. */
  backoffMs?: number;
  /** Longest backoff, and the cap on a server's Retry-After, ms. Default 60000. */
  maxBackoffMs?: number;
  /** Alerts waiting for delivery; beyond this, new alerts go straight to dead letters. Default 1000. */
  queueCapacity?: number;
  /** Receives every alert that could not be delivered (retries exhausted, rejected, overflow). */
  onDeadLetter?: (letter: DeadLetter) => void;
  clock?: Clock;
  /** The fetch implementation (tests). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Jitter source in [0, 1): backoff = delay × (0.5 + random()/2). Default Math.random. */
  random?: () => number;
  registry?: Registry;
  logger?: Logger;
}

/** Thrown when options are invalid; lists every problem at once. */
export class WebhookConfigError extends OptionsError {
  constructor(problems: readonly string[]) {
    super("webhook", problems);
  }
}

/** The validated numeric settings. */
export interface WebhookClientConfig {
  readonly url: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly queueCapacity: number;
}

const DEFAULTS = {
  timeoutMs: 5000,
  maxRetries: 5,
  backoffMs: 500,
  maxBackoffMs: 60_000,
  queueCapacity: 1000,
} as const;
const OTHER = ["url", "onDeadLetter", "clock", "fetch", "random", "registry", "logger"];

/** Validates and defaults options; throws {@linkcode WebhookConfigError} listing every problem. */
export function resolveWebhookConfig(options: WebhookClientOptions): WebhookClientConfig {
  const problems: string[] = [];
  const known = new Set([...OTHER, ...Object.keys(DEFAULTS)]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) problems.push(`unknown option "${key}"`);
  }
  if (typeof options.url !== "string" || !/^https?:\/\//.test(options.url)) {
    problems.push(
      `url must be an http(s):// URL, received ${shownUrl(options.url, { path: false })}`,
    );
  }
  const ints = {} as Record<keyof typeof DEFAULTS, number>;
  for (const [name, def] of Object.entries(DEFAULTS) as [keyof typeof DEFAULTS, number][]) {
    const v = options[name] ?? def;
    const min = name === "maxRetries" ? 0 : 1;
    if (!Number.isInteger(v) || v < min) {
      problems.push(`${name} must be an integer ≥ ${min}, received ${options[name]}`);
    }
    ints[name] = v;
  }
  if (problems.length) throw new WebhookConfigError(problems);
  return Object.freeze({ url: options.url, ...ints });
}
