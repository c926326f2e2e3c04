import assert from "node:assert/strict";
import { Backoff } from "../../src/connectors/backoff.ts";
import { FeedMetrics } from "../../src/feeds/feed_metrics.ts";
import { runWebSocketLoop, type WsLoopOptions } from "../../src/feeds/ws_connection.ts";
import { startFakeWsServer } from "../helpers/fake_venues/ws_server.ts";
import { startBlackHole } from "../helpers/fake_venues/black_hole.ts";
import { metric, testDeps } from "./helpers.ts";
import { pollUntil } from "../helpers/services.ts";

function options(
  deps: ReturnType<typeof testDeps>,
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

Deno.test("runWebSocketLoop() awaits the handler in order and reconnects when the queue overflows", async () => {
  const server = startFakeWsServer();
  const deps = testDeps();
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const ac = new AbortController();
  const o = options(deps, server.url(), {
    maxQueuedFrames: 3,
    onFrame: async (text) => {
      seen.push(text);
      if (text === "0") await gate;
    },
  });
  const done = runWebSocketLoop(o, ac.signal);
  try {
    await pollUntil("connection", () => server.connections.length === 1, 5000, 5);
    for (let i = 0; i < 5; i++) server.broadcast(String(i));
    await pollUntil("overflow close", () => !server.connections[0].isOpen, 5000, 5);
    release();
    await pollUntil("backoff", () => deps.clock.sleeps.length === 1, 5000, 5);
    assert.deepEqual(
      seen,
      ["0", "1", "2", "3"],
      "frames already queued are still handled, in order",
    );
  } finally {
    ac.abort();
    await done;
    o.metrics.close();
    await server.close();
  }
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
    await pollUntil("connection", () => server.connections.length === 1, 5000, 5);
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
  const deps = testDeps();
  const ac = new AbortController();
  const o = options(deps, server.url());
  const done = runWebSocketLoop(o, ac.signal);
  try {
    await pollUntil("backoff", () => deps.clock.sleeps.length === 1, 5000, 5);
    ac.abort();
    assert.equal(await done, undefined);
    assert.equal(deps.clock.pending, 0, "no timer left behind");
  } finally {
    o.metrics.close();
    await server.close();
  }
});

Deno.test("runWebSocketLoop() resets the backoff only after a connection proved stable", async () => {
  const server = startFakeWsServer();
  const deps = testDeps();
  const ac = new AbortController();
  const o = options(deps, server.url(), { stableAfterMs: 60_000, idleTimeoutMs: 120_000 });
  const done = runWebSocketLoop(o, ac.signal);
  try {
    await pollUntil("connection 1", () => server.connections.length === 1, 5000, 5);
    server.dropAll();
    await pollUntil("sleep 1", () => deps.clock.sleeps.length === 1, 5000, 5);
    deps.clock.advance(1_000);
    await pollUntil("connection 2", () => server.connections.length === 2, 5000, 5);
    server.dropAll();
    await pollUntil("sleep 2", () => deps.clock.sleeps.length === 2, 5000, 5);
    deps.clock.advance(2_000);
    await pollUntil("connection 3", () => server.connections.length === 3, 5000, 5);
    deps.clock.advance(60_000);
    server.dropAll();
    await pollUntil("sleep 3", () => deps.clock.sleeps.length === 3, 5000, 5);
    assert.deepEqual(deps.clock.sleeps, [1_000, 2_000, 1_000]);
  } finally {
    ac.abort();
    await done;
    o.metrics.close();
    await server.close();
  }
});

Deno.test("FeedMetrics reports the last message age from the injected clock", async () => {
  const server = startFakeWsServer();
  const deps = testDeps();
  const ac = new AbortController();
  const frames: string[] = [];
  const o = options(deps, server.url(), {
    idleTimeoutMs: 600_000,
    onFrame: (t) => void frames.push(t),
  });
  const done = runWebSocketLoop(o, ac.signal);
  const age = () =>
    metric(deps.registry, "pipeline_feed_last_message_age_seconds", { source: "test" });
  try {
    await pollUntil("connection", () => server.connections.length === 1, 5000, 5);
    deps.clock.advance(4_000);
    assert.equal(await age(), 4, "since start while nothing arrived");
    server.broadcast("hello");
    await pollUntil("frame", () => frames.length === 1, 5000, 5);
    deps.clock.advance(2_500);
    assert.equal(await age(), 2.5);
    assert.equal(
      await metric(deps.registry, "pipeline_feed_messages_total", { source: "test" }),
      1,
    );
  } finally {
    ac.abort();
    await done;
    o.metrics.close();
    await server.close();
  }
});

Deno.test("runWebSocketLoop() gives up a handshake after connectTimeoutMs", async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async () => {
    await held;
    return new Response("too late", { status: 503 });
  });
  const deps = testDeps();
  const ac = new AbortController();
  const o = options(deps, `ws://127.0.0.1:${server.addr.port}/`, { connectTimeoutMs: 5_000 });
  const done = runWebSocketLoop(o, ac.signal);
  try {
    await pollUntil("connect timer", () => deps.clock.pending === 1, 5000, 5);
    deps.clock.advance(5_000);
    await pollUntil("backoff", () => deps.clock.sleeps.length === 1, 5000, 5);
  } finally {
    ac.abort();
    await done;
    o.metrics.close();
    release();
    await server.shutdown();
  }
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
  const deps = testDeps();
  const ac = new AbortController();
  const o = options(deps, hole.url, { idleTimeoutMs: 10_000, closeTimeoutMs: 3_000 });
  const done = runWebSocketLoop(o, ac.signal);
  try {
    await pollUntil("handshake", () => hole.accepted === 1, 5000, 5);
    await pollUntil(
      "connected",
      () => deps.lines.some((l) => l.includes('"msg":"connected"')),
      5000,
      5,
    );
    deps.clock.advance(10_000);
    await pollUntil("close-wait timer", () => deps.clock.pending === 1, 5000, 5);
    assert.equal(deps.clock.sleeps.length, 0, "still waiting for the closing handshake");
    deps.clock.advance(3_000);
    await pollUntil("backoff", () => deps.clock.sleeps.length === 1, 5000, 5);
  } finally {
    ac.abort();
    await done;
    o.metrics.close();
    await hole.close();
  }
  assert.ok(deps.lines.some((l) => l.includes("no closing handshake")));
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", { source: "test", kind: "timeout" }),
    1,
  );
});
