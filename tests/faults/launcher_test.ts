/**
 * Fault matrix: the launcher (`deno task start`, src/launch.ts) and its pipeline child under
 * kills and out-of-memory. Each test runs the real launcher in a temporary directory.
 * @module
 */
import assert from "node:assert/strict";
import { freePort, pollUntil } from "../helpers/services.ts";

const LAUNCH = new URL("../../src/launch.ts", import.meta.url).pathname;

/** A launcher started as `deno task start` starts it, with piped stderr. */
interface Launched {
  readonly process: Deno.ChildProcess;
  /** Everything written to stderr, by the launcher and its child, once both closed it. */
  readonly stderr: Promise<string>;
}

function launch(cwd: string, args: string[]): Launched {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", "--allow-read", "--allow-run", LAUNCH, ...args],
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  return { process, stderr: new Response(process.stderr).text() };
}

/** The pids whose parent is `ppid`, from /proc. */
async function childrenOf(ppid: number): Promise<number[]> {
  const out: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    // Fields after the parenthesised command name: state, ppid, …
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[1]) === ppid) out.push(Number(entry.name));
  }
  return out;
}

/** True while `pid` runs (a zombie nobody reaped yet has exited). */
async function running(pid: number): Promise<boolean> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => null);
  return stat !== null && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

async function answers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** A small replay that ends quickly; without --exit-at-end the pipeline then keeps serving. */
async function smallReplay(dir: string): Promise<string> {
  const t0 = Date.UTC(2026, 0, 1);
  const lines = Array.from({ length: 200 }, (_, i) =>
    JSON.stringify({
      source: "t",
      symbol: "BTC-USD",
      price: "100.5",
      size: "1",
      ts: t0 + i * 1000,
      id: String(i),
    }));
  await Deno.writeTextFile(`${dir}/ticks.ndjson`, lines.join("\n") + "\n");
  return "ticks.ndjson";
}

/** Starts a launcher with a serving pipeline; returns it, its child's pid and the HTTP port. */
async function servingPipeline(dir: string) {
  const port = freePort();
  const launched = launch(dir, [
    "--source=replay",
    `--replay-file=${await smallReplay(dir)}`,
    "--sqlite=pipeline.db",
    `--http=127.0.0.1:${port}`,
    "--ui=off",
  ]);
  await pollUntil("the pipeline's HTTP server", () => answers(port), 30_000);
  const [child] = await pollUntil(
    "the pipeline child",
    () => childrenOf(launched.process.pid).then((c) => c.length === 1 ? c : null),
  );
  return { launched, child, port };
}

Deno.test("launcher killed with SIGKILL: its pipeline notices, stops gracefully, frees its port", async () => {
  const dir = await Deno.makeTempDir();
  let orphan: number | null = null;
  try {
    const { launched, child, port } = await servingPipeline(dir);
    orphan = child;
    Deno.kill(launched.process.pid, "SIGKILL");
    assert.equal((await launched.process.status).signal, "SIGKILL");
    await pollUntil("the orphaned pipeline to exit", async () => !(await running(child)), 10_000);
    assert.equal(await answers(port), false, "nothing serves HTTP any more");
    const stderr = await launched.stderr;
    assert.match(stderr, /launcher gone, stopping/);
    assert.match(stderr, /"msg":"stopped"/, "the stop was the graceful one");
  } finally {
    // Never leave an orphan behind when the assertion failed.
    if (orphan !== null && await running(orphan)) Deno.kill(orphan, "SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pipeline killed with SIGKILL: the launcher exits 137 and says so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { launched, child } = await servingPipeline(dir);
    Deno.kill(child, "SIGKILL");
    const status = await launched.process.status;
    assert.equal(status.code, 137);
    assert.match(await launched.stderr, /pipeline died of SIGKILL \(exit 137\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pipeline killed with SIGTERM: graceful stop, the launcher exits 0", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { launched, child } = await servingPipeline(dir);
    Deno.kill(child, "SIGTERM");
    assert.equal((await launched.process.status).code, 0);
    assert.doesNotMatch(await launched.stderr, /"name":"launcher"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("terminal hang-up: SIGHUP to the launcher stops its pipeline gracefully, exit 0", async () => {
  const dir = await Deno.makeTempDir();
  let orphan: number | null = null;
  try {
    const { launched, child } = await servingPipeline(dir);
    orphan = child;
    // A closing terminal sends SIGHUP to its foreground job; the launcher gets it first here.
    Deno.kill(launched.process.pid, "SIGHUP");
    const status = await launched.process.status;
    assert.equal(status.signal, null, "the launcher did not die of the signal");
    assert.equal(status.code, 0);
    const stderr = await launched.stderr;
    assert.match(stderr, /"msg":"stopping".*"reason":"SIGHUP"/);
    assert.match(stderr, /"msg":"stopped"/, "the stop was the graceful one");
    assert.equal(await running(child), false);
  } finally {
    if (orphan !== null && await running(orphan)) Deno.kill(orphan, "SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pipeline out of memory: the launcher names it and exits 133 (SIGTRAP)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Every distinct symbol gets its own windows, indicators and latest price: 200k of them
    // exhaust a 64 MB heap within seconds, once --max-symbols is raised past them (its default
    // exists to prevent exactly this).
    const t0 = Date.UTC(2026, 0, 1);
    const lines = Array.from(
      { length: 200_000 },
      (_, i) =>
        `{"source":"t","symbol":"S${i.toString(36).toUpperCase()}-USD","price":"1.5",` +
        `"size":"2","ts":${t0 + i},"id":"${i}"}`,
    );
    await Deno.writeTextFile(`${dir}/many.ndjson`, lines.join("\n") + "\n");
    const launched = launch(dir, [
      "--source=replay",
      "--replay-file=many.ndjson",
      "--sqlite=",
      "--http=off",
      "--ui=off",
      "--exit-at-end",
      "--heap-limit=64",
      "--max-symbols=10000000",
    ]);
    const status = await launched.process.status;
    const stderr = await launched.stderr;
    assert.equal(
      status.code,
      133,
      `expected 128 + SIGTRAP (V8 out of memory):\n${stderr.slice(-2000)}`,
    );
    assert.match(stderr, /Fatal JavaScript out of memory/, "V8 reported it");
    assert.match(stderr, /pipeline ran out of memory .*heap limit 64 MB, raise --heap-limit/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
