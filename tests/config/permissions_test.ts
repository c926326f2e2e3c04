/**
 * Issue #13 item 12: the permissions `deno task start` gives the pipeline are exact — built from
 * paths that can be granted as they are, the SQLite database's own files rather than a directory
 * that may hold code — and the pipeline works under them.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { loadConfig } from "../../src/config/load_config.ts";
import type { PipelineConfig } from "../../src/config/pipeline_config.ts";
import {
  permissionFlags,
  PermissionGrantError,
  sqliteTickWriterModules,
} from "../../src/config/permissions.ts";

const LAUNCH = new URL("../../src/launch.ts", import.meta.url).pathname;
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const PROBE = new URL("../helpers/permission_probe.ts", import.meta.url).pathname;
const SRC = new URL("../../src/", import.meta.url).pathname;

function config(args: string[]): PipelineConfig {
  const r = loadConfig({ args: [...args, "--http=off"], env: () => undefined });
  if (r.kind !== "ok") throw new Error(JSON.stringify(r));
  return r.config;
}

/** The paths of `--allow-<kind>=…` in `flags` ([] when absent). */
function granted(flags: string[], kind: "read" | "write"): string[] {
  const flag = flags.find((f) => f.startsWith(`--allow-${kind}=`));
  return flag ? flag.slice(`--allow-${kind}=`.length).split(",") : [];
}

const exists = () => true;

Deno.test("permissionFlags() grants the SQLite file and its -wal/-shm/-journal files, no directory; reads of the tick writer's modules alone", () => {
  const files = [
    "/proj/x.db",
    "/proj/x.db-journal",
    "/proj/x.db-shm",
    "/proj/x.db-spool.ndjson",
    "/proj/x.db-spool.ndjson.tmp",
    "/proj/x.db-wal",
  ];
  const flags = permissionFlags(config(["--sqlite=x.db"]), { cwd: "/proj", exists });
  // The tick writer thread's modules (on by default), one by one: no directory of the code.
  const modules = sqliteTickWriterModules();
  assert.equal(modules.length, 5);
  assert.deepEqual(granted(flags, "read"), [...files, ...modules].sort());
  // Without raw ticks the thread still runs the WAL checkpoints.
  const noTicks = permissionFlags(config(["--sqlite=x.db", "--no-store-ticks"]), {
    cwd: "/proj",
    exists,
  });
  assert.deepEqual(granted(noTicks, "read"), [...files, ...modules].sort());
  const without = permissionFlags(config(["--sqlite=x.db", "--sqlite-tick-thread=false"]), {
    cwd: "/proj",
    exists,
  });
  assert.deepEqual(granted(without, "read"), files);
  assert.deepEqual(granted(flags, "write"), files, "not /proj, which holds the code");
  const root = permissionFlags(config(["--sqlite=/x.db"]), { cwd: "/proj", exists });
  assert.deepEqual(granted(root, "write"), [
    "/x.db",
    "/x.db-journal",
    "/x.db-shm",
    "/x.db-spool.ndjson",
    "/x.db-spool.ndjson.tmp",
    "/x.db-wal",
  ]);
  // Kafka mode spools nothing: the log is the spool.
  const kafka = permissionFlags(config(["--sqlite=x.db", "--kafka-brokers=k:9092"]), {
    cwd: "/proj",
    exists,
  });
  assert.ok(!granted(kafka, "write").some((f) => f.includes("spool")));
});

Deno.test("permissionFlags() grants the npm packages' directory only when a Kafka client is platformatic", () => {
  const modules = new URL("../../node_modules", import.meta.url).pathname;
  const args = ["--sqlite=off", "--role=ingest", "--kafka-brokers=k:9092"];
  const read = (extra: string[]) =>
    granted(permissionFlags(config([...args, ...extra]), { cwd: "/proj", exists }), "read");
  // Its WebAssembly file is read there.
  assert.deepEqual(read(["--kafka-client=platformatic"]), [modules]);
  assert.deepEqual(read([]), [modules], "the default producer is platformatic");
  assert.deepEqual(
    read(["--kafka-client=platformatic", "--kafka-producer-client=kafkajs"]),
    [modules],
  );
  assert.deepEqual(read(["--kafka-producer-client=kafkajs"]), [], "kafkajs only");
  const embedded = permissionFlags(config(["--sqlite=off", "--kafka-client=platformatic"]), {
    cwd: "/proj",
    exists,
  });
  assert.deepEqual(granted(embedded, "read"), [], "no Kafka, no Kafka client");
});

