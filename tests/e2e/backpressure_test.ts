import assert from "node:assert/strict";
import type { Store } from "../../src/connectors/store.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { Tick } from "../../src/market/tick.ts";
import { expectedCandles, generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";
import { sqliteCount } from "../helpers/sqlite_dump.ts";
import { runToEnd, startTestPipeline } from "../helpers/test_pipeline.ts";

/** A store whose writes hang until the test opens the gate: a store that stopped answering. */
class GateStore implements Store {
  readonly name = "gate";
  readonly ticks = new Map<string, Tick>();
  readonly candles = new Map<string, Candle>();
  writes = 0;
  #open!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.#open = resolve));
  open() {
    this.#open();
  }
  migrate() {
    return Promise.resolve();
  }
  async writeTicks(rows: readonly Tick[]) {
    this.writes++;
    await this.#gate;
    for (const t of rows) this.ticks.set(`${t.source}|${t.symbol}|${t.id}`, t);
  }
  async writeCandles(rows: readonly Candle[]) {
    this.writes++;
    await this.#gate;
    for (const c of rows) {
      const key = `${c.venue}|${c.symbol}|${c.interval}|${c.window_start}`;
      if ((this.candles.get(key)?.version ?? 0) < c.version) this.candles.set(key, c);
    }
  }
  close() {
    return Promise.resolve();
  }
}

Deno.test("backpressure: a store that stops answering stalls the source, bounds every mailbox, loses nothing", async () => {
  const dir = await Deno.makeTempDir();
  const fixture = generateReplay({
    seed: 9,
    ticks: 40_000,
    symbols: ["BTC-USD", "ETH-USD", "SOL-USD"],
    start: Date.UTC(2026, 0, 1),
    gapMs: 100,
  });
  await Deno.writeTextFile(`${dir}/t.ndjson`, fixture.lines.join("\n"));
  const store = new GateStore();
  let progress = 0;
  const pipeline = await startTestPipeline([
    "--source=replay",
    `--replay-file=${dir}/t.ndjson`,
    "--sqlite=",
    "--http=off",
    "--bus-capacity=16",
    "--partitions=2",
  ], {
    extraStores: [store],
    onReplayProgress: (read, total) => (progress = read / total),
  });
  try {
    const gauge = async (name: string) => {
      const m = (await pipeline.registry.getMetricsAsJSON()).find((m) => m.name === name)!;
      return new Map(m.values.map((v) => [String(v.labels.actor), v.value]));
    };
    const mailboxes = () => gauge("pipeline_actor_mailbox_size");
    // The store hangs: the sink's mailbox fills, then the analytics and aggregator mailboxes,
    // then the replay waits on the bus.
    await pollUntil(
      "the aggregators to fill up",
      async () => {
        const sizes = await mailboxes();
        return sizes.get("aggregator-0") === 16 || sizes.get("aggregator-1") === 16;
      },
      20000,
      5,
    );
    let drained = false;
    pipeline.drained.then(() => (drained = true));
    const sizes = await mailboxes();
    const capacities = await gauge("pipeline_actor_mailbox_capacity");
    assert.equal(capacities.get("aggregator-0"), 16);
    for (const [actor, size] of sizes) {
      const cap = capacities.get(actor)!;
      assert.ok(size <= cap, `${actor} holds ${size} ≤ ${cap}`);
    }
    assert.ok(progress < 1, `the replay is held back (read ${Math.round(progress * 100)} %)`);
    assert.equal(drained, false);
    assert.equal(store.ticks.size, 0, "nothing written while the store hangs");

    store.open();
    await pipeline.drained;
    const distinct = new Set(fixture.valid.map((t) => `${t.source}|${t.symbol}|${t.id}`));
    assert.equal(store.ticks.size, distinct.size, "every tick arrived");
    const expected = expectedCandles(fixture.valid, {
      partitions: 2,
      intervals: ["1m", "5m", "1h"],
      latenessMs: 2000,
      lateUpdateMs: 60_000,
    });
    assert.equal(store.candles.size, expected.length, "every candle arrived");
    for (const c of expected) {
      const key = `${c.venue}|${c.symbol}|${c.interval}|${c.window_start}`;
      assert.deepEqual(store.candles.get(key), c);
    }
    const metrics = await pipeline.registry.metrics();
    assert.match(
      metrics,
      /pipeline_actor_blocked_seconds_total\{actor="aggregator-\d"\} [1-9e0-9.]*[1-9]/,
    );
  } finally {
    store.open();
    await pipeline.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("restart on an existing database: stored rows stay, a second replay adds nothing", async () => {
  const dir = await Deno.makeTempDir();
  const fixture = generateReplay({
    seed: 3,
    ticks: 5000,
    symbols: ["BTC-USD"],
    start: Date.UTC(2026, 0, 1),
    gapMs: 300,
  });
  await Deno.writeTextFile(`${dir}/t.ndjson`, fixture.lines.join("\n"));
  const run = () =>
    runToEnd([
      "--source=replay",
      `--replay-file=${dir}/t.ndjson`,
      `--sqlite=${dir}/p.db`,
      "--http=off",
    ]);
  await run();
  const count = () =>
    ["ticks", "candles", "indicators", "alerts", "dead_letters", "schema_migrations"]
      .map((t) => sqliteCount(`${dir}/p.db`, t));
  const first = count();
  assert.ok(first[0] > 0 && first[1] > 0);
  await run();
  assert.deepEqual(count(), first);
  await Deno.remove(dir, { recursive: true });
});
