import assert from "node:assert/strict";
import {
  HEALTH_TOPIC,
  MarketStream,
  type MarketStreamOptions,
  type PriceRow,
} from "../../src/http/market_stream.ts";
import { PartialCandles } from "../../src/http/partial_candles.ts";
import { SseHub } from "../../src/http/sse_hub.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { HealthSummary } from "../../src/http/health_summary.ts";
import type { IndicatorRow } from "../../src/market/indicator_row.ts";
import type { Tick } from "../../src/market/tick.ts";

const IV = [{ name: "1m", ms: 60_000 }, { name: "5m", ms: 300_000 }];
const tick = (symbol: string, ts: number, price: number, size: number | null = 1): Tick => ({
  source: "s",
  symbol,
  price,
  size,
  ts,
  id: `${symbol}-${ts}`,
});

Deno.test("partial candles: OHLCV per open window from the ticks seen, in any order", () => {
  const p = new PartialCandles(IV, 10, "composite");
  const ticks = [
    tick("A-USD", 61_000, 10, 2),
    tick("A-USD", 65_000, 12, 1),
    tick("A-USD", 62_000, 9, 3), // out of order: neither the first nor the last
    tick("A-USD", 60_500, 11, 1), // earliest: the open
    tick("A-USD", 59_000, 99, 1), // an older window than the one in progress: left alone
  ];
  for (const t of ticks) p.add(t);
  const byIv = new Map(p.takeChanged().map((c) => [c.interval, c]));
  const m1 = byIv.get("1m")!;
  // Worked by hand: ticks in [60 000, 120 000) are 10, 12, 9, 11 (by time 11, 10, 9, 12).
  assert.deepEqual(
    [m1.window_start, m1.open, m1.high, m1.low, m1.close, m1.volume, m1.trades, m1.version],
    [60_000, 11, 12, 9, 12, 7, 4, 0],
  );
  // The 5 m window [0, 300 000) took all five.
  const m5 = byIv.get("5m")!;
  assert.deepEqual([m5.window_start, m5.open, m5.high, m5.close, m5.volume, m5.trades], [
    0,
    99,
    99,
    12,
    8,
    5,
  ]);
  assert.deepEqual(p.takeChanged(), [], "nothing changed since");
  // A later window starts a new candle; closing the 1 m one drops its preview — only when it is
  // the previewed venue's candle.
  p.add(tick("A-USD", 120_000, 13, null));
  p.closed({ venue: "coinbase", symbol: "A-USD", interval: "1m", window_start: 120_000 } as Candle);
  assert.deepEqual(p.takeChanged().map((c) => c.interval), ["1m", "5m"]);
  p.add(tick("A-USD", 121_000, 14, 2));
  p.closed(
    { venue: "composite", symbol: "A-USD", interval: "1m", window_start: 120_000 } as Candle,
  );
  const after = p.takeChanged();
  assert.deepEqual(after.map((c) => [c.interval, c.window_start, c.volume]), [["5m", 0, 10]]);
});

Deno.test("partial candles: bounded by symbols", () => {
  const p = new PartialCandles(IV.slice(0, 1), 2, "composite");
  for (let i = 0; i < 5; i++) p.add(tick(`S${i}-USD`, 1000, 1));
  p.takeChanged();
  p.add(tick("S4-USD", 2000, 2));
  p.add(tick("S0-USD", 2000, 2));
  // S0 was forgotten: it starts again from this tick.
  const s0 = p.takeChanged().find((c) => c.symbol === "S0-USD")!;
  assert.equal(s0.trades, 1);
});

const health = (): Promise<HealthSummary> => Promise.reject(new Error("not in this test"));
const noPrices = (): PriceRow[] => [];

/** A stream over `hub` with these tests' settings (no timer flushes unless `o` says so). */
const streamOn = (hub: SseHub, o: Partial<MarketStreamOptions> = {}): MarketStream =>
  new MarketStream(hub, {
    intervals: IV,
    venue: "composite",
    maxSymbols: 10,
    health,
    prices: noPrices,
    flushMs: 1e9,
    ...o,
  });

