/**
 * Issue #15: every secret option may be read from the file its `<VAR>_FILE` names (Docker and
 * Kubernetes secrets are files); the file is granted to the pipeline exactly.
 * @module
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load_config.ts";
import {
  FILE_SUFFIX,
  type OptionName,
  OPTIONS,
  type OptionSpec,
} from "../../src/config/options.ts";
import { parseOptions, withoutFinalNewline } from "../../src/config/parsed_options.ts";
import { npmPackageDirs, permissionFlags, workerCodeDirs } from "../../src/config/permissions.ts";

const SECRETS = (Object.entries(OPTIONS) as [OptionName, OptionSpec<unknown>][])
  .filter(([, spec]) => spec.secret);

/** A fake file system: `files[path]` or ENOENT. */
const fakeFiles = (files: Record<string, string>) => (path: string) => {
  const text = files[path];
  if (text === undefined) throw new Deno.errors.NotFound(`No such file or directory: ${path}`);
  return text;
};

/** A value each secret option parses. */
function sampleValue(name: OptionName): string {
  if (name.endsWith("-url")) {
    return name === "database-url"
      ? "postgres://app:pw@db:5432/x"
      : name === "redis-url"
      ? "rediss://:pw@cache:6380"
      : "https://user:pw@host:8443";
  }
  return " s3cret with blanks ";
}

Deno.test("parseOptions() reads every secret option from <VAR>_FILE, dropping one final newline", () => {
  assert.ok(SECRETS.length >= 8, SECRETS.map(([n]) => n).join());
  for (const [name, spec] of SECRETS) {
    const errors: string[] = [];
    const value = sampleValue(name);
    const parsed = parseOptions({
      flags: new Map(),
      env: (v) => (v === `${spec.env}${FILE_SUFFIX}` ? "/run/secrets/x" : undefined),
      dotenv: new Map(),
      readFile: fakeFiles({ "/run/secrets/x": `${value}\n` }),
    }, errors);
    assert.deepEqual(errors, [], name);
    assert.deepEqual(parsed.values[name], spec.parse(value), name);
    assert.equal(parsed.origin(name), `${spec.env}_FILE`);
    assert.deepEqual(parsed.files, ["/run/secrets/x"]);
  }
});

Deno.test("withoutFinalNewline() drops exactly one line break", () => {
  assert.equal(withoutFinalNewline("pw\n"), "pw");
  assert.equal(withoutFinalNewline("pw\r\n"), "pw");
  assert.equal(withoutFinalNewline("pw\n\n"), "pw\n");
  assert.equal(withoutFinalNewline("pw "), "pw ");
});

Deno.test("loadConfig() refuses <VAR> and <VAR>_FILE set together, without echoing either", () => {
  const env: Record<string, string> = {
    KAFKA_SASL_PASSWORD: "hunter2",
    KAFKA_SASL_PASSWORD_FILE: "/run/secrets/pw",
    PARTITIONS: "0",
  };
  const r = loadConfig({
    args: [],
    env: (n) => env[n],
    readFile: fakeFiles({ "/run/secrets/pw": "hunter3" }),
  });
  assert.equal(r.kind, "error");
  if (r.kind !== "error") return;
  assert.deepEqual(r.errors, [
    "invalid PARTITIONS: expected 1..1024, received 0",
    "KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: give the value or the file, not both",
  ]);
  assert.ok(!r.errors.join("\n").includes("hunter"));
  const dotenv = "DATABASE_URL=postgres://a@b/c\nDATABASE_URL_FILE=/x\n";
  const both = loadConfig({ args: [], env: () => undefined, dotenv });
  assert.deepEqual(both.kind === "error" && both.errors, [
    "DATABASE_URL and DATABASE_URL_FILE are both set in .env: give the value or the file, not both",
  ]);
});

