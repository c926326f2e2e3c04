/**
 * Issue #13 items 10, 11 and 13: every invalid setting in one report — option values, rules that
 * span options, the selected feeds' and the connectors' own checks, the replay file.
 * @module
 */
import assert from "node:assert/strict";
import { type ConfigInputs, loadConfig } from "../../src/config/load_config.ts";
import type { FileKind } from "../../src/config/replay_file_checks.ts";

const noEnv = () => undefined;

/** The loader's errors for `args` (an ok result is a test failure naming the args). */
function errorsOf(args: string[], more: Partial<ConfigInputs> = {}): string[] {
  const r = loadConfig({ args, env: noEnv, ...more });
  assert.equal(r.kind, "error", `expected errors for ${args.join(" ")}`);
  return r.kind === "error" ? [...r.errors] : [];
}

/** A probe that finds `kinds[path]`, and "file" for anything else. */
const probe = (kinds: Record<string, FileKind>) => (path: string) => ({
  kind: kinds[path] ?? "file" as FileKind,
});

Deno.test("loadConfig() reports a rule spanning options together with bad values", () => {
  // Before: the missing replay file only showed once --partitions was fixed.
  assert.deepEqual(errorsOf(["--source", "replay", "--partitions", "0"]), [
    "invalid --partitions: expected 1..1024, received 0",
    "--source replay needs --replay-file (REPLAY_FILE)",
  ]);
});

Deno.test("loadConfig() skips a rule whose option was already reported invalid", () => {
  const errors = errorsOf(["--source=replay", "--replay-file=a,b.ndjson"]);
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0], /^invalid --replay-file: a path with a comma/);
});

Deno.test("loadConfig() refuses intervals the candle stage would refuse at start-up", () => {
  const [dup] = errorsOf(["--intervals", "1s,60s,1m"]);
  assert.match(dup, /^invalid --intervals: .*"1m" repeats "60s"/);
  const [huge] = errorsOf(["--intervals", "99999999999999999999d"]);
  assert.match(huge, /^invalid --intervals: .*out of range: 1 to 999999 of a unit/);
  const r = loadConfig({ args: ["--intervals", "5m,1m,999999d"], env: noEnv });
  assert.equal(r.kind, "ok", JSON.stringify(r));
  if (r.kind === "ok") assert.deepEqual(r.config.intervals, ["5m", "1m", "999999d"], "as given");
});

Deno.test("loadConfig() takes a boolean flag's next word as its value and checks it", () => {
  assert.deepEqual(
    errorsOf(["--source=replay", "--replay-file=x.ndjson", "--exit-at-end", "maybe"]),
    [
      'invalid --exit-at-end: expected true or false, received "maybe"',
    ],
  );
  const r = loadConfig({
    args: ["--source=replay", "--replay-file=x.ndjson", "--exit-at-end", "--store-ticks", "no"],
    env: noEnv,
  });
  assert.equal(r.kind, "ok", JSON.stringify(r));
  if (r.kind !== "ok") return;
  assert.equal(r.config.replay.exitAtEnd, true, "followed by an option: true");
  assert.equal(r.config.storage.storeTicks, false);
});

Deno.test("loadConfig() bounds --replay-speed to 0.001..1000000 (or max)", () => {
  for (const bad of ["1e-300", "0.0009", "1000001", "1e308", "0", "-1"]) {
    const [error] = errorsOf(["--replay-speed", bad]);
    assert.match(error, /^invalid --replay-speed: expected 0\.001\.\.1000000, received/, bad);
  }
  for (const [raw, speed] of [["0.001", 0.001], ["1e6", 1e6], ["60", 60], ["max", "max"]]) {
    const r = loadConfig({ args: [`--replay-speed=${raw}`], env: noEnv });
    assert.equal(r.kind === "ok" && r.config.replay.speed, speed, String(raw));
  }
});