async function readEvents(res: Response, n: number): Promise<{ event: string; data: unknown }[]> {
  const reader = res.body!.getReader();
  const out: { event: string; data: unknown }[] = [];
  let text = "";
  while (out.length < n) {
    const r = await reader.read();
    if (r.done) break;
    text += new TextDecoder().decode(r.value);
    for (let end = text.indexOf("\n\n"); end >= 0; end = text.indexOf("\n\n")) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) out.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  // One read may carry more events than asked for (a flush's events arrive as one chunk).
  return out.slice(0, n);
}

Deno.test("market stream: does nothing while nobody watches; batches once someone does", async () => {
  const hub = new SseHub({}, { now: () => 0 });
  let reads = 0;
  const price: PriceRow = { symbol: "A-USD", price: 10, ts: 61_000, source: "s" };
  const stream = streamOn(hub, {
    prices: () => (reads++, [price]),
  });
  try {
    stream.ticks([tick("A-USD", 61_000, 10)]);
    stream.flush();
    assert.equal(reads, 0, "no price is read while nobody watches");
    const res = hub.connect(null);
    const candle = {
      venue: "composite",
      symbol: "A-USD",
      interval: "1m",
      window_start: 0,
      version: 1,
    } as Candle;
    stream.candles([candle]);
    stream.ticks([tick("A-USD", 61_000, 10)]);
    stream.alerts([]);
    stream.flush();
    const events = await readEvents(res, 4);
    assert.deepEqual(events.map((e) => e.event), ["candles", "partial", "latest", "prices"]);
    assert.deepEqual(events[0].data, [candle]);
    // The overview's fields of it (this candle has no prices).
    assert.deepEqual(events[2].data, {
      candles: [{ venue: "composite", symbol: "A-USD", interval: "1m", window_start: 0 }],
      indicators: [],
    });
    assert.deepEqual(events[3].data, [price]);
    // The tick before anyone watched is not in the preview.
    assert.equal((events[1].data as { trades: number }[])[0].trades, 1);
  } finally {
    stream.close();
    hub.close();
  }
});

Deno.test("market stream: a price goes out once, again only when a newer one is known", async () => {
  const hub = new SseHub();
  let prices: PriceRow[] = [
    { symbol: "A-USD", price: 10, ts: 1000, source: "s" },
    { symbol: "B-USD", price: 20, ts: 1000, source: "s" },
    // A symbol known from a candle only: no price yet.
    { symbol: "C-USD", price: NaN, ts: -Infinity, source: "" },
  ];
  const stream = streamOn(hub, {
    prices: () => prices,
  });
  try {
    const res = hub.connect(null, new Set());
    stream.flush();
    stream.flush();
    prices = [{ ...prices[0], price: 11, ts: 2000 }, prices[1]];
    stream.flush();
    const events = await readEvents(res, 2);
    assert.deepEqual(events.map((e) => e.event), ["prices", "prices"]);
    assert.deepEqual(
      events.map((e) => (e.data as PriceRow[]).map((p) => [p.symbol, p.price])),
      [[["A-USD", 10], ["B-USD", 20]], [["A-USD", 11]]],
    );
  } finally {
    stream.close();
    hub.close();
  }
});