Deno.test("loadConfig() keeps the precedence: flag > environment (<VAR> or <VAR>_FILE) > .env", () => {
  const files = fakeFiles({ "/s/url": "redis://from-file:6379\n" });
  const env = (n: string) => (n === "REDIS_URL_FILE" ? "/s/url" : undefined);
  const dotenv = "REDIS_URL=redis://from-dotenv:6379\n";
  const r = loadConfig({ args: [], env, dotenv, readFile: files });
  assert.equal(r.kind === "ok" && r.config.storage.redisUrl, "redis://from-file:6379");
  const flag = loadConfig({ args: ["--redis-url=redis://flag:6379"], env, readFile: files });
  assert.equal(flag.kind === "ok" && flag.config.storage.redisUrl, "redis://flag:6379");
  assert.deepEqual(flag.kind === "ok" && flag.config.files, [], "a flag's value reads no file");
  const inDotenv = loadConfig({
    args: [],
    env: () => undefined,
    dotenv: "REDIS_URL_FILE=/s/url\n",
    readFile: files,
  });
  assert.equal(
    inDotenv.kind === "ok" && inDotenv.config.storage.redisUrl,
    "redis://from-file:6379",
  );
  const empty = loadConfig({ args: [], env: (n) => (n === "REDIS_URL_FILE" ? "" : undefined) });
  assert.equal(empty.kind === "ok" && empty.config.storage.redisUrl, null, "empty _FILE: unset");
});

Deno.test("loadConfig() reports an unreadable <VAR>_FILE, a path it cannot grant, and a bad value", () => {
  const env: Record<string, string> = {
    DATABASE_URL_FILE: "/run/secrets/missing",
    REDIS_URL_FILE: "/a,/etc/shadow",
    CLICKHOUSE_URL_FILE: "/run/secrets/ch",
  };
  const r = loadConfig({
    args: [],
    env: (n) => env[n],
    readFile: fakeFiles({ "/run/secrets/ch": "ftp://user:topsecret@host\n" }),
  });
  assert.equal(r.kind, "error");
  if (r.kind !== "error") return;
  assert.equal(r.errors.length, 3, r.errors.join("\n"));
  assert.match(r.errors[0], /^invalid DATABASE_URL_FILE: cannot read "\/run\/secrets\/missing"/);
  assert.equal(r.errors[1], "invalid CLICKHOUSE_URL_FILE: malformed value");
  assert.match(r.errors[2], /^invalid REDIS_URL_FILE: a path with a comma/);
  assert.ok(!r.errors.join("\n").includes("topsecret"));
});

Deno.test("options: no secret's <VAR>_FILE is another option's variable", () => {
  const envs = new Set(Object.values(OPTIONS).map((o) => o.env));
  for (const [name, spec] of SECRETS) {
    assert.ok(!envs.has(`${spec.env}${FILE_SUFFIX}`), name);
  }
});

Deno.test("permissionFlags() grants each file the configuration was read from, exactly", () => {
  const files: Record<string, string> = {
    "secrets/pw": "pw\n",
    "/etc/ssl/kafka-ca.pem": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
  };
  const env: Record<string, string> = {
    KAFKA_BROKERS: "b:9093",
    KAFKA_TLS: "true",
    KAFKA_TLS_CA_FILE: "/etc/ssl/kafka-ca.pem",
    KAFKA_SASL_MECHANISM: "scram-sha-512",
    KAFKA_SASL_USERNAME: "app",
    KAFKA_SASL_PASSWORD_FILE: "secrets/pw",
  };
  const r = loadConfig({
    args: ["--sqlite=", "--http=off"],
    env: (n) => env[n],
    readFile: fakeFiles(files),
  });
  assert.equal(r.kind, "ok", JSON.stringify(r));
  if (r.kind !== "ok") return;
  assert.deepEqual(r.config.files, ["secrets/pw", "/etc/ssl/kafka-ca.pem"]);
  const flags = permissionFlags(r.config, { cwd: "/proj", exists: () => true });
  const read = flags.find((f) => f.startsWith("--allow-read="))!.slice("--allow-read=".length);
  // The code: the window worker's modules and the npm packages (the platformatic producer's
  // WebAssembly file).
  const code = new Set([...workerCodeDirs(), ...npmPackageDirs()]);
  assert.deepEqual(read.split(",").filter((p) => !code.has(p)), [
    "/etc/ssl/kafka-ca.pem",
    "/proj/secrets/pw",
  ]);
});