Deno.test("loadConfig() runs the connectors' own checks; URLs in messages are redacted", () => {
  const errors = errorsOf([
    "--kafka-brokers=localhost",
    "--database-url=postgres:app:s3cret@db/crypto",
    "--clickhouse-url=http:clickhouse",
    "--redis-url=redis:cache",
    "--alert-webhook-url=http:hooks.slack.com/services/T0/B0/S3CRET",
    "--partitions=0",
  ]);
  assert.deepEqual(errors, [
    "invalid --partitions: expected 1..1024, received 0",
    'invalid --kafka-brokers: brokers: "localhost" is not host:port',
    'invalid --database-url: url must be a postgres:// URL, received "postgres:app:***@db/crypto"',
    'invalid --clickhouse-url: url must be an http(s):// URL, received "http:clickhouse"',
    'invalid --redis-url: url must be a redis:// or rediss:// URL, received "redis:cache"',
    'invalid --alert-webhook-url: url must be an http(s):// URL, received "http:***"',
  ]);
  assert.ok(!errors.join("\n").includes("s3cret") && !errors.join("\n").includes("S3CRET"));
});

Deno.test("loadConfig() reports a selected feed's bad option with the others", () => {
  const errors = errorsOf(["--source=kraken", "--kraken-symbols=btcusd", "--bus-capacity=1"]);
  assert.equal(errors.length, 2, errors.join("\n"));
  assert.match(errors.join("\n"), /--bus-capacity/);
  assert.match(errors.join("\n"), /--source kraken: option "symbols" has "btcusd"/);
});

Deno.test("loadConfig() keeps the selected feeds' configs resolved, defaults applied", () => {
  const r = loadConfig({ args: ["--source=kraken", "--kraken-symbols=SOL-USD"], env: noEnv });
  assert.equal(r.kind, "ok", JSON.stringify(r));
  if (r.kind !== "ok") return;
  assert.deepEqual(r.config.feeds.kraken.symbols, ["SOL-USD"]);
  assert.equal(r.config.feeds.kraken.url, "wss://ws.kraken.com/v2", "the default URL, resolved");
});

Deno.test("loadConfig() checks the replay file with the injected probe", () => {
  const args = (file: string) => ["--source=replay", `--replay-file=${file}`];
  const kinds = probe({ "gone.ndjson": "missing", "ticks": "directory", "fifo": "stream" });
  assert.deepEqual(errorsOf(args("gone.ndjson"), { probeFile: kinds }), [
    'invalid --replay-file: no such file "gone.ndjson"',
  ]);
  assert.deepEqual(errorsOf(args("ticks"), { probeFile: kinds }), [
    'invalid --replay-file: "ticks" is a directory, not a file',
  ]);
  const fifo = loadConfig({ args: args("fifo"), env: noEnv, probeFile: kinds });
  assert.equal(fifo.kind, "ok", `a pipe can be replayed: ${JSON.stringify(fifo)}`);
  const fromEnv = loadConfig({
    args: ["--source=replay"],
    env: (n) => (n === "REPLAY_FILE" ? "gone.ndjson" : undefined),
    probeFile: kinds,
  });
  assert.deepEqual(fromEnv.kind === "error" && fromEnv.errors, [
    'invalid REPLAY_FILE: no such file "gone.ndjson"',
  ]);
  assert.equal(loadConfig({ args: args("ok.ndjson"), env: noEnv, probeFile: kinds }).kind, "ok");
});

Deno.test("loadConfig() refuses a CSV replay file whose name has no symbol", () => {
  assert.deepEqual(errorsOf(["--source=replay", "--replay-file=dumps/trades.CSV"]), [
    "invalid --replay-file: a trade-dump CSV is named after its symbol " +
    '(like BTCUSDT-trades-2024-01-01.csv), no symbol in "trades.CSV"',
  ]);
  const ok = loadConfig({
    args: ["--source=replay", "--replay-file=dumps/BTCUSDT-trades-2024-01-01.csv"],
    env: noEnv,
  });
  assert.equal(ok.kind, "ok", JSON.stringify(ok));
});

Deno.test("loadConfig() refuses paths Deno's permission lists cannot express", () => {
  const errors = errorsOf([
    "--source=replay",
    "--replay-file",
    "a,/etc/shadow",
    "--sqlite=data/x\n.db",
  ]);
  assert.equal(errors.length, 2, errors.join("\n"));
  assert.match(errors[0], /^invalid --replay-file: a path with a comma.*"a,\/etc\/shadow"/);
  assert.match(errors[1], /^invalid --sqlite: a path with a comma, line break/);
  const spaced = loadConfig({ args: ["--source=replay", "--replay-file=a b.ndjson"], env: noEnv });
  assert.equal(spaced.kind, "ok", "a space is fine");
});
