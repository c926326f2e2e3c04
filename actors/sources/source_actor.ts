/**
 * The source actor: runs one feed (simulator, replay, exchange client) under supervision. The
 * feed's own loop does the work; the actor gives it a lifecycle: started → run, stopping → abort
 * and wait, and a failure of the loop becomes a failure of the actor, so the supervisor restarts
 * it with backoff (live feeds) or escalates (a finite replay must not silently start over).
 * @module
 */
import type { Source, TickOutput } from "../../src/feeds/source.ts";
import type { Actor, ActorContext, Props, SupervisionOptions } from "../../src/runtime/mod.ts";

/** Messages the feed's loop sends to its own actor. */
export type SourceMessage =
  | { readonly kind: "ended" }
  | { readonly kind: "failed"; readonly error: unknown };

/** Configuration of a source actor. */
export interface SourceActorConfig {
  /** Restart the feed after a failure (live feeds). False escalates (replays). */
  readonly restartable: boolean;
  /** How long stopping() waits for the feed to close its connections. Default 5 s. */
  readonly stopTimeoutMs?: number;
}

/** Props of the actor running `source`. `onEnd` runs when a finite feed has delivered all. */
export function sourceActorProps(
  source: Source,
  config: SourceActorConfig,
  deps: { output: TickOutput; onEnd?: () => void },
): Props<SourceMessage> {
  const supervision: SupervisionOptions = config.restartable
    ? { decide: () => "restart", maxRestarts: 20, withinMs: 10 * 60_000 }
    : { decide: () => "escalate" };
  return {
    name: `source-${source.name}`,
    factory: () => new SourceActor(source, config, deps),
    mailbox: { capacity: 4 },
    supervision,
  };
}

class SourceActor implements Actor<SourceMessage> {
  readonly #source: Source;
  readonly #config: SourceActorConfig;
  readonly #deps: { output: TickOutput; onEnd?: () => void };
  readonly #abort = new AbortController();
  #running: Promise<void> | null = null;

  constructor(
    source: Source,
    config: SourceActorConfig,
    deps: { output: TickOutput; onEnd?: () => void },
  ) {
    this.#source = source;
    this.#config = config;
    this.#deps = deps;
  }

  started(ctx: ActorContext<SourceMessage>): void {
    ctx.log.info("feed starting", { source: this.#source.name });
    this.#running = this.#source.run(this.#deps.output, this.#abort.signal).then(
      () => {
        if (!this.#abort.signal.aborted) ctx.tellSelf({ kind: "ended" });
      },
      (error) => {
        if (!this.#abort.signal.aborted) ctx.tellSelf({ kind: "failed", error });
      },
    );
  }

  receive(message: SourceMessage, ctx: ActorContext<SourceMessage>): void {
    if (message.kind === "failed") throw message.error;
    ctx.log.info("feed ended", { source: this.#source.name });
    this.#deps.onEnd?.();
  }

  async stopping(ctx: ActorContext<SourceMessage>): Promise<void> {
    this.#abort.abort(new Error("stopping"));
    if (!this.#running) return;
    const timeout = this.#config.stopTimeoutMs ?? 5000;
    let timer: unknown;
    const expired = new Promise<void>((resolve) => {
      timer = ctx.clock.setTimeout(() => {
        ctx.log.warn("feed did not stop in time", { source: this.#source.name, timeout });
        resolve();
      }, timeout);
    });
    await Promise.race([this.#running, expired]);
    ctx.clock.clearTimeout(timer);
  }

  restarted(error: unknown, ctx: ActorContext<SourceMessage>): void {
    ctx.log.warn("feed restarted after failure", { source: this.#source.name, error });
    this.started(ctx);
  }
}
