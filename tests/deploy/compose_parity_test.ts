/**
 * Compose parity: what `docker compose up` would run, run without Docker. `compose.yaml` and the
 * Dockerfile are parsed (npm `yaml`, compose's interpolation, with the variables a `.env` gives),
 * and every pipeline service — `ingest`, both `process` replicas, `archive` — is started with its
 * container's exact entry point, environment and user (uid 1993 through `setpriv`), each in a
 * memory cgroup limited to its service's memory limit, the stack's host names mapped to local
 * stand-ins: the librdkafka mock cluster with the topics `kafka-init` creates, Debian's
 * ClickHouse with the user and password of the stack, the machine's PostgreSQL with the stack's
 * role and database, a Redis started with the `redis` service's own command. Then: each health
 * check passes, `/ready` turns ready, a Prometheus running `monitoring/prometheus.yml` (DNS
 * discovery turned into the same targets) scrapes every pipeline instance up, the simulator's
 * 45-minute warm-up history (~81 000 ticks) flows ingest → Kafka → process and archive →
 * ClickHouse, PostgreSQL, Redis and the ClickHouse-backed read API, each process's peak RSS stays
 * under its limit, and `docker stop`'s SIGTERM ends each one with exit 0 within its grace period.
 * The figures are printed.
 *
 * What is mapped, not copied: host names and ports (container port 9464 becomes a free loopback
 * port per instance; Redis gets `--port`/`--bind` for the same reason), `/app` is the repository,
 * and the image's DENO_DIR is a fresh directory owned by uid 1993.
 * @module
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { Redis } from "ioredis";
import { parse, stringify } from "yaml";
import { effectiveHeapLimitMb } from "../../src/config/memory_limit.ts";
import {
  CLICKHOUSE_BINARY,
  probeClickHouseBinary,
  startClickHouse,
} from "../helpers/clickhouse_server.ts";
import { librdkafkaInstalled, startKafkaMock } from "../helpers/kafka_mock.ts";
import { postgresAvailable, TEST_DATABASE_URL } from "../helpers/postgres_db.ts";
import { freePort, pollUntil, requireService, runId } from "../helpers/services.ts";
import { startPrometheus } from "../monitoring/prometheus_server.ts";
import {
  bytesOf,
  type ComposeService,
  loadCompose,
  loadDockerfile,
  msOf,
  pipelineServices,
  REPO,
} from "./compose_file.ts";
import {
  clickhouseUsersXml,
  cmdline,
  createMemoryCgroup,
  createPostgresDatabase,
  DENO_UID,
  type MemoryCgroup,
  memoryOf,
  probeMemoryCgroup,
  probeSetprivUnshare,
} from "./stand_ins.ts";

const MB = 1024 * 1024;

async function available(): Promise<boolean> {
  const checks: [string, () => Promise<unknown>][] = [
    [`ClickHouse binary ${CLICKHOUSE_BINARY}`, probeClickHouseBinary],
    [
      "librdkafka (mock Kafka cluster)",
      () =>
        librdkafkaInstalled()
          ? Promise.resolve()
          : Promise.reject(new Error("librdkafka.so.1 not found")),
    ],
    ["prometheus", async () => {
      const out = await new Deno.Command("prometheus", {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (!out.success) throw new Error("prometheus --version failed");
    }],
    ["redis-server", async () => {
      await new Deno.Command("redis-server", { args: ["--version"], stdout: "null" }).output();
    }],
    ["setpriv and unshare (util-linux), mount namespaces", probeSetprivUnshare],
    ["a memory cgroup (root, cgroup file system)", probeMemoryCgroup],
  ];
  for (const [name, probe] of checks) if (!(await requireService(name, probe))) return false;
  return await postgresAvailable();
}

const ok = await available();

/** What one started container is. */
interface Instance {
  readonly service: string;
  readonly name: string;
  readonly port: number;
  readonly child: Deno.ChildProcess;
  readonly cgroup: MemoryCgroup;
  readonly output: Promise<string>;
  peak: number;
  peakAnon: number;
  exited: Deno.CommandStatus | null;
}

