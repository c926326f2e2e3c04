/**
 * The dead-letter relay: what the runtime gives up is counted and kept where it is a loss, and
 * not where the input is read again (a Kafka partition's records and the candles derived from
 * them, which a failed or hard-stopped stage leaves uncommitted).
 */
import assert from "node:assert/strict";
import { DeadLetterRelay } from "../../src/pipeline/dead_letter_relay.ts";
import { GiveUpLedger } from "../../src/pipeline/give_up_ledger.ts";
import type { SinkRoutes } from "../../src/pipeline/sink_routes.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import { systemClock } from "../../src/clock.ts";

function relayWithRoutes() {
  const ledger = new GiveUpLedger();
  const relay = new DeadLetterRelay(ledger, systemClock);
  const dead: DeadLetter[] = [];
  const routes = {
    deadLetters: (rows: DeadLetter[]) => void dead.push(...rows),
    keepDeadLetters: (rows: DeadLetter[]) => void dead.push(...rows),
  } as unknown as SinkRoutes;
  relay.connect(routes);
  return { relay, ledger, dead };
}

const candle = { symbol: "BTC-USD", interval: "1m", windowStart: 0 };
const error = new Error("stage failed");

Deno.test("dead-letter relay: candles given up by an embedded stage are a loss, counted and kept", () => {
  const { relay, ledger, dead } = relayWithRoutes();
  relay.runtime({
    actor: "analytics-2",
    message: { kind: "candles", rows: [candle] },
    error,
    attempts: 3,
  });
  assert.equal(ledger.total, 1);
  assert.equal(dead.length, 1);
  assert.equal(dead[0].source, "analytics-2");
});

Deno.test("dead-letter relay: a Kafka stage's replayable candles and record batches are not a loss", () => {
  const { relay, ledger, dead } = relayWithRoutes();
  relay.runtime({
    actor: "analytics-2",
    message: { kind: "candles", rows: [candle, candle], replayable: true },
    error,
    attempts: 0,
  });
  relay.runtime({
    actor: "aggregator-2",
    message: { kind: "records", records: {}, processed: () => {}, rejected: () => {} },
    error,
    attempts: 1,
  });
  assert.equal(ledger.total, 0);
  assert.deepEqual(dead, []);
});

Deno.test("dead-letter relay: a barrier given up fails instead of hanging, replayable or not", async () => {
  const { relay } = relayWithRoutes();
  const waiting = Promise.withResolvers<void>();
  relay.runtime({
    actor: "analytics-1",
    message: { kind: "flush", fail: waiting.reject, done: waiting.resolve },
    error,
    attempts: 0,
  });
  await assert.rejects(waiting.promise, /stage failed/);
});
