import assert from "node:assert/strict";
import type { Clock } from "../../src/clock.ts";
import { WebhookClient } from "../../src/connectors/webhook/webhook_client.ts";
import { WebhookConfigError } from "../../src/connectors/webhook/webhook_config.ts";
import { parseRetryAfter } from "../../src/connectors/retry_after.ts";
import type { Alert } from "../../src/market/alert.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";
import { freePort } from "../helpers/services.ts";

const NOW = Date.UTC(2026, 0, 1, 12);

function alert(id: string): Alert {
  return {
    id,
    venue: "composite",
    symbol: "BTC-USD",
    interval: "1m",
    rule: "price_spike",
    severity: "critical",
    value: 4.2,
    threshold: 3,
    window_start: NOW,
    message: "return z-score 4.2 > 3 <@here> & more",
  };
}

/** A clock whose sleeps return at once and are recorded; timeouts use real timers. */
function recordingClock(): { clock: Clock; sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: {
      now: () => NOW,
      monotonic: () => performance.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as number),
      sleep: (ms, signal) => {
        sleeps.push(ms);
        return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
      },
    },
  };
}

interface Received {
  headers: Headers;
  body: Record<string, unknown>;
}

/** A receiver answering with the scripted responses in turn (then 200). */
async function withReceiver(
  script: (() => Response | Promise<Response>)[],
  fn: (url: string, received: Received[]) => Promise<void>,
) {
  const received: Received[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    received.push({ headers: req.headers, body: await req.json() });
    const next = script.shift();
    return next ? await next() : new Response("ok");
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/hook`, received);
  } finally {
    await server.shutdown();
  }
}

Deno.test("parseRetryAfter() reads delta-seconds and HTTP dates", () => {
  assert.equal(parseRetryAfter("7", NOW), 7000);
  assert.equal(parseRetryAfter(" 0 ", NOW), 0);
  assert.equal(parseRetryAfter(new Date(NOW + 3000).toUTCString(), NOW), 3000);
  assert.equal(parseRetryAfter(new Date(NOW - 3000).toUTCString(), NOW), 0);
  assert.equal(parseRetryAfter(null, NOW), undefined);
  assert.equal(parseRetryAfter("soon", NOW), undefined);
  assert.equal(parseRetryAfter("-5", NOW), undefined);
});

Deno.test("resolveWebhookConfig() reports every problem at once", () => {
  assert.throws(
    () => new WebhookClient({ url: "ftp://x", maxRetries: -1, queueCapacity: 0, x: 1 } as never),
    (err: unknown) => err instanceof WebhookConfigError && err.problems.length === 4,
  );
});

Deno.test("WebhookClient posts Slack-compatible JSON with an Idempotency-Key", async () => {
  await withReceiver([], async (url, received) => {
    const hook = new WebhookClient({ url, clock: recordingClock().clock });
    await hook.writeAlerts([alert("a1")]);
    await hook.flush();
    assert.equal(received.length, 1);
    const [{ headers, body }] = received;
    assert.equal(headers.get("idempotency-key"), "a1");
    assert.equal(headers.get("content-type"), "application/json");
    assert.equal(typeof body.text, "string");
    assert.match(body.text as string, /BTC-USD price_spike/);
    assert.match(body.text as string, /&lt;@here&gt; &amp; more/, "mrkdwn control chars escaped");
    assert.ok(Array.isArray(body.blocks));
    for (const [k, v] of Object.entries(alert("a1"))) assert.deepEqual(body[k], v, k);
    assert.deepEqual(hook.stats, { queued: 0, delivered: 1, retries: 0, deadLettered: 0 });
    await hook.close();
  });
});

Deno.test("WebhookClient retries 5xx with exponential backoff, then delivers", async () => {
  const fail = () => new Response("boom", { status: 503 });
  await withReceiver([fail, fail, fail], async (url, received) => {
    const { clock, sleeps } = recordingClock();
    const hook = new WebhookClient({ url, clock, backoffMs: 100, random: () => 0.999999 });
    hook.send(alert("a1"));
    await hook.flush();
    assert.deepEqual(sleeps, [100, 200, 400]);
    assert.equal(received.length, 4);
    assert.ok(received.every((r) => r.headers.get("idempotency-key") === "a1"));
    assert.deepEqual(hook.stats, { queued: 0, delivered: 1, retries: 3, deadLettered: 0 });
    await hook.close();
  });
});

Deno.test("WebhookClient honours Retry-After in seconds and as an HTTP date, capped", async () => {
  const tooMany = (h: string) => () =>
    new Response("slow down", { status: 429, headers: { "retry-after": h } });
  const script = [tooMany("7"), tooMany(new Date(NOW + 3000).toUTCString()), tooMany("3600")];
  await withReceiver(script, async (url) => {
    const { clock, sleeps } = recordingClock();
    const hook = new WebhookClient({ url, clock, maxBackoffMs: 60_000 });
    hook.send(alert("a1"));
    await hook.flush();
    assert.deepEqual(sleeps, [7000, 3000, 60_000]);
    assert.equal(hook.stats.delivered, 1);
    await hook.close();
  });
});

Deno.test("WebhookClient dead-letters a rejected alert (4xx) without retrying", async () => {
  await withReceiver([() => new Response("bad", { status: 400 })], async (url, received) => {
    const registry = createRegistry();
    const letters: DeadLetter[] = [];
    const { clock, sleeps } = recordingClock();
    const hook = new WebhookClient({ url, clock, registry, onDeadLetter: (l) => letters.push(l) });
    hook.send(alert("a1"));
    await hook.flush();
    assert.equal(received.length, 1);
    assert.deepEqual(sleeps, []);
    assert.equal(letters.length, 1);
    assert.equal(letters[0].reason, "delivery_failed");
    assert.match(letters[0].detail, /HTTP 400/);
    assert.deepEqual(JSON.parse(letters[0].raw), alert("a1"));
    const text = await registry.metrics();
    assert.match(text, /pipeline_dead_letters_total\{reason="delivery_failed"\} 1/);
    assert.match(text, /pipeline_sink_errors_total\{sink="webhook",kind="fatal"\} 1/);
    await hook.close();
  });
});

Deno.test("WebhookClient never blocks on a dead endpoint: overflow and exhausted retries are dead letters", async () => {
  const letters: DeadLetter[] = [];
  const { clock } = recordingClock();
  const hook = new WebhookClient({
    url: `http://127.0.0.1:${freePort()}/nobody-listens`,
    clock,
    maxRetries: 2,
    queueCapacity: 3,
    onDeadLetter: (l) => letters.push(l),
  });
  const accepted = [1, 2, 3, 4, 5].map((k) => hook.send(alert(`a${k}`)));
  assert.deepEqual(accepted, [true, true, true, false, false]);
  assert.deepEqual(letters.map((l) => JSON.parse(l.raw).id), ["a4", "a5"]);
  await hook.flush();
  assert.equal(letters.length, 5);
  assert.ok(letters.slice(2).every((l) => /after 3 attempt/.test(l.detail)), letters[2].detail);
  assert.deepEqual(hook.stats, { queued: 0, delivered: 0, retries: 6, deadLettered: 5 });
  await hook.close();
});

