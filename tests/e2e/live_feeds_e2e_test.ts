/**
 * Issue 7's end-to-end test: two fake venues (Coinbase and Kraken, on loopback) → the real pipeline
 * in-process (`--source=coinbase,kraken`) → candles in SQLite equal to candles computed here from the
 * trades sent, and the `source_divergence` alert raised once the venues disagree by more than 1 %
 * within 10 s of event time (and never while they agree).
 *
 * Determinism: trades are sent one event-time minute per step, and each step waits until the
 * pipeline has stored every tick sent so far, so a window only closes (the first trade of the next
 * minute moves the watermark past it) after all its trades are in, whatever the interleaving of the
 * two venues. Trades sit between :05 and :48 of their minute, far from window ends, so the idle
 * advance of the watermark (processing time, a few seconds at most here) closes nothing early.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { loadConfig } from "../../src/config/load_config.ts";
import { OPTIONS } from "../../src/config/options.ts";
import { permissionFlags } from "../../src/config/permissions.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { Pipeline } from "../../src/pipeline/pipeline.ts";
import { feedStaleAfterMs } from "../../src/pipeline/partition_stage.ts";
import { coinbaseMatch, startFakeCoinbase } from "../helpers/fake_venues/coinbase.ts";
import { krakenTrade, krakenTradeFrame, startFakeKraken } from "../helpers/fake_venues/kraken.ts";
import type { FakeWsServer } from "../helpers/fake_venues/ws_server.ts";
import { referenceComposite } from "../helpers/composite_reference.ts";
import { compareCandles, exactSum, fromSqliteRow } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";
import { assertCleanStop, startTestPipeline, testConfig } from "../helpers/test_pipeline.ts";

/** An hour boundary a day ago: event times must not be ahead of the clock (parser: ≤ now + 60 s). */
const T0 = Math.floor((Date.now() - 86_400_000) / 3_600_000) * 3_600_000;
const at = (minute: number, second: number) => T0 + minute * 60_000 + second * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

type Venue = "coinbase" | "kraken";
type Pair = "BTC-USD" | "ETH-USD";

/** One trade as the test sends it, and as the pipeline must see it. */
interface Sent {
  venue: Venue;
  symbol: Pair;
  price: number;
  size: number;
  ts: number;
  id: string;
  /** The taker's side (what the tick must carry). */
  side: "buy" | "sell";
}

const INTERVALS: Record<string, number> = { "1m": 60_000, "5m": 300_000 };
const ALLOWED_LATENESS_MS = 2000;

/**
 * The candles of every window closed by a watermark of `watermark`, computed from the trades: one
 * per venue, and the composite of each window (composite_reference.ts).
 */
function expectedCandles(trades: readonly Sent[], watermark: number): Candle[] {
  const windows = new Map<string, Sent[]>();
  for (const t of trades) {
    for (const [interval, ms] of Object.entries(INTERVALS)) {
      const start = Math.floor(t.ts / ms) * ms;
      if (start + ms > watermark) continue; // still open
      const key = `${t.venue}|${t.symbol}|${interval}|${start}`;
      windows.set(key, [...(windows.get(key) ?? []), t]);
    }
  }
  const out: Candle[] = [];
  for (const [key, ticks] of windows) {
    const [venue, symbol, interval, start] = key.split("|");
    const sorted = [...ticks].sort((a, b) => a.ts - b.ts);
    const volume = exactSum(sorted.map((t) => t.size));
    out.push({
      venue,
      symbol,
      interval,
      window_start: Number(start),
      open: sorted[0].price,
      high: Math.max(...sorted.map((t) => t.price)),
      low: Math.min(...sorted.map((t) => t.price)),
      close: sorted.at(-1)!.price,
      volume,
      vwap: exactSum(sorted.map((t) => t.price * t.size)) / volume,
      trades: sorted.length,
      first_ts: sorted[0].ts,
      last_ts: sorted.at(-1)!.ts,
      version: 1,
    });
  }
  const byWindow = Map.groupBy(out, (c) => `${c.symbol}|${c.interval}|${c.window_start}`);
  for (const members of byWindow.values()) {
    out.push(referenceComposite(members, INTERVALS[members[0].interval], 1)!);
  }
  return out.sort(compareCandles);
}

