import assert from "node:assert/strict";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { startTestPipeline } from "../helpers/test_pipeline.ts";

Deno.test("HTTP: /metrics, /health, /ready and the read API, with 400s for bad parameters", async () => {
  const dir = await Deno.makeTempDir();
  const fixture = generateReplay({
    seed: 5,
    ticks: 3000,
    symbols: ["BTC-USD", "ETH-USD"],
    start: Date.UTC(2026, 0, 1),
    gapMs: 400,
  });
  await Deno.writeTextFile(`${dir}/t.ndjson`, fixture.lines.join("\n"));
  const pipeline = await startTestPipeline([
    "--source=replay",
    `--replay-file=${dir}/t.ndjson`,
    `--sqlite=${dir}/db.sqlite`,
    "--http=127.0.0.1:0",
  ]);
  try {
    await pipeline.drained;
    const base = `http://127.0.0.1:${pipeline.http!.port}`;
    const get = async (path: string) => {
      const res = await fetch(base + path);
      const text = await res.text();
      return { status: res.status, type: res.headers.get("content-type"), text };
    };

    const metrics = await get("/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.type!, /text\/plain/);
    for (
      const name of [
        "pipeline_ticks_total",
        "pipeline_candles_total",
        "pipeline_actor_mailbox_size",
        "pipeline_sink_rows_written_total",
        "pipeline_build_info",
      ]
    ) {
      assert.ok(metrics.text.includes(name), `/metrics has ${name}`);
    }
    assert.deepEqual(JSON.parse((await get("/health")).text).status, "ok");
    assert.equal((await get("/ready")).status, 200);

    const latest = JSON.parse((await get("/api/latest")).text);
    assert.deepEqual(latest.symbols.map((s: { symbol: string }) => s.symbol), [
      "BTC-USD",
      "ETH-USD",
    ]);
    const lastBtc = fixture.valid.filter((t) => t.symbol === "BTC-USD").sort((a, b) => a.ts - b.ts)
      .at(-1)!;
    assert.equal(latest.symbols[0].price, lastBtc.price, "latest price is the newest tick's");
    const prices = JSON.parse((await get("/api/prices")).text);
    assert.deepEqual(
      prices.prices,
      latest.symbols.map((s: { symbol: string; price: number; ts: number; source: string }) => ({
        symbol: s.symbol,
        price: s.price,
        ts: s.ts,
        source: s.source,
      })),
      "/api/prices: /api/latest's prices alone",
    );
    assert.equal(prices.prices[0].ts, lastBtc.ts);

    const candles = JSON.parse((await get("/api/candles?symbol=btc-usd&interval=5m&limit=3")).text);
    assert.equal(candles.symbol, "BTC-USD");
    assert.equal(candles.candles.length, 3);
    assert.ok(candles.candles[0].window_start < candles.candles[2].window_start, "oldest first");
    // The composite by default; ?venue= a feed's own candles. One venue here, so the composite
    // has its values, with the venue as its only constituent.
    assert.equal(candles.venue, "composite");
    assert.ok(candles.candles.every((c: { venue: string }) => c.venue === "composite"));
    const own = JSON.parse(
      (await get("/api/candles?symbol=BTC-USD&interval=5m&limit=3&venue=fixture")).text,
    );
    assert.equal(own.venue, "fixture");
    assert.deepEqual(
      candles.candles,
      own.candles.map((c: Record<string, unknown>) => ({
        ...c,
        venue: "composite",
        constituents: ["fixture"],
        excluded: [],
      })),
    );
    const none = JSON.parse((await get("/api/candles?symbol=BTC-USD&venue=kraken")).text);
    assert.deepEqual(none.candles, [], "a venue without candles: none");
    const btc = latest.symbols[0];
    assert.equal(btc.candles["1m"].venue, "composite", "/api/latest: the composite's candles");
    assert.deepEqual(Object.keys(btc.venues).sort(), ["composite", "fixture"]);

    const alerts = await get("/api/alerts?limit=10");
    assert.equal(alerts.status, 200);
    assert.ok(Array.isArray(JSON.parse(alerts.text).alerts));

    for (
      const bad of [
        "/api/candles",
        "/api/candles?symbol=BTC-USD&interval=7m",
        "/api/candles?symbol=BTC-USD&limit=-1",
        `/api/candles?symbol=BTC-USD&venue=${"x".repeat(300)}`,
        "/api/alerts?limit=abc",
      ]
    ) {
      const res = await get(bad);
      assert.equal(res.status, 400, bad);
      assert.ok(JSON.parse(res.text).error.length > 0, `${bad} explains the error`);
    }
    // Integer parameters take only canonical decimal integers: Number() would accept most of these.
    for (
      const limit of [
        "0x10",
        "1e3",
        "%20%205",
        "%205",
        "+5",
        "%2B5",
        "05",
        "5.0",
        "0",
        "5001",
        "",
        "5&limit=6",
        "99999999999999999999",
      ]
    ) {
      for (const path of ["/api/candles?symbol=BTC-USD&limit=", "/api/alerts?limit="]) {
        const res = await get(path + limit);
        assert.equal(res.status, 400, path + limit);
        assert.match(JSON.parse(res.text).error, /limit must be/, `${path + limit} names limit`);
      }
    }
    assert.equal((await get("/api/alerts?limit=5000")).status, 200);
    assert.equal((await get("/nope")).status, 404);
    assert.equal(
      await fetch(base + "/metrics", { method: "POST" }).then(async (
        r,
      ) => (await r.body?.cancel(), r.status)),
      405,
    );
  } finally {
    await pipeline.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main: invalid configuration exits 2 listing every error; --help exits 0", async () => {
  const run = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-env", "--allow-read", "--allow-run", "src/launch.ts", ...args],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    return {
      code: out.code,
      out: new TextDecoder().decode(out.stdout),
      err: new TextDecoder().decode(out.stderr),
    };
  };
  const bad = await run(["--partitions=x", "--intervals=", "--source=replay"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--partitions/);
  assert.match(bad.err, /--intervals/);
  assert.match(bad.err, /--source replay needs --replay-file/, "in the same report");
  assert.equal(bad.err.split("\n").filter((l) => l.startsWith("  - ")).length, 3, bad.err);
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /REPLAY_FILE/);
});