Deno.test("permissionFlags() grants a database directory only while it does not exist", () => {
  const flags = permissionFlags(config([]), { cwd: "/proj", exists: (p) => p !== "/proj/data" });
  assert.deepEqual(granted(flags, "write"), [
    "/proj/data",
    "/proj/data/pipeline.db",
    "/proj/data/pipeline.db-journal",
    "/proj/data/pipeline.db-shm",
    "/proj/data/pipeline.db-spool.ndjson",
    "/proj/data/pipeline.db-spool.ndjson.tmp",
    "/proj/data/pipeline.db-wal",
  ]);
  const none = permissionFlags(config(["--sqlite="]), { cwd: "/proj", exists });
  assert.deepEqual([granted(none, "read"), granted(none, "write")], [[], []]);
});

Deno.test("permissionFlags() grants the replay file and .env exactly, as absolute paths", () => {
  const flags = permissionFlags(
    config(["--source=replay", "--replay-file=../ticks/a b.ndjson", "--sqlite="]),
    { cwd: "/proj/run", exists, dotenv: ".env" },
  );
  assert.deepEqual(granted(flags, "read"), ["/proj/run/.env", "/proj/ticks/a b.ndjson"]);
});

Deno.test("permissionFlags() refuses what a comma would turn into another grant", () => {
  assert.throws(
    () => permissionFlags(config([]), { cwd: "/home/me/a,b", exists }),
    (e: unknown) =>
      e instanceof PermissionGrantError && e.problems.length === 1 &&
      /"\/home\/me\/a,b\/data\/pipeline\.db" cannot be granted exactly/.test(e.message),
  );
  assert.throws(
    () => permissionFlags(config(["--database-url=postgres://app@db,127.0.0.1:22/x"]), { exists }),
    PermissionGrantError,
  );
});

/** Runs the launcher in `cwd`; returns its exit code and stderr. */
async function launch(cwd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", "--allow-read", "--allow-run", LAUNCH, ...args],
    cwd,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** A replay file of one symbol over a few minutes. */
async function writeReplay(path: string): Promise<void> {
  const t0 = Date.UTC(2026, 0, 1);
  const lines = Array.from(
    { length: 300 },
    (_, i) =>
      JSON.stringify({
        source: "t",
        symbol: "BTC-USD",
        price: 100 + i,
        size: 1,
        ts: t0 + i * 1000,
        id: `${i}`,
      }),
  );
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
}

function candleCount(database: string): number {
  const db = new DatabaseSync(database, { readOnly: true });
  try {
    return Number(db.prepare("SELECT count(*) AS n FROM candles").get()!.n);
  } finally {
    db.close();
  }
}

Deno.test("launcher: --replay-file a,/etc/shadow exits 2 naming the path, grants nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await launch(dir, ["--source=replay", "--replay-file=a,/etc/shadow"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /invalid --replay-file: a path with a comma.*"a,\/etc\/shadow"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("launcher: a missing or directory replay file exits 2 before any database exists", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/ticks`);
    for (const file of ["missing.ndjson", "ticks"]) {
      const r = await launch(dir, ["--source=replay", `--replay-file=${file}`, "--sqlite=x.db"]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`invalid --replay-file: .*"${file}"`));
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["ticks"], "no database");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("launcher: a replay file with a space in its name replays into SQLite", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeReplay(`${dir}/a b.ndjson`);
    const r = await launch(dir, [
      "--source=replay",
      "--replay-file=a b.ndjson",
      "--sqlite=db/x.db", // a directory the pipeline has to create
      "--http=off",
      "--ui=off",
      "--exit-at-end",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(candleCount(`${dir}/db/x.db`) > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pipeline under the computed flags: replays into SQLite, cannot read src/ nor write beside its database", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeReplay(`${dir}/ticks.ndjson`);
    const args = ["--source=replay", "--replay-file=ticks.ndjson", "--sqlite=x.db", "--ui=off"];
    const flags = permissionFlags(config(args), { cwd: dir });
    const run = (main: string, more: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", ...flags, main, ...more],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const pipeline = await run(MAIN, [...args, "--http=off", "--exit-at-end"]);
    assert.equal(pipeline.code, 0, new TextDecoder().decode(pipeline.stderr));
    assert.ok(candleCount(`${dir}/x.db`) > 0);

    const probe = await run(PROBE, [
      `read:${SRC}main.ts`,
      `read:${dir}/ticks.ndjson`,
      `write:${dir}/other.txt`,
      `write:${dir}/ticks.ndjson`,
      `write:${dir}/x.db-journal`,
      "read:/etc/hostname",
    ]);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(probe.stdout)), {
      [`read:${SRC}main.ts`]: "NotCapable",
      [`read:${dir}/ticks.ndjson`]: "ok",
      [`write:${dir}/other.txt`]: "NotCapable",
      [`write:${dir}/ticks.ndjson`]: "NotCapable",
      [`write:${dir}/x.db-journal`]: "ok",
      "read:/etc/hostname": "NotCapable",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
