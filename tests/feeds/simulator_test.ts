import assert from "node:assert/strict";
import type { Clock } from "../../src/clock.ts";
import { createSimulator, DEFAULT_SIMULATED_SYMBOLS } from "../../src/feeds/simulator.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import type { Tick } from "../../src/market/tick.ts";
import { TickParser } from "../../src/market/tick_parser.ts";

const START = Date.UTC(2026, 10, 27, 12, 0, 0);
const fixedClock: Clock = {
  now: () => START,
  monotonic: () => 0,
  setTimeout: () => 0,
  clearTimeout: () => {},
  sleep: () => Promise.resolve(),
};

async function collect(seed: number, maxTicks: number): Promise<Tick[]> {
  const ticks: Tick[] = [];
  const sim = createSimulator({ seed, ticksPerSecond: 3, maxTicks, paced: false }, {
    clock: fixedClock,
  });
  await sim.run(
    { tick: (t) => void ticks.push(t), deadLetter: () => {} },
    new AbortController().signal,
  );
  return ticks;
}

Deno.test("simulator: the same seed gives the same ticks, another seed others", async () => {
  const a = await collect(7, 5000);
  const b = await collect(7, 5000);
  const c = await collect(8, 5000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.slice(0, 50), c.slice(0, 50));
});

Deno.test("simulator: ticks are valid, ordered, unique, at realistic levels for every symbol", async () => {
  const ticks = await collect(42, 30_000);
  assert.ok(ticks.length > 29_000, "few ticks are skipped by silences");
  const parser = new TickParser({ now: () => START });
  const ids = new Set<string>();
  let prevTs = -Infinity;
  for (const t of ticks) {
    const r = parser.validate(t);
    assert.ok(r.ok, `valid: ${JSON.stringify(t)} ${!r.ok && r.detail}`);
    assert.ok(t.ts >= prevTs, "event time never goes back");
    prevTs = t.ts;
    const key = `${t.symbol}/${t.id}`;
    assert.ok(!ids.has(key), `unique id ${key}`);
    ids.add(key);
  }
  for (const spec of DEFAULT_SIMULATED_SYMBOLS) {
    const mine = ticks.filter((t) => t.symbol === spec.symbol);
    assert.ok(mine.length > 1000, `${spec.symbol} ticks`);
    const last = mine.at(-1)!.price;
    assert.ok(
      last > spec.price / 2 && last < spec.price * 2,
      `${spec.symbol} stays near its level`,
    );
  }
  // The warm-up history ends at the start time; ticks are spaced ~1/30 s apart.
  assert.ok(ticks[0].ts >= START - 45 * 60_000 && ticks[0].ts < START - 44 * 60_000);
});

Deno.test("simulator: stops promptly when aborted while pacing", async () => {
  let now = START;
  const clock: Clock = {
    ...fixedClock,
    now: () => now,
    sleep: (_ms, signal) =>
      new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason))),
  };
  const abort = new AbortController();
  const dead: DeadLetter[] = [];
  const ticks: Tick[] = [];
  const sim = createSimulator({ seed: 1, ticksPerSecond: 3, warmupMs: 0 }, { clock });
  const running = sim.run(
    { tick: (t) => void ticks.push(t), deadLetter: (d) => void dead.push(d) },
    abort.signal,
  );
  now = START; // the first tick lies in the future: the simulator waits
  abort.abort(new Error("stop"));
  await running;
  assert.equal(dead.length, 0);
});