Deno.test("WebhookClient times out a stalled endpoint and dead-letters after retries", async () => {
  const { promise: release, resolve } = Promise.withResolvers<void>();
  const stall = () => release.then(() => new Response("late"));
  await withReceiver([stall, stall], async (url) => {
    const letters: DeadLetter[] = [];
    const { clock } = recordingClock();
    const hook = new WebhookClient({
      url,
      clock,
      timeoutMs: 100,
      maxRetries: 1,
      onDeadLetter: (l) => letters.push(l),
    });
    hook.send(alert("a1"));
    await hook.flush();
    assert.equal(letters.length, 1);
    assert.match(letters[0].detail, /no response within 100 ms/);
    await hook.close();
    resolve();
  });
});

Deno.test("WebhookClient.close() dead-letters what is still queued", async () => {
  const { promise: release, resolve } = Promise.withResolvers<void>();
  await withReceiver([() => release.then(() => new Response("late"))], async (url) => {
    const letters: DeadLetter[] = [];
    const hook = new WebhookClient({
      url,
      clock: recordingClock().clock,
      onDeadLetter: (l) => letters.push(l),
    });
    hook.send(alert("a1"));
    hook.send(alert("a2"));
    await hook.close();
    assert.deepEqual(letters.map((l) => JSON.parse(l.raw).id), ["a1", "a2"]);
    assert.equal(hook.send(alert("a3")), false);
    resolve();
  });
});
