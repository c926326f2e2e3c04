/**
 * `compose.yaml`, the Dockerfile and `.env.example`, checked without Docker: `docker-compose
 * config` with and without a `.env`, pinned images, loopback-only ports, the Grafana ↔ plugin
 * pair, memory, shutdown and health-check settings, topics in one place, secrets. What the
 * services do when run is tests/deploy/compose_parity_test.ts.
 * @module
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { loadConfig } from "../../src/config/load_config.ts";
import { effectiveHeapLimitMb } from "../../src/config/memory_limit.ts";
import { OPTIONS } from "../../src/config/options.ts";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import { requireTool, run } from "../monitoring/tools.ts";
import {
  bytesOf,
  type ComposeFile,
  envVars,
  loadCompose,
  loadDockerfile,
  msOf,
  pipelineServices,
  REPO,
} from "./compose_file.ts";

/** What the pipeline's main adds to --shutdown-timeout before it exits regardless (src/main.ts). */
const BACKSTOP_MS = 5000;
const PASSWORDS = [
  "POSTGRES_PASSWORD",
  "CH_PASSWORD",
  "REDIS_PASSWORD",
  "GRAFANA_ADMIN_PASSWORD",
];
/** An `.env` a user might write: every password set, a few settings changed. */
const OVERRIDE = new Map([
  ...PASSWORDS.map((p, i) => [p, `pw${i}-0123456789abcdef`] as [string, string]),
  ["PROCESS_REPLICAS", "3"],
  ["GRAFANA_PORT", "3300"],
  ["TOPIC_PARTITIONS", "12"],
  ["PIPELINE_SYMBOLS", "BTC-USD,ETH-USD"],
  ["POSTGRES_USER", "desk"],
]);

async function composeConfig(
  envFile?: string,
): Promise<{ code: number; config: ComposeFile; stderr: string }> {
  const args = ["-f", "compose.yaml", ...(envFile ? ["--env-file", envFile] : []), "config"];
  const r = await run("docker-compose", args);
  return {
    code: r.code,
    config: r.code === 0 ? parse(r.stdout) : { services: {} },
    stderr: r.stderr,
  };
}

Deno.test("docker-compose config accepts compose.yaml without a .env; every variable has a default", async () => {
  if (!(await requireTool("docker-compose", ["version"]))) return;
  const r = await composeConfig();
  assert.equal(r.code, 0, `docker-compose config failed:\n${r.stderr}`);
  // Unset variables without a default are only a warning to compose: an error here.
  assert.doesNotMatch(r.stderr, /variable is not set/i, r.stderr);
  const names = Object.keys(r.config.services).sort();
  assert.deepEqual(names, [
    "archive",
    "clickhouse",
    "grafana",
    "ingest",
    "kafka",
    "kafka-init",
    "kafka-ui",
    "postgres",
    "preflight",
    "process",
    "prometheus",
    "redis",
  ]);
  assert.equal(Number(r.config.services.process.deploy?.replicas), 2, "process runs 2 replicas");
});

