/**
 * Where dead letters go that do not come from a stage: the alerts the webhook client could not
 * deliver, and messages the actor runtime gave up on (failed K times, or left in the mailbox of
 * an actor stopped hard). Both can only be routed once the sinks exist, but are produced by
 * things built before them (the stores, the actor system): the relay is built first and
 * connected to the routes when they exist.
 * @module
 */
import type { Clock } from "../clock.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import type { DeadLetterEnvelope } from "../runtime/system.ts";
import type { RecordKind } from "../../actors/sinks/sink_message.ts";
import type { DeliverySpool } from "./delivery_spool.ts";
import type { GiveUpLedger } from "./give_up_ledger.ts";
import { deadLetterOf } from "./messaging.ts";
import type { SinkRoutes } from "./sink_routes.ts";
import { recordJson } from "../market/record_json.ts";

/** Routes dead letters produced outside the stages; see the module documentation. */
export class DeadLetterRelay {
  readonly #ledger: GiveUpLedger;
  readonly #clock: Clock;
  #routes: SinkRoutes | null = null;
  /** Letters from before the routes existed (none in practice: nothing flows yet). */
  #early: DeadLetter[] = [];

  readonly #spool: DeliverySpool | undefined;

  /** `spool`: where a sink's rows the runtime gave up on are kept for the next start. */
  constructor(ledger: GiveUpLedger, clock: Clock, spool?: DeliverySpool) {
    this.#spool = spool;
    this.#ledger = ledger;
    this.#clock = clock;
  }

  /** The routes exist: what arrived before goes out now. */
  connect(routes: SinkRoutes): void {
    this.#routes = routes;
    if (this.#early.length) void routes.keepDeadLetters(this.#early.splice(0));
  }

  /** A dead letter from the webhook client (which counts it in its own metric). */
  webhook = (letter: DeadLetter): void => {
    if (letter.reason === "delivery_failed") {
      this.#ledger.record(`sink-${letter.source}`, "alerts", 1, letter.detail);
    }
    this.#keep([letter]);
  };

  /**
   * A message the runtime gave up on. A barrier waiting on it fails instead of hanging. Data is
   * counted in the ledger and kept as dead letters: a sink's rows as dead letters of their own
   * (the other stores keep them), ticks as one dead letter each. Control messages (a crash report,
   * a timer) carry no data: logged only, by the runtime. Neither are Kafka record batches and
   * the candles a Kafka partition's stage derived from them (`replayable`): a partition's stage
   * gives up messages only when it failed or a stop ran out of time, and in both cases nothing
   * after them is committed, so the partition's next owner (this member, rejoined, after a
   * failure) reads them again.
   */
  runtime = (letter: DeadLetterEnvelope): void => {
    const m = letter.message as
      | {
        kind?: unknown;
        rows?: unknown;
        fail?: unknown;
        symbol?: unknown;
        price?: unknown;
        replayable?: unknown;
      }
      | null;
    if (typeof m?.fail === "function") (m.fail as (e: unknown) => void)(letter.error);
    if (m?.replayable === true) return;
    const rows = Array.isArray(m?.rows) && m.kind !== "warmup" ? m.rows as unknown[] : null;
    if (letter.actor.startsWith("sink-")) {
      if (rows === null || typeof m?.kind !== "string") return; // a barrier: failed above
      this.#ledger.record(letter.actor, m.kind, rows.length, letter.error);
      this.#spool?.keep(letter.actor.slice("sink-".length), m.kind as RecordKind, rows);
      const detail = `${letter.actor}: ${(letter.error as Error)?.message ?? letter.error}`;
      this.#keep(
        m.kind === "dead_letters" ? rows as DeadLetter[] : rows.map((row) => ({
          reason: "delivery_failed",
          detail,
          raw: recordJson(row),
          source: letter.actor,
          ts: this.#clock.now(),
        })),
      );
      return;
    }
    const isTick = typeof m?.symbol === "string" && typeof m?.price === "number";
    if (rows === null && !isTick) return;
    // Actor names end in a partition number: the family keeps the metric's labels bounded.
    const family = letter.actor.replace(/-\d+$/, "");
    const kind = rows === null ? "ticks" : String(m?.kind);
    this.#ledger.record(family, kind, rows?.length ?? 1, letter.error);
    const dead = deadLetterOf(letter.actor, letter.message, letter.error, this.#clock);
    if (this.#routes) void this.#routes.deadLetters([dead]);
    else this.#early.push(dead);
  };

  #keep(letters: DeadLetter[]): void {
    if (this.#routes) void this.#routes.keepDeadLetters(letters);
    else this.#early.push(...letters);
  }
}
