/**
 * Fault matrix, HTTP flood: the pipeline runs a replay in a child process limited to 1,024 file
 * descriptors while another process opens 1,100 idle connections and 3,000 half-sent requests to
 * its HTTP port. The process must not die, must keep answering a connection it had accepted before
 * the flood, must answer `/health` on fresh connections once the flood clears, and must finish the
 * replay (exit 0) with the same candles as an unflooded run of the same file. How long the replay
 * takes under the flood is measured outside the test (docs/operations.md), never asserted here.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { RawHttpClient } from "../helpers/raw_http.ts";
import { freePort, pollUntil } from "../helpers/services.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const IDLE = 1100;
const HALF_SENT = 3000;

interface Child {
  readonly process: Deno.ChildProcess;
  /** Set once the process has exited. */
  exit: Deno.CommandStatus | null;
  readonly stderr: Promise<string>;
}

/**
 * `deno run src/main.ts …` (with an fd limit when given), its stderr kept for failure messages,
 * its stdin a pipe when `stdin` is set.
 */
function spawnPipeline(args: string[], o: { fdLimit?: number; stdin?: boolean } = {}): Child {
  const deno = [Deno.execPath(), "run", "--allow-all", `${ROOT}src/main.ts`, ...args];
  const [cmd, ...rest] = o.fdLimit
    ? ["bash", "-c", `ulimit -n ${o.fdLimit} && exec "$@"`, "bash", ...deno]
    : deno;
  const process = new Deno.Command(cmd, {
    args: rest,
    stdin: o.stdin ? "piped" : "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const child: Child = { process, exit: null, stderr: new Response(process.stderr).text() };
  process.status.then((s) => (child.exit = s));
  return child;
}

/** The flood client in its own process, its fd limit raised (as far as allowed) for 4,100 sockets. */
function spawnFlood(port: number) {
  const client = `${ROOT}tests/faults/http_flood_client.ts`;
  const process = new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`,
      "bash",
      Deno.execPath(),
      "run",
      "--allow-net",
      client,
      String(port),
      String(IDLE),
      String(HALF_SENT),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = jsonLines(process.stdout);
  return {
    opened: async () => (await lines.next()).value as { opened: number; failed: number },
    /** Closes every flood connection; resolves with how many the server had closed or refused. */
    release: async () => {
      await process.stdin.close();
      const last = (await lines.next()).value as { closedByServer: number };
      await process.status;
      return last;
    },
    /** Ends the client if a failed assertion left it running. */
    stop: async () => {
      try {
        process.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await process.status;
      await lines.return(undefined);
      await process.stdin.close().catch(() => {});
    },
  };
}

async function* jsonLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  let text = "";
  for await (const part of stream.pipeThrough(new TextDecoderStream())) {
    text += part;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n")) {
      yield JSON.parse(text.slice(0, i));
      text = text.slice(i + 1);
    }
  }
}

/** The status of `GET path` on a new connection (fetch could reuse one opened before the flood). */
async function status(port: number, path: string): Promise<number> {
  const client = await RawHttpClient.connect(port);
  try {
    await client.request(path, { headers: "Connection: close\r\n" });
    return (await client.response())?.status ?? 0;
  } finally {
    client.close();
  }
}

function candles(file: string): unknown[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare("SELECT * FROM candles ORDER BY symbol, interval, window_start, venue").all();
  } finally {
    db.close();
  }
}

/** Ticks the pipeline has accepted, from /metrics asked on `client`'s connection. */
async function ticksOn(client: RawHttpClient): Promise<number> {
  await client.request("/metrics");
  const res = await client.response();
  assert.equal(res?.status, 200, "/metrics on the connection accepted before the flood");
  return [...res!.body.matchAll(/^pipeline_ticks_total\{[^}]*\} (\d+)$/gm)]
    .reduce((n, m) => n + Number(m[1]), 0);
}

Deno.test("HTTP flood: 1,100 idle and 3,000 half-sent connections under a 1,024 fd limit neither stop nor change a replay", async () => {
  const dir = await Deno.makeTempDir();
  const fixture = generateReplay({
    seed: 13,
    ticks: 3000,
    symbols: ["BTC-USD", "ETH-USD", "SOL-USD"],
    start: Date.UTC(2026, 0, 1),
    gapMs: 400,
  });
  const file = `${dir}/ticks.ndjson`;
  await Deno.writeTextFile(file, fixture.lines.join("\n") + "\n");
  // The flooded run replays its stdin, which the test writes in three parts: the flood then
  // certainly happens in the middle of the replay, and data flows while it lasts, however slow the
  // machine. Closing stdin ends the replay.
  const parts = [0, 1000, 2000, fixture.lines.length].slice(1).map((end, i, ends) =>
    new TextEncoder().encode(fixture.lines.slice(i ? ends[i - 1] : 0, end).join("\n") + "\n")
  );
  const run = (replay: string, db: string, port: number) => [
    "--source=replay",
    `--replay-file=${replay}`,
    `--sqlite=${dir}/${db}`,
    `--http=127.0.0.1:${port}`,
    "--exit-at-end",
  ];
  const port = freePort();
  const flooded = spawnPipeline(run("/dev/stdin", "flooded.sqlite", port), {
    fdLimit: 1024,
    stdin: true,
  });
  const reference = spawnPipeline(run(file, "reference.sqlite", freePort()));
  const why = async () => `exit ${JSON.stringify(flooded.exit)}\n${await flooded.stderr}`;
  const feed = flooded.process.stdin.getWriter();
  const send = async (part: Uint8Array) => {
    try {
      await feed.write(part);
    } catch (err) {
      throw new Error(`the flooded pipeline stopped reading its replay: ${await why()}`, {
        cause: err,
      });
    }
  };
  let early: RawHttpClient | null = null;
  let flood: ReturnType<typeof spawnFlood> | null = null;
  try {
    await send(parts[0]);
    await pollUntil("the flooded pipeline to answer /health", () => status(port, "/health"));
    early = await RawHttpClient.connect(port);
    const before = await pollUntil("the first part replayed", () => ticksOn(early!));

    flood = spawnFlood(port);
    const { opened, failed } = await flood.opened();
    // While flooded: more data is replayed, and the connection accepted before the flood (within
    // the cap) is still answered.
    await send(parts[1]);
    await pollUntil("more ticks replayed during the flood", async () => {
      if (flooded.exit) throw new Error(`the pipeline exited: ${await why()}`);
      return await ticksOn(early!) > before;
    });
    assert.ok(opened > 1024, `the flood opened ${opened} connections (${failed} failed)`);

    const { closedByServer } = await flood.release();
    assert.ok(closedByServer > 0, "the server closed or refused flood connections");
    await pollUntil("/health on a fresh connection after the flood", async () => {
      if (flooded.exit) throw new Error(`the pipeline exited: ${await why()}`);
      return await status(port, "/health") === 200;
    });
    const metrics = (await early.request("/metrics"), await early.response())?.body ?? "";
    const refused = Number(/connections_rejected_total\{reason="cap"\} (\d+)/.exec(metrics)?.[1]);
    assert.ok(refused > 0, `connections refused over the cap: ${refused}`);
    early.close();
    await send(parts[2]);
    await feed.close();

    const [f, r] = [await flooded.process.status, await reference.process.status];
    assert.equal(f.code, 0, `the flooded pipeline exits 0: ${await why()}`);
    assert.equal(r.code, 0, `the reference pipeline exits 0: ${await reference.stderr}`);
    const expected = candles(`${dir}/reference.sqlite`);
    assert.ok(expected.length > 0, "the reference run stored candles");
    assert.deepEqual(candles(`${dir}/flooded.sqlite`), expected, "same candles with and without");
  } finally {
    early?.close();
    await flood?.stop();
    await feed.abort().catch(() => {});
    for (const c of [flooded, reference]) {
      if (!c.exit) c.process.kill("SIGKILL");
      await c.process.status;
      await c.stderr;
    }
    await Deno.remove(dir, { recursive: true });
  }
});