Deno.test("docker-compose config with a .env override resolves what the parity test runs", async () => {
  if (!(await requireTool("docker-compose", ["version"]))) return;
  const dir = await Deno.makeTempDir();
  try {
    const envFile = `${dir}/.env`;
    await Deno.writeTextFile(envFile, [...OVERRIDE].map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
    const r = await composeConfig(envFile);
    assert.equal(r.code, 0, r.stderr);
    const ours = await loadCompose(OVERRIDE);
    for (const [name, spec] of pipelineServices(ours)) {
      const theirs = r.config.services[name].environment ?? {};
      const mine = Object.fromEntries(
        Object.entries(spec.environment ?? {}).map(([k, v]) => [k, v === null ? "" : String(v)]),
      );
      const theirsText = Object.fromEntries(
        Object.entries(theirs).map(([k, v]) => [k, v === null ? "" : String(v)]),
      );
      assert.deepEqual(theirsText, mine, `${name}: docker-compose and the tests' reading agree`);
    }
    assert.equal(Number(r.config.services.process.deploy?.replicas), 3);
    assert.deepEqual(r.config.services.grafana.ports, ["127.0.0.1:3300:3000/tcp"]);
    assert.match(
      String(ours.services.process.environment!.DATABASE_URL),
      /^postgres:\/\/desk:pw0-/,
    );
    assert.equal(ours.services.ingest.environment!.SYMBOLS, "BTC-USD,ETH-USD");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every image is pinned to an exact version, in compose.yaml only", async () => {
  const file = await loadCompose();
  const raw = parse(await Deno.readTextFile(`${REPO}compose.yaml`), { merge: true }) as ComposeFile;
  const exact = /^[a-z0-9./_-]+:v?\d+\.\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?(@sha256:[0-9a-f]{64})?$/;
  let pulled = 0;
  for (const [name, spec] of Object.entries(file.services)) {
    if (spec.build !== undefined) continue; // built here from the Dockerfile
    pulled++;
    assert.doesNotMatch(
      String(raw.services[name].image),
      /\$/,
      `${name}: a version from .env is no pin`,
    );
    // PostgreSQL's own versions have two parts (16.15): exact too.
    const image = String(spec.image).replace(/^postgres:(\d+\.\d+)$/, "postgres:$1.0");
    assert.match(image, exact, `${name}: ${spec.image} is not an exact version`);
  }
  assert.equal(pulled, 9);
  assert.match((await loadDockerfile()).from, exact, "the Dockerfile's base image");
});

Deno.test("every published port is bound to 127.0.0.1 unless BIND says otherwise", async () => {
  const raw = parse(await Deno.readTextFile(`${REPO}compose.yaml`), { merge: true }) as ComposeFile;
  const file = await loadCompose();
  let ports = 0;
  for (const [name, spec] of Object.entries(raw.services)) {
    for (const [k, port] of (spec.ports ?? []).entries()) {
      ports++;
      assert.match(String(port), /^\$\{BIND:-127\.0\.0\.1\}:/, `${name}: ${port}`);
      assert.match(String(file.services[name].ports![k]), /^127\.0\.0\.1:/, `${name} resolved`);
    }
  }
  assert.equal(
    ports,
    8,
    "Kafka, Kafka UI, PostgreSQL, ClickHouse, Redis, Prometheus, Grafana, process",
  );
  const prometheus = file.services.prometheus.command as string[];
  assert.ok(!prometheus.includes("--web.enable-lifecycle"), "nobody reaching 9090 may stop it");
  assert.equal(file.services["kafka-ui"].environment!.KAFKA_CLUSTERS_0_READONLY, "true");
  assert.match(String(file.services["kafka-ui"].image), /^kafbat\/kafka-ui:/);
});

/**
 * `grafanaDependency` of the grafana-clickhouse-datasource releases this file may pin, from each
 * release's src/plugin.json (4.15.0 raised it from >=9.5.0 to >=11.6.0). A bump of the plugin
 * must add its line here after reading its plugin.json.
 */
const PLUGIN_GRAFANA_DEPENDENCY: Record<string, string> = {
  "4.14.1": ">=9.5.0",
  "4.15.0": ">=11.6.0",
  "4.19.0": ">=11.6.0-0",
  "4.20.0": ">=11.6.0-0",
};

Deno.test("Grafana and its ClickHouse plugin are a pinned, compatible pair", async () => {
  const grafana = (await loadCompose()).services.grafana;
  const version = /^grafana\/grafana:(\d+)\.(\d+)\.(\d+)$/.exec(grafana.image!)!;
  assert.ok(version, grafana.image);
  const plugins = String(grafana.environment!.GF_PLUGINS_PREINSTALL_SYNC).split(",");
  assert.deepEqual(plugins.map((p) => p.split("@")[0]), ["grafana-clickhouse-datasource"]);
  const pluginVersion = plugins[0].split("@")[1];
  const needs = PLUGIN_GRAFANA_DEPENDENCY[pluginVersion];
  assert.ok(needs, `plugin ${pluginVersion}: add its grafanaDependency to this test`);
  const min = />=(\d+)\.(\d+)\.(\d+)/.exec(needs)!.slice(1).map(Number);
  const have = version.slice(1).map(Number);
  const cmp = have[0] - min[0] || have[1] - min[1] || have[2] - min[2];
  assert.ok(cmp >= 0, `Grafana ${have.join(".")} is below the plugin's ${needs}`);
});

Deno.test("pipeline services: one process, stop grace beyond the shutdown timeout, a light health check", async () => {
  const file = await loadCompose();
  const docker = await loadDockerfile();
  for (const [name, spec] of pipelineServices(file)) {
    assert.equal(spec.entrypoint, undefined, `${name} runs the image's entry point`);
    assert.equal(spec.command, undefined, `${name} runs the image's command`);
    assert.equal(spec.init, true, `${name}: docker-init forwards SIGTERM as PID 1`);
    const shutdown = msOf(String(spec.environment!.SHUTDOWN_TIMEOUT));
    const grace = msOf(spec.stop_grace_period!);
    assert.ok(
      grace > shutdown + BACKSTOP_MS,
      `${name}: grace ${grace} ms ≤ shutdown ${shutdown} ms + backstop`,
    );
    assert.deepEqual(
      spec.healthcheck!.test,
      ["CMD", ...docker.healthcheck],
      `${name}: same check as the image`,
    );
    assert.ok(!spec.healthcheck!.test.includes("deno"), `${name}: no second Deno per check`);
    const limit = bytesOf(spec.deploy!.resources!.limits!.memory!);
    const heap = effectiveHeapLimitMb(384, limit);
    assert.ok(heap * 1024 * 1024 <= limit / 2, `${name}: heap ${heap} MB under a ${limit} B limit`);
    assert.equal(spec.environment!.SQLITE_PATH, "", `${name}: no SQLite inside the stack`);
    assert.equal(spec.environment!.HTTP_ADDR, "0.0.0.0:9464");
  }
  assert.deepEqual(docker.entrypoint, ["/app/tools/container_entrypoint.sh"]);
  assert.equal(docker.from, "denoland/deno:2.9.6");
  assert.equal(docker.user, "deno");
  const text = await Deno.readTextFile(`${REPO}Dockerfile`);
  assert.match(text, /^RUN deno install --frozen$/m);
  assert.match(text, /^COPY .*tools\/container_command\.ts tools\/container_entrypoint\.sh/m);
});

Deno.test("each role gets only the stores it writes; process publishes its read API on loopback", async () => {
  const s = (await loadCompose()).services;
  const stores = (name: string) =>
    ["DATABASE_URL", "CLICKHOUSE_URL", "REDIS_URL"].filter((k) =>
      s[name].environment![k] !== undefined
    );
  assert.deepEqual(stores("ingest"), []);
  assert.deepEqual(stores("process"), ["DATABASE_URL", "CLICKHOUSE_URL", "REDIS_URL"]);
  assert.deepEqual(stores("archive"), ["DATABASE_URL"]);
  assert.equal(s.archive.environment!.KAFKA_ARCHIVE_GROUP_ID, "crypto-archive");
  assert.equal(
    s.archive.environment!.KAFKA_GROUP_ID,
    undefined,
    "archive's group is KAFKA_ARCHIVE_GROUP_ID",
  );
  assert.deepEqual(s.process.ports, ["127.0.0.1::9464"], "one free loopback port per replica");
  assert.equal(s.ingest.ports, undefined);
  assert.equal(s.archive.ports, undefined);
});

Deno.test("kafka-init creates every topic of the pipeline, in one place, with explicit counts", async () => {
  const file = await loadCompose();
  const init = file.services["kafka-init"];
  const specs = String(init.environment!.TOPICS).split(/\s+/).filter(Boolean).map((t) =>
    t.split(":")
  );
  assert.deepEqual(specs.map(([name]) => name).sort(), Object.values(DEFAULT_TOPICS).sort());
  for (const [name, partitions] of specs) assert.match(partitions, /^[1-9]\d*$/, name);
  const ticks = specs.find(([name]) => name === DEFAULT_TOPICS.ticks)![1];
  for (const [name, spec] of pipelineServices(file)) {
    assert.equal(String(spec.environment!.KAFKA_PARTITIONS), ticks, `${name} agrees on partitions`);
  }
  assert.match(String(init.environment!.REPLICATION_FACTOR), /^[1-9]$/);
  assert.match(
    String((init.command as string[])[0]),
    /--replication-factor "\$REPLICATION_FACTOR"/,
  );
  // The broker's health check must not start a JVM that inherits KAFKA_HEAP_OPTS.
  const kafkaCheck = file.services.kafka.healthcheck!.test.join(" ");
  assert.doesNotMatch(kafkaCheck, /kafka-[a-z-]+\.sh|java/, kafkaCheck);
});

Deno.test("no default password stays: preflight refuses unset, change-me, short or URL-unsafe ones", async () => {
  const raw = await Deno.readTextFile(`${REPO}compose.yaml`);
  assert.doesNotMatch(raw, /PASSWORD:-[^}]|:-change-me|admin:admin/, "no default password");
  const file = await loadCompose();
  for (const name of ["postgres", "clickhouse", "redis", "grafana"]) {
    assert.equal(
      file.services[name].depends_on?.preflight?.condition,
      "service_completed_successfully",
      `${name} waits for preflight`,
    );
  }
  const redis = [file.services.redis.entrypoint, file.services.redis.command].flat().join(" ");
  assert.doesNotMatch(redis, /--requirepass/, "the Redis password is not on its command line");
  assert.match(String(file.services.redis.healthcheck!.test.join(" ")), /REDISCLI_AUTH=/);
  const preflight = (vars: Map<string, string>) => {
    const spec = file.services.preflight;
    const resolved = new Map(
      Object.entries(spec.environment!).map(([k, v]) => [k, String(vars.get(k) ?? v ?? "")]),
    );
    const [shell, flag] = spec.entrypoint as string[];
    return new Deno.Command(shell, {
      args: [flag, (spec.command as string[])[0]],
      clearEnv: true,
      env: Object.fromEntries(resolved),
      stdout: "piped",
      stderr: "piped",
    }).output();
  };
  const good = new Map(
    PASSWORDS.map((p) => [p, `${p.toLowerCase().slice(0, 4)}-0123456789abcdef`]),
  );
  assert.equal((await preflight(good)).code, 0);
  const cases: [string, string, RegExp][] = [
    ["", "unset", /set POSTGRES_PASSWORD in \.env/],
    ["change-me", "the old default", /set POSTGRES_PASSWORD in \.env/],
    ["short1", "short", /shorter than 12/],
    ["p@ss/word:0123456789", "URL-unsafe", /may hold only/],
  ];
  for (const [value, what, message] of cases) {
    const r = await preflight(new Map([...good, ["POSTGRES_PASSWORD", value]]));
    assert.equal(r.code, 1, `${what} password accepted`);
    assert.match(new TextDecoder().decode(r.stderr), message);
  }
  const none = await preflight(new Map());
  assert.equal(none.code, 1);
  const lines = new TextDecoder().decode(none.stderr).trim().split("\n");
  assert.equal(lines.length, 4, `every missing password named: ${lines}`);
});

Deno.test("cp .env.example .env leaves `deno task start` service-free: it names no pipeline setting", async () => {
  const text = await Deno.readTextFile(`${REPO}.env.example`);
  const vars = envVars(text);
  const pipeline = new Set(Object.values(OPTIONS).map((o) => o.env));
  assert.deepEqual([...vars.keys()].filter((k) => pipeline.has(k)), []);
  for (const p of PASSWORDS) assert.equal(vars.get(p), "", `${p} is for the user to set`);
  const plain = loadConfig({ args: [], env: () => undefined });
  const withEnv = loadConfig({ args: [], env: () => undefined, dotenv: text });
  assert.equal(withEnv.kind, "ok");
  assert.deepEqual(withEnv, plain, "the same configuration: simulator → SQLite, no service");
  // Every variable compose reads is documented in .env.example.
  const used = new Set(
    [...(await Deno.readTextFile(`${REPO}compose.yaml`)).matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((
      m,
    ) => m[1]),
  );
  assert.deepEqual([...used].filter((v) => !vars.has(v)).sort(), []);
});

Deno.test("kafka-init's script creates each topic with its partitions and replication (stubbed CLI)", async () => {
  const init = (await loadCompose(new Map([["TOPIC_PARTITIONS", "8"]]))).services["kafka-init"];
  const script = (init.command as string[])[0];
  const cli = "/opt/kafka/bin/kafka-topics.sh";
  assert.ok(script.includes(cli));
  const dir = await Deno.makeTempDir();
  try {
    // A stand-in for the Kafka CLI (a JVM, not installed here) that records its arguments.
    const stub = `${dir}/kafka-topics.sh`;
    await Deno.writeTextFile(
      stub,
      `#!/bin/sh\necho "$*" >> ${dir}/calls\ncase "$*" in *--describe*) echo "PartitionCount: 1";; esac\n`,
    );
    await Deno.chmod(stub, 0o755);
    const [shell, flag] = init.entrypoint as string[];
    const out = await new Deno.Command(shell, {
      args: [flag, script.replaceAll(cli, stub)],
      env: Object.fromEntries(Object.entries(init.environment!).map(([k, v]) => [k, String(v)])),
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const creates = (await Deno.readTextFile(`${dir}/calls`)).split("\n")
      .filter((l) => l.includes("--create"))
      .map((l) => /--topic (\S+) --partitions (\d+) --replication-factor (\d+)/.exec(l)!.slice(1));
    assert.deepEqual(creates, [
      ["crypto.ticks", "8", "1"],
      ["crypto.candles", "8", "1"],
      ["crypto.alerts", "1", "1"],
      ["crypto.ticks.dlq", "1", "1"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