/** The value of the sample `name{labels}` in Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...m[2].matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    const keys = Object.keys(labels);
    if (Object.keys(got).length !== keys.length) continue;
    if (keys.every((k) => got[k] === labels[k])) return Number(m[3]);
  }
  return undefined;
}

Deno.test("live feeds e2e: Coinbase + Kraken fakes → pipeline → exact candles in SQLite and source_divergence", async () => {
  const dir = await Deno.makeTempDir({ prefix: "live_feeds_e2e_" });
  const coinbase = startFakeCoinbase();
  const kraken = startFakeKraken(["BTC/USD", "ETH/USD"]);
  const servers: FakeWsServer[] = [coinbase, kraken];
  let db: DatabaseSync | null = null;
  let pipeline: Pipeline | null = null;
  try {
    const config = testConfig([
      "--source=coinbase,kraken",
      `--coinbase-ws-url=${coinbase.url()}`,
      `--kraken-ws-url=${kraken.url("/v2")}`,
      "--coinbase-symbols=BTC-USD,ETH-USD",
      "--kraken-symbols=BTC-USD,ETH-USD",
      `--sqlite=${dir}/pipeline.db`,
      "--http=off",
      "--intervals=1m,5m",
      "--idle-timeout=1s",
      `--allowed-lateness=${ALLOWED_LATENESS_MS}ms`,
      "--shutdown-timeout=5s",
      "--ui=off",
    ]);
    assert.deepEqual(config.sources, ["coinbase", "kraken"]);
    pipeline = await startTestPipeline(config);
    db = new DatabaseSync(`${dir}/pipeline.db`, { readOnly: true });
    const conn = db;
    const rows = (sql: string) => conn.prepare(sql).all().map((r) => ({ ...r }));
    const count = (table: string) =>
      Number((conn.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);

    // Both clients connect to loopback and subscribe to both pairs.
    await pollUntil(
      "coinbase subscribed",
      () => coinbase.connections[0]?.received.length === 1,
      8000,
      10,
    );
    assert.deepEqual(JSON.parse(coinbase.connections[0].received[0]).product_ids, [
      "BTC-USD",
      "ETH-USD",
    ]);
    await pollUntil(
      "kraken subscribed",
      () => kraken.connections[0]?.received.length === 1,
      8000,
      10,
    );
    assert.deepEqual(JSON.parse(kraken.connections[0].received[0]).params.symbol, [
      "BTC/USD",
      "ETH/USD",
    ]);

    const sent: Sent[] = [];
    const nextId: Record<string, number> = {
      "coinbase|BTC-USD": 5001,
      "coinbase|ETH-USD": 9001,
      "kraken|BTC-USD": 70_001,
      "kraken|ETH-USD": 30_001,
    };
    const send = (venue: Venue, symbol: Pair, ts: number, price: number, size: number) => {
      const id = nextId[`${venue}|${symbol}`]++;
      // Alternate sides; Coinbase sends the maker's side, the tick carries the taker's.
      const taker = id % 2 === 0 ? "buy" : "sell";
      sent.push({ venue, symbol, price, size, ts, id: String(id), side: taker });
      if (venue === "coinbase") {
        coinbase.broadcast(coinbaseMatch({
          tradeId: id,
          product: symbol,
          price: String(price),
          size: String(size),
          side: taker === "buy" ? "sell" : "buy",
          time: iso(ts),
        }));
      } else {
        kraken.broadcast(krakenTradeFrame("update", [
          krakenTrade({
            symbol: symbol.replace("-", "/"),
            side: taker,
            price,
            qty: size,
            trade_id: id,
            timestamp: iso(ts),
          }),
        ]));
      }
    };
    // A step ends once every tick sent so far is stored: the aggregator has taken them all.
    const settled = (what: string) =>
      pollUntil(what, () => count("ticks") === sent.length, 8000, 10);

    // Minute 0: the venues agree (BTC within 0.02 %, ETH within 0.05 %).
    send("coinbase", "BTC-USD", at(0, 8), 60000.5, 0.01);
    send("kraken", "BTC-USD", at(0, 11), 60010, 0.25);
    send("coinbase", "ETH-USD", at(0, 14), 3000.25, 0.5);
    send("kraken", "ETH-USD", at(0, 17), 3001.5, 1.2);
    send("coinbase", "BTC-USD", at(0, 31), 60020, 0.03);
    send("kraken", "BTC-USD", at(0, 40), 60015.5, 0.1);
    await settled("minute 0 stored");
    // Bad input from either venue becomes a dead letter and stops nothing.
    coinbase.broadcast('{"type":"match","trade_id":');
    const doge = krakenTrade({ symbol: "DOGE/USD", trade_id: 1, timestamp: iso(at(0, 50)) });
    kraken.broadcast(krakenTradeFrame("update", [doge]));
    // Minute 1: ETH moves 2.3 % between the venues' trades, but 25 s apart (outside the 10 s
    // window), so it is not a divergence; the trades within 10 s of each other agree.
    send("coinbase", "BTC-USD", at(1, 6), 60030, 0.02);
    send("kraken", "BTC-USD", at(1, 9), 60041.25, 0.4);
    send("coinbase", "ETH-USD", at(1, 5), 3010, 0.7);
    send("kraken", "ETH-USD", at(1, 30), 3080, 0.3);
    send("coinbase", "ETH-USD", at(1, 45), 3075.5, 0.2);
    send("kraken", "ETH-USD", at(1, 48), 3078, 0.9);
    await settled("minute 1 stored");
    // Minutes 2 and 3: agreement.
    send("coinbase", "BTC-USD", at(2, 20), 60100, 0.05);
    send("kraken", "BTC-USD", at(2, 22), 60090, 0.15);
    send("coinbase", "ETH-USD", at(2, 12), 3070, 1.5);
    send("kraken", "ETH-USD", at(2, 15), 3072.5, 0.25);
    await settled("minute 2 stored");
    send("coinbase", "BTC-USD", at(3, 5), 59990, 0.2);
    send("kraken", "BTC-USD", at(3, 44), 60005, 0.01);
    send("kraken", "ETH-USD", at(3, 10), 3090, 0.4);
    send("coinbase", "ETH-USD", at(3, 13), 3088, 0.6);
    await settled("minute 3 stored");
    // Minute 4: Coinbase's ETH trade first (stored), then Kraken 1.6 % higher 4 s later.
    send("coinbase", "ETH-USD", at(4, 10), 3100, 0.4);
    send("coinbase", "BTC-USD", at(4, 12), 60050, 0.3);
    send("kraken", "BTC-USD", at(4, 15), 60060, 0.05);
    await settled("minute 4 agreement stored");
    assert.equal(count("alerts"), 0, "no alert while the venues agree");
    assert.ok(pipeline.latest.snapshot().every((s) => s.alerts === 0));
    send("kraken", "ETH-USD", at(4, 14), 3150, 0.6);
    await settled("divergent trade stored");
    // Minute 7: one trade per symbol moves every partition's watermark past minute 5.
    send("coinbase", "BTC-USD", at(7, 20), 60200, 0.1);
    send("kraken", "ETH-USD", at(7, 22), 3120, 0.1);
    await settled("final trades stored");

    // Candles: every window closed by the final trades, exactly as computed from what was sent.
    const watermark = at(7, 20) - ALLOWED_LATENESS_MS;
    const expected = expectedCandles(sent, watermark);
    assert.equal(
      expected.length,
      36,
      "1m windows 0–4 and the 5m window 0–5, for two symbols: each venue's and the composite",
    );
    const candleSql = `SELECT * FROM candles ORDER BY symbol, "interval", window_start, venue`;
    const candles = () => rows(candleSql).map(fromSqliteRow);
    await pollUntil("closed candles stored", () => count("candles") >= expected.length, 8000, 10);
    assert.deepEqual(candles(), expected);
    // Each venue has its own candle; the composite sums them: 5m BTC has all 12 BTC trades.
    const btc5m = expected.filter((c) => c.symbol === "BTC-USD" && c.interval === "5m");
    assert.deepEqual(btc5m.map((c) => [c.venue, c.trades]), [
      ["coinbase", 6],
      ["composite", 12],
      ["kraken", 6],
    ]);

    // Raw ticks: taker sides (Coinbase's maker side inverted), event times, sizes.
    assert.deepEqual(
      rows(
        `SELECT source, symbol, id, price, size, ts, side FROM ticks ORDER BY source, symbol, id`,
      ),
      [...sent].sort((a, b) =>
        a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol) ||
        a.id.localeCompare(b.id)
      ).map((t) => ({
        source: t.venue,
        symbol: t.symbol,
        id: t.id,
        price: t.price,
        size: t.size,
        ts: t.ts,
        side: t.side,
      })),
    );
    const deadLetters = await pollUntil(
      "dead letters stored",
      () => {
        const d = rows(`SELECT source, reason, raw FROM dead_letters ORDER BY source`);
        return d.length >= 2 && d;
      },
      8000,
      10,
    );
    assert.deepEqual(deadLetters, [
      { source: "coinbase", reason: "malformed_json", raw: '{"type":"match","trade_id":' },
      { source: "kraken", reason: "unknown_symbol", raw: JSON.stringify(doge) },
    ], "only the two bad frames: nothing late");

    // Alerts: exactly one, the divergence of minute 4. A false alert while the venues agreed
    // (minutes 0–3) would show up here, and would also have suppressed this one (minutes 0–4 are
    // one 5 min bucket of the rule). Tick rules compare venues: the alert is the composite's.
    const divergence = (3150 - 3100) / ((3150 + 3100) / 2) * 100; // 1.6 %
    const alerts = await pollUntil(
      "source_divergence alert",
      () => {
        const a = rows(`SELECT * FROM alerts ORDER BY id`);
        return a.length > 0 && a;
      },
      8000,
      10,
    );
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    const { value, ...rest } = alerts[0] as { value: number };
    assert.ok(Math.abs(value - divergence) < 1e-9, `divergence ${value} ≈ ${divergence}`);
    assert.deepEqual(rest, {
      id: `ETH-USD|tick|source_divergence|${at(4, 0)}`,
      symbol: "ETH-USD",
      interval: "tick",
      rule: "source_divergence",
      severity: "warning",
      threshold: 1,
      window_start: at(4, 0),
      venue: "composite",
      message: "ETH-USD tick source_divergence: kraken 3150 vs coinbase 3100: 1.6 %",
    });
    const latest = pipeline.latest.snapshot();
    assert.deepEqual(latest.map((s) => [s.symbol, s.alerts, s.price, s.source]), [
      ["BTC-USD", 0, 60200, "coinbase"],
      ["ETH-USD", 1, 3120, "kraken"],
    ]);

    // Feed metrics, per source.
    const metrics = await pipeline.registry.metrics();
    const perVenue = (v: Venue) => sent.filter((t) => t.venue === v).length;
    for (const venue of ["coinbase", "kraken"] as const) {
      const labels = { source: venue };
      assert.equal(sample(metrics, "pipeline_feed_ticks_total", labels), perVenue(venue), venue);
      // Every frame counts: Coinbase's subscriptions ack, Kraken's status and two subscribe acks,
      // the trades and the bad frame of each.
      assert.equal(
        sample(metrics, "pipeline_feed_messages_total", labels),
        perVenue(venue) + (venue === "coinbase" ? 2 : 4),
        `${venue} messages`,
      );
      const age = sample(metrics, "pipeline_feed_last_message_age_seconds", labels);
      assert.ok(age !== undefined && age >= 0 && age < 30, `${venue} last message age ${age}`);
      assert.deepEqual(
        metrics.split("\n").filter((l) =>
          l.startsWith("pipeline_feed_errors_total{") && l.includes(`source="${venue}"`)
        ),
        venue === "coinbase"
          ? ['pipeline_feed_errors_total{source="coinbase",kind="malformed"} 1']
          // The DOGE/USD trade it did not subscribe to: refused, counted as rejected.
          : ['pipeline_feed_errors_total{source="kraken",kind="rejected"} 1'],
        `${venue}: the malformed frame or the unknown symbol is the only feed error (no reconnect, no timeout)`,
      );
    }
    for (
      const name of [
        "pipeline_feed_reconnects_total",
        "pipeline_feed_sequence_gaps_total",
        "pipeline_feed_request_seconds",
      ]
    ) {
      assert.ok(metrics.includes(`# TYPE ${name} `), `${name} is registered`);
    }
    assert.equal(
      sample(metrics, "pipeline_feed_sequence_gaps_total", { source: "coinbase" }) ?? 0,
      0,
      "consecutive Coinbase trade ids: no gap",
    );

    // A graceful stop closes the feeds and drains; the stored candles stay exactly the same.
    await pipeline.stop();
    await assertCleanStop(pipeline);
    pipeline = null;
    assert.deepEqual(
      candles().filter((c) => c.window_start + INTERVALS[c.interval] <= watermark),
      expected,
    );
    for (const s of servers) assert.ok(s.connections.every((c) => !c.isOpen), "feeds closed");
  } finally {
    db?.close();
    await pipeline?.stop();
    for (const s of servers) await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("docs/feeds.md: the example .env is a valid live configuration, and the launcher lets the pipeline read it", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/feeds.md", import.meta.url));
  const block = /Example `\.env` for a live run[^]*?```sh\n([^]*?)```/.exec(doc)?.[1];
  assert.ok(block, "docs/feeds.md has the example .env");
  const loaded = loadConfig({ args: [], env: () => undefined, dotenv: block });
  if (loaded.kind !== "ok") throw new Error(`example .env: ${JSON.stringify(loaded)}`);
  const c = loaded.config;
  assert.deepEqual(c.sources, ["coinbase", "binance", "kraken", "coincap"]);
  assert.deepEqual(c.feeds.coinbase.symbols, ["BTC-USD", "ETH-USD", "SOL-USD"]);
  assert.deepEqual(c.feeds.kraken.symbols, ["BTC-USD", "ETH-USD", "SOL-USD"]);
  assert.deepEqual(c.feeds.binance.symbolMap, {
    "BTC-USDT": "BTC-USD",
    "ETH-USDT": "ETH-USD",
    "SOL-USDT": "SOL-USD",
  });
  assert.equal(c.feeds.coincapRest.apiKey, "your-key-here");
  assert.equal(c.feeds.coincapRest.pollIntervalMs, 60_000);
  assert.equal(c.feeds.coincapRest.backfillMinutes, 60);
  assert.deepEqual(c.http, { hostname: "127.0.0.1", port: 9464 });

  // Every variable the doc's environment table names is a real option.
  const envNames = new Set(Object.values(OPTIONS).map((o) => o.env));
  const table = doc.slice(doc.indexOf("## Environment"), doc.indexOf("Example `.env`"));
  const documented = [...table.matchAll(/^\| `([A-Z0-9_]+)`/gm)].map((m) => m[1]);
  assert.ok(documented.length >= 14, documented.join(","));
  assert.deepEqual(documented.filter((n) => !envNames.has(n)), [], "unknown variables");

  // `deno task start` runs the pipeline with least privilege: it must still read `.env`, and
  // reach exactly the four venues.
  const flags = permissionFlags(c, { dotenv: ".env" });
  const read = flags.find((f) => f.startsWith("--allow-read="))!.slice(13).split(",");
  assert.ok(read.includes(`${Deno.cwd()}/.env`), flags.join(" "));
  const net = flags.find((f) => f.startsWith("--allow-net="))!.slice(12).split(",");
  assert.deepEqual(net, [
    "127.0.0.1:9464",
    "rest.coincap.io:443",
    "stream.binance.com:9443",
    "ws-feed.exchange.coinbase.com:443",
    "ws.kraken.com:443",
  ]);
});

Deno.test("config: the selected live feeds' settings are validated with every other option", () => {
  const errors = (args: string[]) => {
    const r = loadConfig({ args: [...args, "--http=off", "--sqlite="], env: () => undefined });
    return r.kind === "error" ? r.errors : [];
  };
  assert.deepEqual(
    errors([
      "--source=coinbase,kraken,binance",
      "--coinbase-ws-url=https://ws-feed.exchange.coinbase.com",
      "--kraken-symbols=btcusd",
      "--binance-ws-url=nonsense",
    ]),
    [
      '--source coinbase: option "url" must use ws: or wss:, received "https:"',
      '--source binance: option "url" is not a URL: "nonsense"',
      '--source kraken: option "symbols" has "btcusd", expected BASE-QUOTE like "BTC-USD"',
    ],
  );
  assert.deepEqual(
    errors(["--source=coincap", "--coincap-poll-interval=500ms", "--coincap-transport=ws"]),
    [
      '--source coincap: option "pollIntervalMs" must be ≥ 1000, received 500',
      "--source coincap needs --coincap-api-key (COINCAP_API_KEY): CoinCap v3 requires a key",
    ],
  );
  // Settings of feeds that are not selected are not checked.
  assert.deepEqual(errors(["--source=simulator", "--kraken-symbols=btcusd"]), []);
});

Deno.test("feed_stale tolerates CoinCap's polling: two poll intervals, at least the rule's 60 s", () => {
  const stale = (args: string[]) =>
    feedStaleAfterMs(testConfig([...args, "--http=off", "--sqlite="]));
  assert.equal(stale(["--source=coinbase,kraken"]), 60_000);
  assert.equal(stale(["--source=coincap", "--coincap-api-key=k"]), 120_000);
  assert.equal(
    stale(["--source=coincap,binance", "--coincap-api-key=k", "--coincap-poll-interval=5m"]),
    600_000,
  );
  assert.equal(
    stale(["--source=coincap", "--coincap-api-key=k", "--coincap-poll-interval=10s"]),
    60_000,
  );
});
