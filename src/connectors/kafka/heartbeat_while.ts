/**
 * Keeps a consumer-group member alive while its handler works. kafkajs heartbeats only between
 * batches, so a batch whose sink is slower than the session timeout would cost the member its
 * partitions and start a rebalance storm; this heartbeats on a timer until the work settles.
 * @module
 */
import type { Clock } from "../../clock.ts";

/**
 * Awaits `work`, calling `heartbeat` every `intervalMs` meanwhile. A heartbeat failure (e.g. the
 * group is rebalancing) stops the heartbeats and is rethrown once `work` has settled, so kafkajs
 * sees it and rejoins; a failure of `work` itself wins.
 *
 * @example
 * ```ts
 * import { heartbeatWhile } from "./heartbeat_while.ts";
 * import { systemClock } from "../../clock.ts";
 * let beats = 0;
 * await heartbeatWhile(new Promise((r) => setTimeout(r, 30)), async () => void beats++, 10, systemClock);
 * ```
 */
export async function heartbeatWhile(
  work: Promise<void>,
  heartbeat: () => Promise<void>,
  intervalMs: number,
  clock: Clock,
): Promise<void> {
  let heartbeatError: unknown;
  let timer: unknown;
  let settled = false;
  const beat = () => {
    if (settled) return;
    timer = clock.setTimeout(() => {
      heartbeat().then(beat, (error) => (heartbeatError = error));
    }, intervalMs);
  };
  beat();
  try {
    await work;
  } finally {
    settled = true;
    clock.clearTimeout(timer);
  }
  if (heartbeatError !== undefined) throw heartbeatError;
}
