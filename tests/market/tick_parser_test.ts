import assert from "node:assert/strict";
import {
  MAX_PRICE,
  MAX_SIZE,
  MIN_PRICE,
  MIN_SIZE,
  TickParser,
} from "../../src/market/tick_parser.ts";
import type { ParseResult } from "../../src/market/tick_parser.ts";
import type { Tick } from "../../src/market/tick.ts";
import { integerId } from "../../src/market/tick_order.ts";
import { mulberry32 } from "./prng.ts";

const NOW = 1_700_000_000_000;
const parser = new TickParser({ now: () => NOW });

function ok(r: ParseResult) {
  if (!r.ok) throw new Error(`expected a tick, got ${r.reason}: ${r.detail}`);
  return r.tick;
}

function reason(r: ParseResult): string {
  return r.ok ? "ok" : r.reason;
}

Deno.test("TickParser.parse() accepts a numeric tick and normalises the symbol", () => {
  const t = ok(parser.parse(
    '{"source":"binance","symbol":"btcusdt","price":43250.12,"size":0.0153,"ts":1699999999123,"id":"123456789","side":"buy"}',
  ));
  assert.deepEqual(t, {
    source: "binance",
    symbol: "BTC-USDT",
    price: 43250.12,
    size: 0.0153,
    ts: 1699999999123,
    id: "123456789",
    side: "buy",
  });
});

Deno.test("TickParser.parse() reads decimal strings, numeric ids and fills the source", () => {
  const t = ok(
    parser.parse(
      '{"symbol":"XBT/USD","price":"0.5","size":"2e-3","ts":"1699999999000","id":42}',
      "kraken",
    ),
  );
  assert.deepEqual(t, {
    source: "kraken",
    symbol: "BTC-USD",
    price: 0.5,
    size: 0.002,
    ts: 1699999999000,
    id: "42",
  });
});

Deno.test("TickParser.parse() takes timestamps in s, ms, µs, ns and ISO 8601 with a zone", () => {
  const cases: [unknown, number][] = [
    [1699999999.5, 1699999999500],
    ["1699999999.321", 1699999999321],
    [1699999999123, 1699999999123],
    [1699999999123456, 1699999999123],
    ["1699999999123456789", 1699999999123],
    ["2023-11-14T22:13:19.123456Z", 1699999999123],
    ["2023-11-14T23:13:19+01:00", 1699999999000],
    ["2023-11-14 22:13:19Z", 1699999999000],
  ];
  for (const [ts, want] of cases) {
    const t = ok(parser.validate({ source: "s", symbol: "ETH-USD", price: 1, ts, id: "1" }));
    assert.equal(t.ts, want, `ts ${JSON.stringify(ts)}`);
  }
});

Deno.test("TickParser.parse() accepts bytes and leaves size null when absent", () => {
  const bytes = new TextEncoder().encode(
    '{"source":"coincap","symbol":"ETH-USD","price":2000,"ts":1699999999000,"id":"s1"}',
  );
  const t = ok(parser.parse(bytes));
  assert.equal(t.size, null);
  assert.equal("side" in t, false);
});

Deno.test("TickParser.parse() rejects each kind of bad input with its reason", () => {
  const base = { source: "s", symbol: "BTC-USD", price: 1, size: 1, ts: NOW, id: "1" };
  const json = (patch: Record<string, unknown>) => JSON.stringify({ ...base, ...patch });
  const cases: [string | Uint8Array, string][] = [
    ["{not json", "malformed_json"],
    ["[1,2]", "malformed_json"],
    ["null", "malformed_json"],
    ['"tick"', "malformed_json"],
    [new Uint8Array([0x7b, 0xff, 0x7d]), "malformed_json"],
    [json({ source: undefined }), "missing_field"],
    [json({ symbol: undefined }), "missing_field"],
    [json({ symbol: "bitcoin" }), "missing_field"],
    [json({ symbol: 5 }), "missing_field"],
    [json({ price: undefined }), "missing_field"],
    [json({ ts: undefined }), "missing_field"],
    [json({ id: undefined }), "missing_field"],
    [json({ id: "" }), "missing_field"],
    [json({ id: 1.5 }), "missing_field"],
    [json({ price: 0 }), "bad_price"],
    [json({ price: -3 }), "bad_price"],
    [json({ price: "abc" }), "bad_price"],
    [json({ price: "0x10" }), "bad_price"],
    [json({ price: "Infinity" }), "bad_price"],
    [json({ price: "1e999" }), "bad_price"],
    [json({ price: true }), "bad_price"],
    [json({ size: -1 }), "bad_size"],
    [json({ size: "lots" }), "bad_size"],
    [json({ size: "1e999" }), "bad_size"],
    [json({ ts: 1_000_000_000_000 }), "bad_timestamp"],
    [json({ ts: NOW + 60_001 }), "bad_timestamp"],
    [json({ ts: "2023-11-14T22:13:19" }), "bad_timestamp"],
    [json({ ts: "yesterday" }), "bad_timestamp"],
    [json({ ts: -5 }), "bad_timestamp"],
    [json({ ts: "2024-02-30T00:00:00Z" }), "bad_timestamp"],
    ["x".repeat(4097), "too_large"],
    [json({ id: "é".repeat(2100) }), "too_large"],
    [new Uint8Array(5000), "too_large"],
  ];
  for (const [input, want] of cases) {
    assert.equal(reason(parser.parse(input)), want, String(input).slice(0, 80));
  }
});

