import assert from "node:assert/strict";
import { redactIn, redactUrl, shownUrl } from "../../src/connectors/redact_url.ts";
import { WebhookClient } from "../../src/connectors/webhook/webhook_client.ts";
import { resolvePostgresConfig } from "../../src/connectors/postgres/postgres_config.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";

Deno.test("redactUrl() hides passwords and secret query values, keeps what helps", () => {
  assert.equal(
    redactUrl("postgres://app:s3cret@db:5432/crypto"),
    "postgres://app:***@db:5432/crypto",
  );
  assert.equal(redactUrl("redis://:s3cret@cache:6379/0"), "redis://:***@cache:6379/0");
  assert.equal(
    redactUrl("postgres://app@db/crypto?sslmode=require&password=s3cret"),
    "postgres://app@db/crypto?sslmode=require&password=***",
  );
  assert.equal(redactUrl("postgres:app:s3cret@db/crypto"), "postgres:app:***@db/crypto");
  assert.equal(redactUrl("http://127.0.0.1:8123"), "http://127.0.0.1:8123");
});

Deno.test("redactUrl() without path hides a webhook's token path", () => {
  const slack = "https://hooks.slack.com/services/T0/B0/S3CRET";
  assert.equal(redactUrl(slack, { path: false }), "https://hooks.slack.com/***");
  assert.equal(redactUrl("http:hooks/S3CRET", { path: false }), "http:***");
  assert.equal(
    redactIn(`error sending request for url (${slack})`, slack, { path: false }),
    "error sending request for url (https://hooks.slack.com/***)",
  );
  assert.equal(shownUrl(42), "42");
});

Deno.test("connector option errors do not echo a password", () => {
  assert.throws(
    () => resolvePostgresConfig({ url: "postgresql:app:s3cret@db/crypto" }),
    (e: unknown) => !(e as Error).message.includes("s3cret") && /app:\*\*\*@/.test(`${e}`),
  );
});

Deno.test("WebhookClient dead letters never quote the webhook's secret URL", async () => {
  const url = "https://hooks.example.invalid/services/T0/B0/S3CRET";
  const letters: DeadLetter[] = [];
  const hook = new WebhookClient({
    url,
    maxRetries: 0,
    onDeadLetter: (l) => letters.push(l),
    // What fetch says when it cannot connect, URL included (older Deno versions, most runtimes).
    fetch: (input) => Promise.reject(new TypeError(`error sending request for url (${input})`)),
  });
  hook.send({
    id: "a1",
    venue: "composite",
    symbol: "BTC-USD",
    interval: "1m",
    rule: "price_spike",
    severity: "critical",
    value: 4,
    threshold: 3,
    window_start: 0,
    message: "m",
  });
  await hook.flush();
  await hook.close();
  assert.equal(letters.length, 1);
  assert.ok(!letters[0].detail.includes("S3CRET"), letters[0].detail);
  assert.match(letters[0].detail, /hooks\.example\.invalid\/\*\*\*/);
});