Deno.test("market stream: candles, indicators and the overview's latest carry the charted venue's only", async () => {
  const hub = new SseHub();
  const stream = streamOn(hub);
  try {
    const res = hub.connect(null);
    const c = (venue: string): Candle => ({
      venue,
      symbol: "A-USD",
      interval: "1m",
      window_start: 0,
      open: 1,
      high: 3,
      low: 0.5,
      close: 2,
      volume: 7,
      vwap: 1.5,
      trades: 4,
      first_ts: 1,
      last_ts: 59_000,
      version: 1,
    });
    const ind = (venue: string): IndicatorRow => ({
      venue,
      symbol: "A-USD",
      interval: "1m",
      window_start: 0,
      close: 2,
      sma: null,
      ema_fast: 2,
      ema_slow: 2,
      rsi: 55,
      bb_upper: null,
      bb_middle: null,
      bb_lower: null,
      volatility: null,
      version: 1,
    });
    stream.candles([c("coinbase"), c("composite"), c("kraken")]);
    stream.indicators([ind("kraken"), ind("composite")]);
    stream.flush();
    const events = await readEvents(res, 3);
    assert.deepEqual(events.map((e) => e.event), ["candles", "indicators", "latest"]);
    // Only the charted venue's candles: the other venues' are the stores'.
    assert.deepEqual(events[0].data, [c("composite")]);
    assert.deepEqual(events[1].data, [ind("composite")]);
    // The fields the overview shows: open, close and volume of the candle, RSI.
    assert.deepEqual(events[2].data, {
      candles: [{
        venue: "composite",
        symbol: "A-USD",
        interval: "1m",
        window_start: 0,
        open: 1,
        close: 2,
        volume: 7,
      }],
      indicators: [{
        venue: "composite",
        symbol: "A-USD",
        interval: "1m",
        window_start: 0,
        rsi: 55,
      }],
    });
  } finally {
    stream.close();
    hub.close();
  }
});

Deno.test("market stream: a buffer over its bound becomes one reset", async () => {
  const hub = new SseHub();
  const stream = streamOn(hub, {
    maxPendingRows: 3,
  });
  try {
    const res = hub.connect(null);
    const c = {
      venue: "composite",
      symbol: "A-USD",
      interval: "1m",
      window_start: 0,
      version: 1,
    } as Candle;
    stream.candles([c, c]);
    stream.candles([c, c]);
    stream.candles([c]);
    stream.flush();
    stream.candles([c]);
    stream.flush();
    const events = await readEvents(res, 2);
    assert.deepEqual(events.map((e) => e.event), ["reset", "candles"]);
    assert.deepEqual(events[1].data, [c]);
  } finally {
    stream.close();
    hub.close();
  }
});

Deno.test("market stream: the last 50 dead letters, newest first, cut to 240 characters", () => {
  const hub = new SseHub();
  const stream = streamOn(hub);
  try {
    const dl = (i: number) => ({
      reason: "bad_price" as const,
      detail: "d",
      raw: `${i}`.padEnd(1000, "x"),
      source: "s",
      ts: i,
    });
    stream.deadLetters(Array.from({ length: 30 }, (_, i) => dl(i)));
    stream.deadLetters(Array.from({ length: 30 }, (_, i) => dl(30 + i)));
    const recent = stream.recentDeadLetters();
    assert.deepEqual(recent.map((d) => d.ts), Array.from({ length: 50 }, (_, i) => 59 - i));
    assert.equal(recent[0].raw.length, 240);
  } finally {
    stream.close();
  }
});

Deno.test("market stream: a large batch goes out in events of at most 500 rows", async () => {
  const hub = new SseHub();
  const stream = streamOn(hub);
  try {
    const res = hub.connect(null);
    const rows = Array.from(
      { length: 1201 },
      (_, i) =>
        ({
          venue: "composite",
          symbol: "A-USD",
          interval: "1m",
          window_start: i * 60_000,
          version: 1,
        }) as Candle,
    );
    stream.candles(rows);
    stream.flush();
    const events = await readEvents(res, 3);
    const sizes = events.map((e) => (e.data as Candle[]).length);
    assert.deepEqual(sizes, [500, 500, 201]);
    assert.deepEqual(events.flatMap((e) => e.data as Candle[]), rows);
  } finally {
    stream.close();
    hub.close();
  }
});

