/**
 * Small helpers for sending between stages: fan-out to several sinks, and the dead letter of a
 * message the runtime gave up on.
 * @module
 */
import type { RecordBatch, RecordKind, SinkMessage } from "../../actors/sinks/sink_message.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import type { ActorRef } from "../runtime/actor_ref.ts";
import type { Clock } from "../clock.ts";
import { recordJson } from "../market/record_json.ts";

/** Sends `rows` of `kind` to every ref; the result is a promise only when one of them is full. */
export function fanOut<T>(refs: readonly ActorRef<SinkMessage>[], kind: RecordKind) {
  return (rows: T[]): void | Promise<void> => {
    if (rows.length === 0 || refs.length === 0) return;
    let waits: Promise<void>[] | null = null;
    for (const ref of refs) {
      const pending = ref.tell({ kind, rows } as RecordBatch);
      if (pending) (waits ??= []).push(pending);
    }
    if (waits) return Promise.all(waits).then(() => {});
  };
}

/** The dead letter for a message the runtime gave up on. */
export function deadLetterOf(
  actor: string,
  message: unknown,
  error: unknown,
  clock: Clock,
): DeadLetter {
  let raw: string;
  try {
    raw = recordJson(message)?.slice(0, 65_536) ?? String(message);
  } catch {
    raw = String(message);
  }
  return {
    reason: "delivery_failed",
    detail: `${actor}: ${(error as Error)?.message ?? String(error)}`,
    raw,
    source: actor,
    ts: clock.now(),
  };
}
