/**
 * The dashboard's cost to the pipeline. Throughput: the embedded replay (candles, indicators and
 * alerts into SQLite) with 20 dashboards streaming `/api/stream` — ten on the overview, ten each
 * charting a symbol, as the pages subscribe — against the same run with none, in paired rounds
 * of alternating order (medians and ranges). On a shared machine wall time drifts, so the
 * pipeline's own CPU time per run is reported too. Memory: the RSS a pipeline replaying at real
 * time gains with 100 streams connected (each charting a symbol), per stream.
 * @module
 */
import { report, round } from "./measure.ts";
import { replayPipelineArgs, rssKb, timeChild, writeReplayFixture } from "./replay_run.ts";
import { freePort } from "../tests/helpers/services.ts";

const TICKS = Number(Deno.env.get("BENCH_TICKS") ?? 1_000_000);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);
const CLIENTS = 20;
const MEMORY_CLIENTS = 100;
const dir = await Deno.makeTempDir({ prefix: "dashboard-bench-" });
const file = `${dir}/ticks.ndjson`;

try {
  await writeReplayFixture(file, TICKS);
  const rates: Record<"none" | "clients", number[]> = { none: [], clients: [] };
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  let events = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? [0, CLIENTS] : [CLIENTS, 0];
    const got: Record<number, number> = {};
    const cpu: Record<number, number> = {};
    for (const n of order) {
      const run = await replay(n, `${dir}/r${r}-${n}.db`);
      got[n] = TICKS / run.seconds;
      cpu[n] = run.cpuSeconds;
      if (n > 0) events = run.events;
    }
    rates.none.push(got[0]);
    rates.clients.push(got[CLIENTS]);
    ratios.push(got[CLIENTS] / got[0]);
    cpuRatios.push(cpu[CLIENTS] / cpu[0]);
  }
  report({
    bench: "embedded_replay_sqlite_20_dashboards",
    ticks_per_s: Math.round(median(rates.clients)),
    ticks_per_s_range: rates.clients.map(Math.round).sort((a, b) => a - b),
    baseline: "embedded_replay_sqlite_no_dashboard",
    baseline_ticks_per_s: Math.round(median(rates.none)),
    baseline_range: rates.none.map(Math.round).sort((a, b) => a - b),
    ratio: round(median(ratios)),
    ratio_range: ratios.map((x) => round(x)).sort((a, b) => a - b),
    cpu_ratio: round(median(cpuRatios)),
    cpu_ratio_range: cpuRatios.map((x) => round(x)).sort((a, b) => a - b),
    kb_per_client: Math.round(events / 1024),
    run_seconds: round(TICKS / median(rates.clients)),
    rounds: ROUNDS,
    ticks: TICKS,
  });
  const perClient = await memoryPerClient();
  report({
    bench: "dashboard_memory_per_client",
    kb_per_client: Math.round(median(perClient)),
    kb_range: perClient.map(Math.round).sort((a, b) => a - b),
    clients: MEMORY_CLIENTS,
  });
} finally {
  await Deno.remove(dir, { recursive: true });
}

/**
 * One replay of the file, to the end, with `clients` streams reading all along. The pipeline
 * replays from a FIFO: it waits, idle, until every stream is connected (a replay at full speed
 * keeps the event loop so busy that connecting during it takes seconds), then the file is
 * written into the FIFO and the time runs until the pipeline exits.
 */
async function replay(
  clients: number,
  db: string,
): Promise<{ seconds: number; cpuSeconds: number; events: number }> {
  const port = freePort();
  const fifo = `${db}.fifo`;
  const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  if (!mk.success) throw new Error(`mkfifo ${fifo} failed`);
  let events = 0;
  let started = 0;
  const run = await timeChild(pipelineArgs(port, db, fifo, []), async (exited) => {
    // Half on the overview (no symbol's candles), half charting one symbol each.
    const streams = await Promise.all(
      Array.from({ length: clients }, (_, i) => connect(port, exited, i % 2 ? `S${i}-USD` : "")),
    );
    if (clients === 0) await (await connect(port, exited))?.body?.cancel();
    const counting = streams.map((s) => countEvents(s!));
    started = performance.now();
    using input = await Deno.open(file);
    const out = await Deno.open(fifo, { write: true });
    await input.readable.pipeTo(out.writable);
    events = counting.length ? Math.min(...await Promise.all(counting)) : 0;
  });
  const seconds = (performance.now() - started) / 1000;
  await Deno.remove(fifo);
  return { seconds, cpuSeconds: run.cpuSeconds, events };
}

function pipelineArgs(port: number, db: string, replayFile: string, extra: string[]): string[] {
  return replayPipelineArgs(replayFile, [
    `--http=127.0.0.1:${port}`,
    `--sqlite=${db}`,
    "--no-store-ticks",
    "--intervals=1m,5m,1h",
    ...extra,
  ]);
}

/** Reads the stream to its end, as cheaply as possible; returns the bytes it carried. */
async function countEvents(res: Response): Promise<number> {
  let bytes = 0;
  const reader = res.body!.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.length;
  } catch {
    // The pipeline exited: the stream is cut.
  }
  return bytes;
}

/** Connects as soon as the server listens (for 30 s); null once `exited` aborted. */
async function connect(
  port: number,
  exited?: AbortSignal,
  symbols = "",
): Promise<Response | null> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    if (exited?.aborted) return null;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/stream?symbols=${symbols}`);
      if (res.ok) return res;
      await res.body?.cancel();
    } catch (err) {
      if (performance.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * RSS of a pipeline replaying at real time (50 ticks/s) before and with 100 streams connected,
 * in three rounds: the growth per stream.
 */
async function memoryPerClient(): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < 3; r++) {
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: pipelineArgs(port, `${dir}/m${r}.db`, file, [
        "--replay-speed=1",
        `--dashboard-clients=${MEMORY_CLIENTS}`,
      ]).filter((a) => a !== "--exit-at-end"),
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    try {
      await (await connect(port))!.body!.cancel();
      await settle();
      const before = await steadyRss(child.pid);
      const streams = await Promise.all(
        Array.from(
          { length: MEMORY_CLIENTS },
          (_, i) => connect(port, undefined, `S${i % 50}-USD`),
        ),
      );
      const readers = streams.map((s) => s!.body!.getReader());
      const drained = readers.map(drain);
      await settle();
      const after = await steadyRss(child.pid);
      out.push((after - before) / MEMORY_CLIENTS);
      for (const r of readers) await r.cancel().catch(() => {});
      await Promise.all(drained);
    } finally {
      child.kill("SIGTERM");
      await child.status;
    }
  }
  return out;
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done) { /* discard */ }
  } catch {
    // Cancelled.
  }
}

function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 3000));
}

/** The median of 11 RSS samples 100 ms apart. */
async function steadyRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 11; i++) {
    samples.push(await rssKb(pid));
    await new Promise((r) => setTimeout(r, 100));
  }
  return median(samples);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
