/**
 * The barrier: the one protocol by which a stage learns that everything it sent downstream is
 * durable. Every stage's message union includes {@linkcode Barrier}; its meaning is written once,
 * here:
 *
 * - A stage that receives a barrier first hands on everything it received before it, then passes
 *   a barrier of the same kind downstream, and calls `done` when that one completes — or `fail`
 *   when it can no longer complete (a stage stopped, a write was given up). It does not hold the
 *   messages after the barrier while it waits: the downstream mailboxes keep the order.
 * - `flush` (end of input, shutdown): a stage also emits what it holds open — a window stage its
 *   open windows — and stores write what they buffer at once.
 * - `sync` (periodic, e.g. before an offset commit): nothing is emitted early; a store completes
 *   the barrier with its next regular write, so periodic barriers never cut batches short.
 *
 * The stores' sinks are where barriers end: they call `done` once every row sent before it is
 * acknowledged by the store.
 * @module
 */
import type { ActorRef } from "../src/runtime/actor_ref.ts";

/** What kind of barrier (see the module documentation). */
export type BarrierKind = "flush" | "sync";

/** A barrier message. */
export interface Barrier {
  readonly kind: BarrierKind;
  /** Everything sent before the barrier is durable. */
  readonly done: () => void;
  /** It can no longer become durable (the error says why). */
  readonly fail: (error: unknown) => void;
}

/** Whether `message` is a barrier. */
export function isBarrier(message: { readonly kind?: unknown }): message is Barrier {
  return message.kind === "flush" || message.kind === "sync";
}

/**
 * Sends a barrier to `ref` and resolves once it completed (rejects when it failed, or when `ref`
 * no longer takes messages).
 *
 * @example
 * ```ts
 * import { createActorSystem } from "../src/runtime/system.ts";
 * import { type Barrier, barrier } from "./barrier.ts";
 * const system = createActorSystem();
 * const sink = system.spawn<Barrier>({
 *   name: "sink",
 *   mailbox: { capacity: 8 },
 *   factory: () => ({ receive: (b) => b.done() }),
 * });
 * await barrier(sink, "flush");
 * await system.shutdown();
 * ```
 */
export function barrier(ref: ActorRef<Barrier>, kind: BarrierKind = "flush"): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    try {
      const pending = ref.tell({ kind, done: resolve, fail: reject });
      if (pending) pending.catch(reject);
    } catch (e) {
      reject(e);
    }
  });
}

/**
 * Passes `b` on: `downstream` is the barrier sent to the next stages; `b` completes or fails with
 * it. Not awaited by the caller (see the module documentation).
 */
export function passOn(b: Barrier, downstream: Promise<void>): void {
  downstream.then(b.done, b.fail);
}
