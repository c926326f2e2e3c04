import assert from "node:assert/strict";
import { Backoff } from "../../src/connectors/backoff.ts";
import { FeedMetrics } from "../../src/feeds/feed_metrics.ts";
import { runWebSocketLoop, type WsLoopOptions } from "../../src/feeds/ws_connection.ts";
import { startFakeWsServer } from "../helpers/fake_venues/ws_server.ts";
import { startBlackHole } from "../helpers/fake_venues/black_hole.ts";
import { FEED_WAIT, metric, reconnect, type TestDeps, testDeps, waitForSleep } from "./helpers.ts";
import { pollUntil } from "../helpers/services.ts";

function options(
  deps: TestDeps,
  url: string,
  over: Partial<WsLoopOptions> = {},
): WsLoopOptions {
  return {
    url,
    clock: deps.clock,
    logger: deps.logger,
    metrics: new FeedMetrics(deps.registry, "test", deps.clock),
    backoff: new Backoff({ initialMs: 1_000, maxMs: 8_000, factor: 2, jitter: 0 }),
    idleTimeoutMs: 30_000,
    connectTimeoutMs: 5_000,
    maxConnectionAgeMs: 0,
    stableAfterMs: 60_000,
    maxQueuedFrames: 100,
    onFrame: () => {},
    ...over,
  };
}

/**
 * Runs the loop on fresh test deps against `venue` while `body` runs; then aborts it, waits for
 * its end and closes the venue. Returns the deps, for metrics asserted after the stop.
 */
async function withLoop(
  o: { url: string; venue: { close(): Promise<void> }; over?: Partial<WsLoopOptions> },
  body: (run: { deps: TestDeps; done: Promise<unknown>; abort(): void }) => Promise<void>,
): Promise<TestDeps> {
  const deps = testDeps();
  const ac = new AbortController();
  const loop = options(deps, o.url, o.over);
  const done = runWebSocketLoop(loop, ac.signal);
  try {
    await body({ deps, done, abort: () => ac.abort() });
  } finally {
    ac.abort();
    await done;
    loop.metrics.close();
    await o.venue.close();
  }
  return deps;
}

Deno.test("runWebSocketLoop() awaits the handler in order and reconnects when the queue overflows", async () => {
  const server = startFakeWsServer();
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const deps = await withLoop({
    url: server.url(),
    venue: server,
    over: {
      maxQueuedFrames: 3,
      onFrame: async (text) => {
        seen.push(text);
        if (text === "0") await gate;
      },
    },
  }, async ({ deps }) => {
    await pollUntil("connection", () => server.connections.length === 1, FEED_WAIT);
    for (let i = 0; i < 5; i++) server.broadcast(String(i));
    await pollUntil("overflow close", () => !server.connections[0].isOpen, FEED_WAIT);
    release();
    await waitForSleep(deps.clock, 1);
    assert.deepEqual(
      seen,
      ["0", "1", "2", "3"],
      "frames already queued are still handled, in order",
    );
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", { source: "test", kind: "overflow" }),
    1,
  );
});

Deno.test("runWebSocketLoop() rejects when the handler throws (a fatal output failure)", async () => {
  const server = startFakeWsServer();
  const deps = testDeps();
  const o = options(deps, server.url(), {
    onFrame: () => {
      throw new Error("bus closed");
    },
  });
  const done = runWebSocketLoop(o, new AbortController().signal);
  try {
    await pollUntil("connection", () => server.connections.length === 1, FEED_WAIT);
    server.broadcast("x");
    await assert.rejects(done, /bus closed/);
  } finally {
    o.metrics.close();
    await server.close();
  }
});

Deno.test("runWebSocketLoop() stops promptly when aborted during the backoff sleep", async () => {
  const server = startFakeWsServer();
  server.refuseNext(1, 500);
  await withLoop({ url: server.url(), venue: server }, async ({ deps, done, abort }) => {
    await waitForSleep(deps.clock, 1);
    abort();
    assert.equal(await done, undefined);
    assert.equal(deps.clock.pending, 0, "no timer left behind");
  });
});

Deno.test("runWebSocketLoop() resets the backoff only after a connection proved stable", async () => {
  const server = startFakeWsServer();
  await withLoop({
    url: server.url(),
    venue: server,
    over: { stableAfterMs: 60_000, idleTimeoutMs: 120_000 },
  }, async ({ deps }) => {
    await pollUntil("connection 1", () => server.connections.length === 1, FEED_WAIT);
    await reconnect(server, deps.clock);
    await reconnect(server, deps.clock);
    deps.clock.advance(60_000);
    server.dropAll();
    await waitForSleep(deps.clock, 3);
    assert.deepEqual(deps.clock.sleeps, [1_000, 2_000, 1_000]);
  });
});

Deno.test("FeedMetrics reports the last message age from the injected clock", async () => {
  const server = startFakeWsServer();
  const frames: string[] = [];
  await withLoop({
    url: server.url(),
    venue: server,
    over: { idleTimeoutMs: 600_000, onFrame: (t) => void frames.push(t) },
  }, async ({ deps }) => {
    const age = () =>
      metric(deps.registry, "pipeline_feed_last_message_age_seconds", { source: "test" });
    await pollUntil("connection", () => server.connections.length === 1, FEED_WAIT);
    deps.clock.advance(4_000);
    assert.equal(await age(), 4, "since start while nothing arrived");
    server.broadcast("hello");
    await pollUntil("frame", () => frames.length === 1, FEED_WAIT);
    deps.clock.advance(2_500);
    assert.equal(await age(), 2.5);
    assert.equal(
      await metric(deps.registry, "pipeline_feed_messages_total", { source: "test" }),
      1,
    );
  });
});

Deno.test("runWebSocketLoop() gives up a handshake after connectTimeoutMs", async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async () => {
    await held;
    return new Response("too late", { status: 503 });
  });
  const deps = await withLoop({
    url: `ws://127.0.0.1:${server.addr.port}/`,
    venue: {
      close: () => {
        release();
        return server.shutdown();
      },
    },
    over: { connectTimeoutMs: 5_000 },
  }, async ({ deps }) => {
    await pollUntil("connect timer", () => deps.clock.pending === 1, FEED_WAIT);
    deps.clock.advance(5_000);
    await waitForSleep(deps.clock, 1);
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "test",
      kind: "connect_timeout",
    }),
    1,
  );
});

Deno.test("runWebSocketLoop() moves on when a dead peer never answers the closing handshake", async () => {
  const hole = startBlackHole();
  const deps = await withLoop({
    url: hole.url,
    venue: hole,
    over: { idleTimeoutMs: 10_000, closeTimeoutMs: 3_000 },
  }, async ({ deps }) => {
    await pollUntil("handshake", () => hole.accepted === 1, FEED_WAIT);
    await pollUntil(
      "connected",
      () => deps.lines.some((l) => l.includes('"msg":"connected"')),
      FEED_WAIT,
    );
    deps.clock.advance(10_000);
    await pollUntil("close-wait timer", () => deps.clock.pending === 1, FEED_WAIT);
    assert.equal(deps.clock.sleeps.length, 0, "still waiting for the closing handshake");
    deps.clock.advance(3_000);
    await waitForSleep(deps.clock, 1);
  });
  assert.ok(deps.lines.some((l) => l.includes("no closing handshake")));
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", { source: "test", kind: "timeout" }),
    1,
  );
});
