/**
 * Alert webhooks: a bounded queue drained by one sender that POSTs each alert with retries,
 * exponential backoff and Retry-After. Enqueueing never waits on the endpoint, so a dead
 * receiver never stalls the pipeline: what overflows or exhausts its retries becomes a dead
 * letter, counted.
 * @module
 */
import { PipelineError } from "../../errors.ts";
import { type Clock, systemClock } from "../../clock.ts";
import { type Logger, silentLogger } from "../../logger.ts";
import type { Alert } from "../../market/alert.ts";
import type { DeadLetter } from "../../market/dead_letter.ts";
import { counter, type Registry } from "../../telemetry/metrics.ts";
import { redactIn } from "../redact_url.ts";
import { SinkMetrics } from "../sink_metrics.ts";
import type { StoreErrorKind } from "../store_error.ts";
import { Backoff } from "../backoff.ts";
import { parseRetryAfter } from "../retry_after.ts";
import {
  resolveWebhookConfig,
  type WebhookClientConfig,
  type WebhookClientOptions,
} from "./webhook_config.ts";
import { webhookPayload } from "./webhook_payload.ts";

/** HTTP statuses worth retrying: timeouts, too early/many, and server errors. */
const RETRY_STATUS = (s: number) => s === 408 || s === 425 || s === 429 || s >= 500;

/** Delivery counters, for tests and `/health`. */
export interface WebhookStats {
  readonly queued: number;
  readonly delivered: number;
  readonly retries: number;
  readonly deadLettered: number;
}

/** One failed delivery attempt: its kind, and the delay the server asked for, if any. */
export class WebhookDeliveryError extends PipelineError {
  constructor(
    message: string,
    readonly kind: StoreErrorKind,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, { cause: options?.cause, retriable: kind !== "fatal" });
  }
}

/**
 * Posts alerts to a webhook (Slack-compatible JSON) with an `Idempotency-Key` of the alert id.
 *
 * @example
 * ```ts ignore
 * const hook = new WebhookClient({ url: "https://hooks.slack.com/services/…", onDeadLetter });
 * hook.send(alert);       // returns at once; false when the queue was full
 * await hook.flush();     // waits for the queue to drain
 * await hook.close();
 * ```
 */
export class WebhookClient {
  readonly name = "webhook";
  readonly config: WebhookClientConfig;
  readonly #clock: Clock;
  readonly #fetch: typeof fetch;
  readonly #random: () => number;
  readonly #onDeadLetter: (letter: DeadLetter) => void;
  readonly #metrics: SinkMetrics;
  readonly #deadCounter: { inc(): void } | undefined;
  readonly #log: Logger;
  readonly #queue: Alert[] = [];
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  #closed = false;
  #delivered = 0;
  #retries = 0;
  #dead = 0;

  constructor(options: WebhookClientOptions) {
    this.config = resolveWebhookConfig(options);
    this.#clock = options.clock ?? systemClock;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#random = options.random ?? Math.random;
    this.#onDeadLetter = options.onDeadLetter ?? (() => {});
    this.#metrics = new SinkMetrics(options.registry, "webhook");
    this.#deadCounter = deadLetterCounter(options.registry);
    this.#log = (options.logger ?? silentLogger).child("webhook");
  }

  /** Delivery counters. */
  get stats(): WebhookStats {
    return {
      queued: this.#queue.length,
      delivered: this.#delivered,
      retries: this.#retries,
      deadLettered: this.#dead,
    };
  }

  /**
   * Queues an alert for delivery and returns at once: true when queued, false when the queue was
   * full (or the client closed) and the alert went to dead letters instead.
   */
  send(alert: Alert): boolean {
    if (this.#closed || this.#queue.length >= this.config.queueCapacity) {
      const why = this.#closed ? "client closed" : `queue full (${this.config.queueCapacity})`;
      this.#deadLetter(alert, `webhook: ${why}`);
      return false;
    }
    this.#queue.push(alert);
    this.#running ??= this.#drain();
    return true;
  }

  /** Store-style batch entry point: queues every alert; resolves without waiting for delivery. */
  writeAlerts(alerts: readonly Alert[]): Promise<void> {
    for (const a of alerts) this.send(a);
    return Promise.resolve();
  }