Deno.test("market stream: candle events go to the symbol's subscribers; latest to everyone", async () => {
  const hub = new SseHub();
  const stream = streamOn(hub);
  try {
    const onlyB = hub.connect(null, new Set(["B-USD"]));
    const none = hub.connect(null, new Set());
    const c = (symbol: string, window_start: number, version = 1) =>
      ({ venue: "composite", symbol, interval: "1m", window_start, version }) as Candle;
    stream.candles([c("A-USD", 0), c("B-USD", 0), c("A-USD", 60_000), c("A-USD", 0, 2)]);
    stream.flush();
    stream.alerts([]);
    const b = await readEvents(onlyB, 2);
    assert.deepEqual(b.map((e) => e.event), ["candles", "latest"]);
    assert.deepEqual(b[0].data, [c("B-USD", 0)]);
    // The newest window of each series; a revision of an older one is not the newest.
    const shown = (symbol: string, window_start: number) => ({
      venue: "composite",
      symbol,
      interval: "1m",
      window_start,
    });
    assert.deepEqual(b[1].data, {
      candles: [shown("A-USD", 60_000), shown("B-USD", 0)],
      indicators: [],
    });
    const n = await readEvents(none, 1);
    assert.deepEqual(n.map((e) => e.event), ["latest"]);
  } finally {
    stream.close();
    hub.close();
  }
});

Deno.test("market stream: latest goes out at most every latestMs, with the newest of each series since", async () => {
  const hub = new SseHub();
  let now = 0;
  const stream = streamOn(hub, {
    latestMs: 1000,
    now: () => now,
  });
  try {
    const res = hub.connect(null, new Set());
    const c = (symbol: string, window_start: number, version = 1) =>
      ({ venue: "composite", symbol, interval: "1m", window_start, version }) as Candle;
    stream.candles([c("A-USD", 0)]);
    stream.flush(); // at 0: goes out
    now = 400;
    stream.candles([c("A-USD", 60_000), c("B-USD", 0)]);
    stream.flush(); // withheld
    now = 800;
    stream.candles([c("A-USD", 60_000, 2), c("B-USD", 0)]);
    stream.flush(); // withheld
    now = 1000;
    stream.flush(); // both batches' newest per series
    now = 1500;
    stream.flush(); // nothing new: nothing sent
    now = 2000;
    stream.candles([c("B-USD", 60_000)]);
    stream.flush();
    const shown = (symbol: string, window_start: number) => ({
      venue: "composite",
      symbol,
      interval: "1m",
      window_start,
    });
    const events = await readEvents(res, 3);
    assert.deepEqual(events.map((e) => e.event), ["latest", "latest", "latest"]);
    assert.deepEqual(events.map((e) => (e.data as { candles: unknown[] }).candles), [
      [shown("A-USD", 0)],
      [shown("A-USD", 60_000), shown("B-USD", 0)],
      [shown("B-USD", 60_000)],
    ]);
  } finally {
    stream.close();
    hub.close();
  }
});

Deno.test("market stream: health summaries are read and sent only while a client follows them", async () => {
  const hub = new SseHub();
  let reads = 0;
  const summary = { ts: 1 } as unknown as HealthSummary;
  const stream = streamOn(hub, {
    health: () => (reads++, Promise.resolve(summary)),
    prices: () => [{ symbol: "A-USD", price: 1, ts: Date.now(), source: "s" }],
    flushMs: 5,
    healthMs: 5,
  });
  // The stream's timers do not hold the process open; this one does while the test waits.
  const alive = setInterval(() => {}, 1000);
  try {
    // The overview: three flushes pass (its price events: the timers ran) with no summary read.
    const overview = hub.connect(null, new Set());
    const seen = await readEvents(overview, 3);
    assert.deepEqual(seen.map((e) => e.event), ["prices", "prices", "prices"]);
    assert.equal(reads, 0);
    const healthPage = hub.connect(null, new Set([HEALTH_TOPIC]));
    // Read until its first summary (price events come too).
    const reader = healthPage.body!.getReader();
    let text = "";
    while (!text.includes("event: health\n")) {
      const r = await reader.read();
      assert.ok(!r.done, "the stream ended before a health event");
      text += new TextDecoder().decode(r.value);
    }
    await reader.cancel();
    const data = /event: health\ndata: (.*)\n/.exec(text)![1];
    assert.deepEqual(JSON.parse(data), summary);
    assert.ok(reads > 0);
  } finally {
    clearInterval(alive);
    stream.close();
    hub.close();
  }
});
