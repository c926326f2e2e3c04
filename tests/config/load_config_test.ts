import assert from "node:assert/strict";
import { helpText, loadConfig } from "../../src/config/load_config.ts";
import { OPTIONS } from "../../src/config/options.ts";

const noEnv = () => undefined;

Deno.test("loadConfig() with nothing set gives the embedded defaults", () => {
  const r = loadConfig({ args: [], env: noEnv });
  assert.equal(r.kind, "ok");
  if (r.kind !== "ok") return;
  const c = r.config;
  assert.deepEqual(c.sources, ["simulator"]);
  assert.equal(c.role, "all");
  assert.deepEqual(c.intervals, ["1m", "5m", "1h"]);
  assert.equal(c.windows.allowedLatenessMs, 2000);
  assert.equal(c.windows.lateUpdateWindowMs, 60_000);
  assert.equal(c.bus.partitions, 6);
  assert.equal(c.storage.sqlitePath, "data/pipeline.db");
  assert.equal(c.storage.storeTicks, true);
  assert.deepEqual(c.http, { hostname: "127.0.0.1", port: 9464 });
  assert.equal(c.kafkaBrokers, null);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.storage), "the config is frozen");
});

Deno.test("loadConfig(): an empty SYMBOLS is no allow-list (compose passes SYMBOLS= when unset)", () => {
  const r = loadConfig({ args: [], env: (n) => (n === "SYMBOLS" ? "" : undefined) });
  assert.equal(r.kind, "ok");
  if (r.kind !== "ok") return;
  assert.equal(r.config.symbols, null, "an empty allow-list would refuse every tick");
});

Deno.test("loadConfig() takes flags over environment over .env over defaults", () => {
  const env: Record<string, string> = { PARTITIONS: "8", INTERVALS: "5m" };
  const dotenv = "PARTITIONS=3\nINTERVALS=1h\nLOG_LEVEL=debug\n# comment\nALLOWED_LATENESS='5s'\n";
  const r = loadConfig({ args: ["--partitions=12"], env: (n) => env[n], dotenv });
  assert.equal(r.kind, "ok");
  if (r.kind !== "ok") return;
  assert.equal(r.config.bus.partitions, 12, "flag wins");
  assert.deepEqual(r.config.intervals, ["5m"], "environment beats .env");
  assert.equal(r.config.logLevel, "debug", ".env beats default");
  assert.equal(r.config.windows.allowedLatenessMs, 5000);
});

Deno.test("loadConfig() reports every error at once", () => {
  const r = loadConfig({
    args: [
      "--partitions",
      "0",
      "--intervals=1x",
      "--bogus",
      "--http=nowhere",
      "--source=replay,ftp",
      "--allowed-lateness=soon",
      "stray",
    ],
    env: (n) => (n === "DATABASE_URL" ? "mysql://secret@host/db" : undefined),
  });
  assert.equal(r.kind, "error");
  if (r.kind !== "error") return;
  const text = r.errors.join("\n");
  for (
    const part of [
      "--partitions",
      "--intervals",
      "--bogus",
      "--http",
      "--source",
      "--allowed-lateness",
      "stray",
      "DATABASE_URL",
    ]
  ) {
    assert.ok(text.includes(part), `an error mentions ${part}:\n${text}`);
  }
  assert.ok(!text.includes("secret"), "secrets are not echoed");
  assert.equal(r.errors.length, 8);
});

Deno.test("loadConfig() checks rules that span options", () => {
  const r = loadConfig({ args: ["--source", "replay", "--role", "process"], env: noEnv });
  assert.equal(r.kind, "error");
  if (r.kind !== "error") return;
  assert.equal(r.errors.length, 2, r.errors.join("\n"));
  assert.match(r.errors.join("\n"), /needs --replay-file/);
  assert.match(r.errors.join("\n"), /needs --kafka-brokers/);
  const exit = loadConfig({ args: ["--exit-at-end"], env: noEnv });
  assert.equal(exit.kind, "error", "--exit-at-end with the live simulator is refused");
});

Deno.test("loadConfig() understands boolean forms and replay settings", () => {
  const r = loadConfig({
    args: [
      "--source=replay",
      "--replay-file",
      "x.ndjson",
      "--exit-at-end",
      "--no-store-ticks",
      "--replay-speed",
      "10",
      "--http",
      "off",
    ],
    env: noEnv,
  });
  assert.equal(r.kind, "ok", JSON.stringify(r));
  if (r.kind !== "ok") return;
  assert.equal(r.config.replay.exitAtEnd, true);
  assert.equal(r.config.storage.storeTicks, false);
  assert.equal(r.config.replay.speed, 10);
  assert.equal(r.config.http, null);
});

