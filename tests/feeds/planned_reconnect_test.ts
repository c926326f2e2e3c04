/**
 * Planned reconnects are make-before-break (issue #19): a venue that keeps streaming on the old
 * connection after announcing its end, and on both connections during the overlap, loses no
 * trade and repeats none.
 */
import assert from "node:assert/strict";
import { createBinanceSource, resolveBinanceConfig } from "../../src/feeds/binance.ts";
import { binanceTrade, startFakeBinance } from "../helpers/fake_venues/binance.ts";
import type { FakeWsConnection } from "../helpers/fake_venues/ws_server.ts";
import { pollUntil } from "../helpers/services.ts";
import { FEED_WAIT, metric, T0, withFeed } from "./helpers.ts";

const trade = (id: number) => binanceTrade({ id, time: T0 + id });
const sendRange = (conn: FakeWsConnection, from: number, to: number) => {
  for (let id = from; id <= to; id++) conn.send(trade(id));
};
const ids = (ticks: { id: string }[]) => ticks.map((t) => Number(t.id)).sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Drives one planned reconnect (`announce` starts it) and checks every trade arrives once. */
async function overlap(
  announce: (old: FakeWsConnection, clock: { advance(ms: number): void }) => void,
) {
  const server = startFakeBinance();
  const deps = await withFeed({
    venue: server,
    source: (deps) =>
      createBinanceSource({ url: server.url("/stream"), idleTimeoutMs: 25 * 3_600_000 }, deps),
  }, async ({ deps, out }) => {
    await pollUntil("connection 1", () => server.connections.length === 1, FEED_WAIT);
    const old = server.connections[0];
    sendRange(old, 1, 5);
    await pollUntil("trades 1–5", () => out.ticks.length === 5, FEED_WAIT);
    announce(old, deps.clock);
    // The venue keeps streaming on the old connection after its announcement.
    sendRange(old, 6, 8);
    await pollUntil("the next connection", () => server.connections.length === 2, FEED_WAIT);
    const next = server.connections[1];
    await pollUntil("trades 6–8 from the old connection", () => out.ticks.length === 8, FEED_WAIT);
    assert.equal(old.isOpen, true, "the old connection is read until the next one delivers");
    // The overlap: 9–12 on the old connection, 9–14 on the new one.
    sendRange(old, 9, 12);
    sendRange(next, 9, 14);
    await pollUntil("the old connection closed by the client", () => !old.isOpen, FEED_WAIT);
    sendRange(next, 15, 20);
    await pollUntil("trade 20", () => out.ticks.some((t) => t.id === "20"), FEED_WAIT);
    assert.deepEqual(ids(out.ticks), range(20), "every trade exactly once");
    assert.equal(deps.clock.sleeps.length, 0, "a planned reconnect does not back off");
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_reconnects_total", { source: "binance" }),
    1,
  );
  const dups = await metric(deps.registry, "pipeline_duplicate_ticks_total", {
    source: "binance",
  });
  assert.ok(dups >= 1, `the overlap's repeats were dropped as duplicates (${dups})`);
}

Deno.test("Binance serverShutdown: the old connection is read until the new one delivers; every trade once", async () => {
  await overlap((old) =>
    old.send(JSON.stringify({ stream: "btcusdt@trade", data: { e: "serverShutdown", E: T0 } }))
  );
});

Deno.test("Binance 24 h limit: the planned reconnect overlaps the two connections; every trade once", async () => {
  const age = resolveBinanceConfig().maxConnectionAgeMs;
  await overlap((_old, clock) => clock.advance(age));
});