Deno.test({
  name: "compose parity: each pipeline service runs its container's command, env and user, " +
    "passes its health check, is scraped, carries a replay to every store within its memory limit",
  ignore: !ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const run = `cp_${runId()}`.toLowerCase();
    const secret = () => crypto.randomUUID().replaceAll("-", "");
    // What `.env` holds in this run: passwords, and per-run names so runs never collide.
    const vars = new Map([
      ["POSTGRES_PASSWORD", secret()],
      ["CH_PASSWORD", secret()],
      ["REDIS_PASSWORD", secret()],
      ["GRAFANA_ADMIN_PASSWORD", secret()],
      ["POSTGRES_USER", run],
      ["POSTGRES_DB", run],
      ["CH_USER", run],
      ["CLICKHOUSE_DB", run],
    ]);
    const compose = await loadCompose(vars);
    const docker = await loadDockerfile();
    const cleanups: (() => Promise<void> | void)[] = [];
    const instances: Instance[] = [];
    try {
      // --- stand-ins for the stack's services ---------------------------------------------------
      const topics = String(compose.services["kafka-init"].environment!.TOPICS).split(/\s+/)
        .filter(Boolean).map((spec) => {
          const [name, partitions] = spec.split(":");
          return { name, partitions: Number(partitions) };
        });
      const started = await Promise.allSettled([
        clickhouseUsersXml(vars.get("CH_USER")!, vars.get("CH_PASSWORD")!)
          .then((usersXml) => startClickHouse({ usersXml })),
        startKafkaMock({ brokers: 1, topics }),
        createPostgresDatabase(vars.get("POSTGRES_DB")!, vars.get("POSTGRES_PASSWORD")!),
        startRedisService(compose.services.redis),
      ]);
      for (const s of started) {
        if (s.status === "fulfilled") {
          cleanups.push(() => "stop" in s.value ? s.value.stop() : s.value.drop());
        }
      }
      const failed = started.find((s) => s.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
      const [clickhouse, kafka, pg, redis] = started.map((s) =>
        (s as PromiseFulfilledResult<unknown>).value
      ) as [
        Awaited<ReturnType<typeof startClickHouse>>,
        Awaited<ReturnType<typeof startKafkaMock>>,
        Awaited<ReturnType<typeof createPostgresDatabase>>,
        Awaited<ReturnType<typeof startRedisService>>,
      ];
      const hosts: Record<string, string> = {
        "kafka:9092": kafka.bootstrap,
        "clickhouse:8123": `127.0.0.1:${clickhouse.httpPort}`,
        "postgres:5432": new URL(TEST_DATABASE_URL).host,
        "redis:6379": `127.0.0.1:${redis.port}`,
      };

      // --- the pipeline containers --------------------------------------------------------------
      const denoDir = await Deno.makeTempDir({ prefix: "cp_deno_dir_" });
      await Deno.chown(denoDir, DENO_UID, DENO_UID);
      cleanups.push(() => Deno.remove(denoDir, { recursive: true }));
      assert.equal(docker.user, "deno", "the image runs as the deno user (uid 1993)");
      const entrypoint = docker.entrypoint.map((a) => a.replace(/^\/app\//, REPO));
      for (const [service, spec] of pipelineServices(compose)) {
        const replicas = Number(spec.deploy?.replicas ?? 1);
        const limit = bytesOf(spec.deploy!.resources!.limits!.memory!);
        for (let i = 1; i <= replicas; i++) {
          const port = freePort();
          const env: Record<string, string> = {
            PATH: `${dirname(Deno.execPath())}:/usr/local/bin:/usr/bin:/bin`,
            HOME: denoDir,
            DENO_DIR: denoDir, // the base image's ENV DENO_DIR, writable by the deno user
            ...docker.env,
            ...mapHosts(spec.environment ?? {}, hosts),
            HTTP_ADDR: mapHosts({ HTTP_ADDR: String(spec.environment!.HTTP_ADDR) }, {
              "0.0.0.0:9464": `127.0.0.1:${port}`,
            }).HTTP_ADDR,
          };
          const cgroup = createMemoryCgroup(`${run}_${service}_${i}`, limit);
          cleanups.push(() => cgroup.remove());
          // Into the cgroup, the cgroup where a container sees it, then the image's user: what
          // Docker does before it runs the entry point.
          const child = new Deno.Command("unshare", {
            args: [
              "--mount",
              "--propagation",
              "private",
              "sh",
              "-c",
              'echo $$ > "$0/cgroup.procs" && mount --bind "$0" "$1" && uid=$2 && shift 2 && ' +
              'exec setpriv --reuid="$uid" --regid="$uid" --clear-groups -- "$@"',
              cgroup.dir,
              cgroup.mountPoint,
              String(DENO_UID),
              ...entrypoint,
              ...docker.cmd,
            ],
            cwd: REPO,
            clearEnv: true,
            env,
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          const instance: Instance = {
            service,
            name: `${service}-${i}`,
            port,
            child,
            cgroup,
            output: Promise.all([
              new Response(child.stdout).text(),
              new Response(child.stderr).text(),
            ])
              .then(([o, e]) => o + e),
            peak: 0,
            peakAnon: 0,
            exited: null,
          };
          child.status.then((s) => (instance.exited = s));
          instances.push(instance);
        }
      }
      cleanups.push(async () => {
        for (const i of instances) {
          if (i.exited === null) {
            try {
              i.child.kill("SIGKILL");
            } catch { /* gone */ }
          }
          await i.child.status;
        }
      });
      const sample = () => {
        for (const i of instances) {
          const m = memoryOf(i.child.pid);
          if (m === null) continue;
          i.peak = Math.max(i.peak, m.peak);
          i.peakAnon = Math.max(i.peakAnon, m.anon);
        }
      };
      const sampler = setInterval(sample, 100);
      cleanups.push(() => clearInterval(sampler));
      // A container that exits early fails the wait at once, not at its deadline.
      const died = Promise.race(
        instances.map((i) =>
          i.child.status.then((s) => Promise.reject(new Error(`${i.name} exited ${s.code} early`)))
        ),
      );
      died.catch(() => {});
      const until = <T>(what: string, check: () => T | Promise<T>, ms: number, every: number) =>
        Promise.race([pollUntil(what, check, ms, every), died]);
      const failWithLogs = async (e: unknown) => {
        for (const i of instances.filter((i) => i.exited !== null)) {
          // deno-lint-ignore no-console
          console.error(
            `--- ${i.name} (exit ${i.exited!.code}):\n${(await i.output).slice(-3000)}`,
          );
        }
        throw e;
      };

      // --- health checks and readiness ----------------------------------------------------------
      await Promise.all(instances.map(async (i) => {
        const health = compose.services[i.service].healthcheck!.test;
        assert.equal(health[0], "CMD");
        const probe = health.slice(1).map((a) =>
          a.replaceAll("/127.0.0.1/9464", `/127.0.0.1/${i.port}`)
        );
        await until(
          `${i.name}'s health check`,
          async () => {
            const out = await new Deno.Command("setpriv", {
              args: [
                `--reuid=${DENO_UID}`,
                `--regid=${DENO_UID}`,
                "--clear-groups",
                "--",
                ...probe,
              ],
              stdout: "null",
              stderr: "null",
            }).output();
            return out.success;
          },
          40_000,
          200,
        );
        await until(
          `${i.name} /ready`,
          async () => {
            const res = await fetch(`http://127.0.0.1:${i.port}/ready`);
            await res.body?.cancel();
            return res.status === 200;
          },
          20_000,
          100,
        );
        // The command is the launcher's, as this container's cgroup makes it.
        const args = cmdline(i.child.pid);
        const heap = effectiveHeapLimitMb(384, i.cgroup.limitBytes);
        assert.ok(args.some((a) => a.endsWith("/src/main.ts")), `${i.name} runs ${args.join(" ")}`);
        assert.ok(
          args.includes(`--v8-flags=--max-old-space-size=${heap}`),
          `${i.name}: heap limit derived from its ${i.cgroup.limitBytes / MB} MB limit: ${args}`,
        );
      })).catch(failWithLogs);

      // --- Prometheus with the stack's own scrape config ----------------------------------------
      const promConfig = parse(await Deno.readTextFile(`${REPO}monitoring/prometheus.yml`));
      for (const job of promConfig.scrape_configs) {
        if (job.dns_sd_configs) {
          job.static_configs = job.dns_sd_configs.flatMap((sd: { names: string[]; port: number }) =>
            sd.names.map((name) => {
              assert.equal(sd.port, 9464, "Prometheus scrapes the pipeline's container port");
              return {
                targets: instances.filter((i) => i.service === name).map((i) =>
                  `127.0.0.1:${i.port}`
                ),
                labels: { __meta_dns_name: name }, // what DNS discovery sets; relabelled to `service`
              };
            })
          );
          delete job.dns_sd_configs;
        } else {
          job.static_configs = [{ targets: ["127.0.0.1:{{PORT}}"] }];
        }
      }
      const prometheus = await startPrometheus({
        targets: instances.map((i) => `127.0.0.1:${i.port}`),
        config: {
          yaml: stringify(promConfig),
          files: { "alerts.yml": await Deno.readTextFile(`${REPO}monitoring/alerts.yml`) },
        },
      });
      cleanups.push(() => prometheus.stop());
      await prometheus.waitForScrapes(1, 30_000).catch(failWithLogs);
      const upBy = await prometheus.query('sum by (service) (up{job="pipeline"})');
      const up = Object.fromEntries(
        (upBy.data!.result as { metric: { service: string }; value: [number, string] }[])
          .map((r) => [r.metric.service, Number(r.value[1])]),
      );
      assert.deepEqual(up, { ingest: 1, process: 2, archive: 1 }, "every pipeline target is up");

      // --- a replay through every role into every store -----------------------------------------
      const ingest = instances.find((i) => i.service === "ingest")!;
      const produced = await until(
        "ingest to produce the simulator's warm-up history",
        async () => {
          const n = sumMetric(
            await (await fetch(`http://127.0.0.1:${ingest.port}/metrics`)).text(),
            "pipeline_kafka_messages_produced_total",
            'topic="crypto.ticks"',
          );
          return n >= 50_000 ? n : 0;
        },
        30_000,
        250,
      ).catch(failWithLogs);
      await until(
        `archive to store the ${produced} ticks produced so far in PostgreSQL`,
        async () => {
          const [{ n }] = await pg.sql`SELECT count(*)::int AS n FROM ticks`;
          return n >= produced;
        },
        40_000,
        250,
      ).catch(failWithLogs);
      const db = vars.get("CLICKHOUSE_DB")!;
      const chSymbols = await until(
        "process to store 1m candles of every symbol in ClickHouse",
        async () => {
          const res = await fetch(
            `${clickhouse.url}/?query=${
              encodeURIComponent(
                `SELECT uniqExact(symbol) FROM ${db}.candles WHERE \`interval\` = '1m'`,
              )
            }`,
          );
          const n = Number((await res.text()).trim());
          return n >= 10 ? n : 0;
        },
        30_000,
        250,
      ).catch(failWithLogs);
      // Each processor answers from the shared ClickHouse, so both must give the same five bars
      // once five are there; polled, because ten symbols with some 1m bar do not imply five of one.
      await until(
        "process to store five 1m candles of BTC-USD in ClickHouse",
        async () => {
          const res = await fetch(
            `${clickhouse.url}/?query=${
              encodeURIComponent(
                `SELECT count() FROM ${db}.candles FINAL WHERE venue = 'composite' AND symbol = 'BTC-USD' AND \`interval\` = '1m'`,
              )
            }`,
          );
          return Number((await res.text()).trim()) >= 5;
        },
        30_000,
        250,
      ).catch(failWithLogs);
      const redisClient = new Redis(`redis://127.0.0.1:${redis.port}`, {
        password: vars.get("REDIS_PASSWORD"),
      });
      cleanups.push(() => void redisClient.disconnect());
      const prices = await redisClient.keys("crypto:price:*");
      assert.ok(prices.length >= 10, `latest prices in Redis: ${prices}`);
      for (const p of instances.filter((i) => i.service === "process")) {
        const res = await fetch(
          `http://127.0.0.1:${p.port}/api/candles?symbol=BTC-USD&interval=1m&limit=5`,
        );
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.equal(
          body.candles.length,
          5,
          `${p.name} answers BTC-USD's last five 1m bars from ClickHouse`,
        );
      }

      // --- memory and a graceful stop -----------------------------------------------------------
      sample();
      const stops = await Promise.all(instances.map(async (i) => {
        const grace = msOf(compose.services[i.service].stop_grace_period!);
        const t0 = performance.now();
        i.child.kill("SIGTERM");
        const status = await i.child.status;
        return { status, ms: performance.now() - t0, grace };
      }));
      const rows = instances.map((i, k) => ({
        instance: i.name,
        "peak RSS MB": +(i.peak / MB).toFixed(1),
        "peak anon MB": +(i.peakAnon / MB).toFixed(1),
        "cgroup peak MB": +(i.cgroup.peakBytes() / MB).toFixed(1),
        "limit MB": i.cgroup.limitBytes / MB,
        "heap MB": effectiveHeapLimitMb(384, i.cgroup.limitBytes),
        "exit": stops[k].status.code,
        "stop s": +(stops[k].ms / 1000).toFixed(1),
      }));
      // deno-lint-ignore no-console
      console.log(`compose parity: ${produced} ticks produced, ${chSymbols} symbols in ClickHouse`);
      // deno-lint-ignore no-console
      console.table(rows);
      for (const [k, i] of instances.entries()) {
        assert.equal(i.cgroup.oomKills(), 0, `${i.name} was OOM-killed`);
        assert.ok(
          i.peak > 0 && i.peak < i.cgroup.limitBytes,
          `${i.name} peak RSS ${i.peak} ≥ limit`,
        );
        assert.equal(stops[k].status.code, 0, `${i.name}: ${(await i.output).slice(-2000)}`);
        assert.ok(stops[k].ms < stops[k].grace, `${i.name} stopped within stop_grace_period`);
      }
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup();
    }
  },
});

/** `env` with every `host:port` of the stack replaced by its stand-in's address. */
function mapHosts(
  env: Record<string, string | number | boolean | null>,
  hosts: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    let v = value === null ? "" : String(value);
    for (const [from, to] of Object.entries(hosts)) v = v.replaceAll(from, to);
    out[key] = v;
  }
  return out;
}

/** The sum of the samples of `name` whose labels include `label` in a Prometheus exposition. */
function sumMetric(text: string, name: string, label: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) && line.includes(label)) {
      sum += Number(line.split(" ").at(-1));
    }
  }
  return sum;
}

/**
 * The `redis` service's own entry point and command, on a free loopback port instead of 6379
 * (the machine's Redis has it), its password from the environment as compose passes it.
 */
async function startRedisService(spec: ComposeService) {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "cp_redis_" });
  const [shell, flag] = spec.entrypoint as string[];
  const script = (spec.command as string[])[0];
  assert.equal(script.split("exec redis-server -").length, 2, "one redis-server, config on stdin");
  const child = new Deno.Command(shell, {
    args: [
      flag,
      script.replace(
        "exec redis-server -",
        `exec redis-server - --port ${port} --bind 127.0.0.1 --dir ${dir}`,
      ),
    ],
    env: { REDIS_PASSWORD: String(spec.environment!.REDIS_PASSWORD) },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const password = String(spec.environment!.REDIS_PASSWORD);
  await pollUntil(
    "redis to answer",
    async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    },
    10_000,
    50,
  );
  const args = cmdline(child.pid);
  assert.ok(
    args.length > 0 && !args.join(" ").includes(password),
    `password on the command line: ${args}`,
  );
  return {
    port,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