  /** Resolves once every queued alert was delivered or dead-lettered. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops: abandons retries in progress and dead-letters what is still queued. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort(new Error("webhook client closed"));
    await this.flush();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length) {
        const alert = this.#queue[0];
        if (this.#closed) this.#deadLetter(alert, "webhook: client closed before delivery");
        else await this.#deliver(alert);
        this.#queue.shift();
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #deliver(alert: Alert): Promise<void> {
    const body = JSON.stringify(webhookPayload(alert));
    // Each delay keeps between half and all of the exponential step: `random()` draws the part kept.
    const backoff = new Backoff(
      { initialMs: this.config.backoffMs, maxMs: this.config.maxBackoffMs, factor: 2, jitter: 0.5 },
      () => 1 - this.#random(),
    );
    for (let attempt = 0;; attempt++) {
      const t0 = this.#clock.monotonic();
      try {
        await this.#post(alert.id, body);
        this.#delivered++;
        this.#metrics.written("alerts", 1, (this.#clock.monotonic() - t0) / 1000);
        return;
      } catch (err) {
        const e = err instanceof WebhookDeliveryError
          ? err
          : new WebhookDeliveryError(String(err), "transient", undefined, { cause: err });
        this.#metrics.failed(e.kind);
        if (this.#closed || e.kind === "fatal" || attempt >= this.config.maxRetries) {
          const tries = attempt + 1;
          this.#deadLetter(alert, `webhook: ${e.message} (after ${tries} attempt(s))`);
          return;
        }
        this.#retries++;
        const wait = this.#backoff(backoff, e.retryAfterMs);
        this.#log.warn("delivery failed, retrying", { id: alert.id, wait, error: e.message });
        try {
          await this.#clock.sleep(wait, this.#abort.signal);
        } catch { /* closed: the loop dead-letters on the next pass */ }
      }
    }
  }

  /**
   * The wait before retry `attempt` of a delivery: a server's Retry-After, else exponential backoff
   * with jitter; capped at `maxBackoffMs` either way.
   */
  #backoff(backoff: Backoff, retryAfterMs: number | undefined): number {
    const delay = backoff.next();
    return retryAfterMs === undefined ? delay : Math.min(retryAfterMs, this.config.maxBackoffMs);
  }

  async #post(id: string, body: string): Promise<void> {
    const timeout = new AbortController();
    const onClose = () => timeout.abort();
    this.#abort.signal.addEventListener("abort", onClose);
    const timer = this.#clock.setTimeout(() => timeout.abort(), this.config.timeoutMs);
    let res: Response;
    try {
      res = await this.#fetch(this.config.url, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": id },
        body,
        signal: timeout.signal,
      });
      await res.body?.cancel();
    } catch (err) {
      const timedOut = timeout.signal.aborted && !this.#abort.signal.aborted;
      throw new WebhookDeliveryError(
        // Fetch errors can quote the URL (Deno 2.9.6 in the cause only, other versions in the
        // message): the webhook's secret path must reach neither the logs nor the dead letters.
        timedOut
          ? `no response within ${this.config.timeoutMs} ms`
          : redactIn(String(err), this.config.url, { path: false }),
        timedOut ? "timeout" : "transient",
        undefined,
        { cause: err },
      );
    } finally {
      this.#clock.clearTimeout(timer);
      this.#abort.signal.removeEventListener("abort", onClose);
    }
    if (res.ok) return;
    const retry = RETRY_STATUS(res.status);
    throw new WebhookDeliveryError(
      `HTTP ${res.status}`,
      retry ? "transient" : "fatal",
      retry ? parseRetryAfter(res.headers.get("retry-after"), this.#clock.now()) : undefined,
    );
  }

  #deadLetter(alert: Alert, detail: string): void {
    this.#dead++;
    this.#deadCounter?.inc();
    this.#log.error("alert not delivered", { id: alert.id, detail });
    const letter: DeadLetter = {
      reason: "delivery_failed",
      detail,
      raw: JSON.stringify(alert),
      source: "webhook",
      ts: this.#clock.now(),
    };
    try {
      this.#onDeadLetter(letter);
    } catch (err) {
      this.#log.error("dead-letter callback failed", { err });
    }
  }
}

function deadLetterCounter(registry: Registry | undefined): { inc(): void } | undefined {
  if (!registry) return undefined;
  return counter(registry, {
    name: "pipeline_dead_letters_total",
    help: "Rejected input by reason",
    labelNames: ["reason"],
  }).labels({ reason: "delivery_failed" });
}