Deno.test("TickParser bounds prices and sizes so that candle sums stay finite and exact", () => {
  const base = { source: "s", symbol: "BTC-USD", price: 1, size: 1, ts: NOW, id: "1" };
  const cases: [Record<string, unknown>, string][] = [
    [{ price: 1e308 }, "bad_price"],
    [{ price: "1e308" }, "bad_price"],
    [{ price: MAX_PRICE * (1 + 2 ** -52) }, "bad_price"],
    [{ price: 1e-19 }, "bad_price"],
    [{ price: 5e-324 }, "bad_price"],
    [{ price: MAX_PRICE }, "ok"],
    [{ price: "1e12" }, "ok"],
    [{ price: MIN_PRICE }, "ok"],
    [{ size: 1e308 }, "bad_size"],
    [{ size: "1e16" }, "bad_size"],
    [{ size: 1e-19 }, "bad_size"],
    [{ size: 5e-324 }, "bad_size"],
    [{ size: MAX_SIZE }, "ok"],
    [{ size: MIN_SIZE }, "ok"],
    [{ size: 0 }, "ok"],
  ];
  for (const [patch, want] of cases) {
    assert.equal(reason(parser.validate({ ...base, ...patch })), want, JSON.stringify(patch));
  }
  const zero = ok(parser.validate({ ...base, size: "-0" }));
  assert.ok(Object.is(zero.size, 0), "-0 becomes 0");
});

Deno.test("TickParser.parse() allows exactly maxFutureSkewMs of future skew", () => {
  const r = parser.validate({
    source: "s",
    symbol: "BTC-USD",
    price: 1,
    ts: NOW + 60_000,
    id: "1",
  });
  assert.equal(reason(r), "ok");
});

Deno.test("TickParser.validate() applies the allow-list only when one is set", () => {
  const p = new TickParser({ allowList: new Set(["btc/usd", "ETH-USD"]) });
  const fields = (symbol: string) => ({ source: "s", symbol, price: 1, ts: NOW, id: "1" });
  assert.equal(reason(p.validate(fields("BTC-USD"))), "ok");
  assert.equal(reason(p.validate(fields("xbtusd"))), "ok");
  assert.equal(reason(p.validate(fields("SOL-USD"))), "unknown_symbol");
  assert.equal(reason(parser.validate(fields("SOL-USD"))), "ok");
});

Deno.test("TickParser.parse() never throws on random garbage", () => {
  const rnd = mulberry32(7);
  const pieces = [
    '{"',
    '"',
    ":",
    ",",
    "}",
    "[",
    "]",
    "price",
    "ts",
    "1e400",
    "-",
    "null",
    "\\u0000",
    "é",
    "{}",
    "true",
  ];
  for (let i = 0; i < 5000; i++) {
    let s = "";
    const n = Math.floor(rnd() * 20);
    for (let j = 0; j < n; j++) s += pieces[Math.floor(rnd() * pieces.length)];
    const r = parser.parse(s, "fuzz");
    assert.equal(typeof r.ok, "boolean");
  }
  const weird: unknown[] = [null, 5, "x", [], { toString: null }, Object.create(null)];
  for (const w of weird) assert.equal(parser.validate(w as never).ok, false);
});

Deno.test("TickParser.parse() normalises side and drops an unknown one", () => {
  const t = (side: unknown) =>
    ok(parser.validate({ source: "s", symbol: "BTC-USD", price: 1, ts: NOW, id: "1", side }));
  assert.equal(t("SELL").side, "sell");
  assert.equal("side" in t("maker"), false);
});