Deno.test("--help lists every option with its environment variable and default", () => {
  const r = loadConfig({ args: ["--help"], env: noEnv });
  assert.equal(r.kind, "help");
  const text = helpText();
  for (const [name, spec] of Object.entries(OPTIONS)) {
    assert.ok(text.includes(`--${name}`), name);
    assert.ok(text.includes(spec.env), spec.env);
  }
});

Deno.test("loadConfig() reads --max-line-bytes / MAX_LINE_BYTES for the replay, 1 MiB by default", () => {
  const replay = ["--source=replay", "--replay-file=x.ndjson"];
  const def = loadConfig({ args: replay, env: noEnv });
  assert.equal(def.kind === "ok" && def.config.replay.maxLineBytes, 1_048_576);
  const env = loadConfig({
    args: replay,
    env: (k) => k === "MAX_LINE_BYTES" ? "65536" : undefined,
  });
  assert.equal(env.kind === "ok" && env.config.replay.maxLineBytes, 65_536);
  const bad = loadConfig({ args: [...replay, "--max-line-bytes=10"], env: noEnv });
  assert.equal(bad.kind, "error");
  assert.match(JSON.stringify(bad), /max-line-bytes/);
});

Deno.test("loadConfig() reads integers as decimal digits only (no 0x10, 1e3, 0b11)", () => {
  for (const raw of ["0x10", "1e3", "0b11", "12.0", "+4", " "]) {
    const r = loadConfig({ args: [`--partitions=${raw}`], env: () => undefined });
    assert.equal(r.kind, "error", `--partitions=${raw}`);
  }
  const ok = loadConfig({ args: ["--partitions= 12 "], env: () => undefined });
  assert.ok(ok.kind === "ok" && ok.config.bus.partitions === 12);
});

Deno.test("loadConfig(): off and empty disable both SQLite and HTTP", () => {
  for (const off of ["off", ""]) {
    const r = loadConfig({ args: [`--sqlite=${off}`, `--http=${off}`], env: () => undefined });
    assert.ok(r.kind === "ok", JSON.stringify(r));
    assert.equal(r.config.storage.sqlitePath, null, `--sqlite=${off}`);
    assert.equal(r.config.http, null, `--http=${off}`);
  }
});

Deno.test("loadConfig(): --kafka-producer-client / KAFKA_PRODUCER_CLIENT picks the producer's client, platformatic by default", () => {
  const ok = (args: string[], env: Record<string, string>) => {
    const r = loadConfig({ args, env: (n) => env[n] });
    assert.equal(r.kind, "ok");
    return r.kind === "ok" ? [r.config.kafka.client, r.config.kafka.producerClient] : undefined;
  };
  assert.deepEqual(ok([], {}), ["kafkajs", "platformatic"]);
  assert.deepEqual(ok([], { KAFKA_PRODUCER_CLIENT: "kafkajs" }), ["kafkajs", "kafkajs"]);
  assert.deepEqual(
    ok(["--kafka-producer-client=platformatic", "--kafka-client=platformatic"], {
      KAFKA_PRODUCER_CLIENT: "kafkajs",
    }),
    ["platformatic", "platformatic"],
  );
  const r = loadConfig({ args: ["--kafka-producer-client=rdkafka"], env: noEnv });
  assert.equal(r.kind, "error");
  if (r.kind !== "error") return;
  assert.match(
    r.errors.join("\n"),
    /--kafka-producer-client.*expected one of kafkajs, platformatic, received "rdkafka"/,
  );
});

Deno.test("loadConfig(): --kafka-client / KAFKA_CLIENT picks the Kafka client, kafkajs by default", () => {
  const ok = (args: string[], env: Record<string, string>) => {
    const r = loadConfig({ args, env: (n) => env[n] });
    assert.equal(r.kind, "ok");
    return r.kind === "ok" ? r.config.kafka.client : undefined;
  };
  assert.equal(ok([], {}), "kafkajs");
  assert.equal(ok([], { KAFKA_CLIENT: "platformatic" }), "platformatic");
  assert.equal(ok(["--kafka-client=kafkajs"], { KAFKA_CLIENT: "platformatic" }), "kafkajs");
  const r = loadConfig({
    args: ["--kafka-client=librdkafka", "--partitions=0"],
    env: noEnv,
  });
  assert.equal(r.kind, "error");
  if (r.kind !== "error") return;
  assert.equal(r.errors.length, 2, "a bad client is reported with the other errors");
  const text = r.errors.join("\n");
  assert.match(
    text,
    /--kafka-client.*expected one of kafkajs, platformatic, received "librdkafka"/,
  );
});