Deno.test("TickParser refuses the candles' reserved venue names as a tick's source", () => {
  for (const source of ["composite", "legacy"]) {
    const r = parser.parse(JSON.stringify({ source, symbol: "BTC-USD", price: 1, ts: NOW, id: 1 }));
    assert.equal(r.ok, false, source);
    if (!r.ok) {
      assert.equal(r.reason, "missing_field");
      assert.match(r.detail, new RegExp(`reserved venue name ${source}`));
    }
  }
  const fine = parser.parse(
    JSON.stringify({ source: "composites", symbol: "BTC-USD", price: 1, ts: NOW, id: 1 }),
  );
  assert.equal(fine.ok, true);
});

Deno.test("TickParser with idNumbers gives each tick its id as integerId reads it, in every layout", () => {
  const withIds = new TickParser({ now: () => NOW, idNumbers: true });
  const rnd = mulberry32(17);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const ids: unknown[] = [
    "0",
    "7",
    "10",
    "007",
    "00",
    "-5",
    "+5",
    "1a",
    "a1",
    "1.5",
    "1e3",
    " 1",
    "\u0661\u0662", // Arabic-Indic digits: not ASCII digits
    "999999999999999", // 15 digits: the longest exact one
    "1000000000000000", // 16 digits
    "123456789012345678901234567890",
    0,
    -0,
    42,
    -5,
    999_999_999_999_999,
    1e15,
    Number.MAX_SAFE_INTEGER,
  ];
  let checked = 0;
  for (let n = 0; n < 4_000; n++) {
    const id = n < ids.length ? ids[n] : pick([
      ...ids,
      String(Math.floor(rnd() * 10 ** (1 + (n % 17)))),
      "0" + String(n),
      `t-${n}`,
    ]);
    const fields = { source: "s", symbol: "BTC-USD", price: 1.5, size: 2, ts: NOW - 1, id };
    const canonical = JSON.stringify(fields);
    const generic = JSON.stringify({ id, ts: NOW - 1, price: 1.5, symbol: "BTC-USD", source: "s" });
    const escaped = canonical.replace('"symbol"', '"sym\\u0062ol"'); // JSON.parse's path
    const framed = `[${canonical}]`;
    const results = [
      withIds.parseTick(canonical),
      withIds.parseTick(new TextEncoder().encode(canonical)),
      withIds.parseTick(generic),
      withIds.parseTick(escaped),
      withIds.parseTickAt(framed, 1, framed.length - 1),
      ...(withIds.validate(fields).ok ? [(withIds.validate(fields) as { tick: Tick }).tick] : []),
    ];
    for (const t of results) {
      if ("ok" in t) continue; // refused (an id that is no safe integer nor a non-empty string)
      assert.equal(t.idNum, integerId(t.id), `${JSON.stringify(t.id)} from ${JSON.stringify(id)}`);
      checked++;
    }
    const plain = parser.parseTick(canonical);
    if (!("ok" in plain)) assert.equal("idNum" in plain, false, "idNum only when asked for");
  }
  assert.ok(checked > 20_000, `only ${checked} ticks checked`);
});

Deno.test("TickParser: a message's own idNum key never becomes the tick's idNum", () => {
  const withIds = new TickParser({ now: () => NOW, idNumbers: true });
  const lines = [
    // Not the producer's layout: the generic reader, then #check reads the id itself.
    '{"idNum":5,"source":"s","symbol":"BTC-USD","price":1,"size":1,"ts":1699999999000,"id":"7"}',
    // The producer's layout with an extra key: generic reader too.
    '{"source":"s","symbol":"BTC-USD","price":1,"size":1,"ts":1699999999000,"id":"7","idNum":5}',
    // Escaped, so JSON.parse's path.
    '{"source":"s","symbol":"BTC-USD","price":1,"size":1,"ts":1699999999000,"id":"\\u0037","idNum":5}',
  ];
  for (const line of lines) {
    const t = ok(withIds.parse(line));
    assert.equal(t.id, "7", line);
    assert.equal(t.idNum, 7, line);
    assert.equal("idNum" in ok(parser.parse(line)), false, line);
  }
  const fields = { source: "s", symbol: "BTC-USD", price: 1, ts: NOW - 1, id: "a", idNum: 5 };
  assert.equal(ok(withIds.validate(fields)).idNum, -1);
});
