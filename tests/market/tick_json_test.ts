import assert from "node:assert/strict";
import { parseFlatTick } from "../../src/market/tick_json.ts";
import type { RawTickFields } from "../../src/market/tick_parser.ts";
import { mulberry32 } from "./prng.ts";

const FIELDS = ["source", "symbol", "price", "size", "ts", "id", "side"] as const;

// What the parser reads from JSON.parse's object, for comparison with the fast path.
function viaJsonParse(text: string): RawTickFields | "invalid" | "not flat" {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "invalid";
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "not flat";
  const o = v as Record<string, unknown>;
  if (Object.values(o).some((x) => typeof x === "object" && x !== null)) return "not flat";
  const f: RawTickFields = {};
  for (const k of FIELDS) f[k] = Object.hasOwn(o, k) ? o[k] : undefined;
  return f;
}

function check(text: string): void {
  const fast = parseFlatTick(text);
  const slow = viaJsonParse(text);
  if (fast === null) {
    // Falling back is always allowed; accepting what JSON.parse rejects never is.
    return;
  }
  assert.notEqual(slow, "invalid", `fast path accepted invalid JSON ${JSON.stringify(text)}`);
  assert.notEqual(slow, "not flat", `fast path accepted ${JSON.stringify(text)}`);
  for (const k of FIELDS) {
    assert.ok(
      Object.is(fast[k], (slow as RawTickFields)[k]),
      `${k} of ${JSON.stringify(text)}: ${String(fast[k])} vs ${
        String((slow as RawTickFields)[k])
      }`,
    );
  }
}

const TYPICAL =
  '{"source":"fixture","symbol":"S0-USD","price":"100.24","size":1.937756,"ts":1767225600020,"id":"1"}';

Deno.test("parseFlatTick() reads typical ticks exactly as JSON.parse does", () => {
  const f = parseFlatTick(TYPICAL);
  assert.deepEqual(f, {
    source: "fixture",
    symbol: "S0-USD",
    price: "100.24",
    size: 1.937756,
    ts: 1767225600020,
    id: "1",
    side: undefined,
  });
  for (
    const text of [
      "{}",
      " { } ",
      '{"ts":-0,"price":1e400,"size":-1.5E-7,"id":null,"side":true,"x":false}',
      '{"id":"a","id":"b","symbol":"élan-€","source":"\ud800"}',
      '{"price":0.1,"size":123456789012345678901234567890,"ts":"2024-01-01T00:00:00Z"}',
      '\t{"id" : "7" ,\r\n"ts":1}\n',
      '{"source":"a-very-long-source-name-beyond-thirteen"}',
    ]
  ) {
    assert.notEqual(parseFlatTick(text), null, text);
    check(text);
  }
});

Deno.test("parseFlatTick() leaves escapes, nesting and invalid JSON to JSON.parse", () => {
  for (
    const text of [
      "",
      " ",
      "[]",
      "1",
      '"x"',
      '{"id":"a\\"b"}',
      '{"\\u0069d":"1"}',
      '{"id":{"x":1}}',
      '{"id":[1]}',
      '{"id":01}',
      '{"id":1.}',
      '{"id":.5}',
      '{"id":1e}',
      '{"id":+1}',
      '{"id":-}',
      '{"id":1,}',
      '{,"id":1}',
      '{"id":1}x',
      '{"id":1} {}',
      '{"id" 1}',
      '{"id":tru}',
      '{"id":NaN}',
      '{"id":"a\tb"}',
      '\ufeff{"id":1}',
      '{"id":1',
      '{"id',
    ]
  ) {
    check(text);
    if (viaJsonParse(text) === "invalid") assert.equal(parseFlatTick(text), null, text);
  }
});

/**
 * Checks 20 000 random mutations of `base` (one to three characters inserted, deleted or replaced)
 * against JSON.parse; the mutations must exercise both the fast path and the fallback.
 */
function agreesOnMutations(base: string, seed: number): void {
  const rnd = mulberry32(seed);
  const alphabet = ' \t\n\r{}[]:,"\\-+.eE0123456789abcdefnrstul\u00e9\ud800';
  let accepted = 0;
  for (let n = 0; n < 20_000; n++) {
    let text = base;
    for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
      const at = Math.floor(rnd() * (text.length + 1));
      const ch = alphabet[Math.floor(rnd() * alphabet.length)];
      const op = rnd();
      if (op < 0.4) text = text.slice(0, at) + ch + text.slice(at);
      else if (op < 0.8) text = text.slice(0, at) + text.slice(at + 1);
      else text = text.slice(0, at) + ch + text.slice(at + 1);
    }
    check(text);
    if (parseFlatTick(text) !== null) accepted++;
  }
  assert.ok(accepted > 1000 && accepted < 19_000, `accepted ${accepted}`);
}

Deno.test("parseFlatTick() agrees with JSON.parse on random mutations of ticks", () => {
  agreesOnMutations(TYPICAL, 42);
});

// What the pipeline's own producer writes (encodeTick): read by a dedicated fast path, which also
// takes the price and size as strings.
const CANONICAL =
  '{"source":"bench","symbol":"C0-USD","price":20000.125,"size":0.01,"ts":1700000000000,"id":"7","side":"buy"}';

Deno.test("parseFlatTick() reads the producer's own layout exactly as JSON.parse does", () => {
  const rnd = mulberry32(5);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  for (let n = 0; n < 5_000; n++) {
    const tick = {
      source: pick(["bench", "binance", "a-very-long-source-name-beyond-thirteen", "é"]),
      symbol: pick(["C0-USD", "BTC-USDT", ""]),
      // Venues send decimals as strings too: the replay's usual layout.
      price: pick([
        20_000.125,
        -0,
        1e21,
        5e-324,
        0.1 + 0.2,
        rnd() * 1e6,
        123456789012345680,
        "100.24",
        "",
        "1e-7",
        "é",
        "a-decimal-string-beyond-thirteen",
      ]),
      size: pick([null, 0, 0.01, rnd(), 1e-7, "0.5", ""]),
      ts: pick([1_700_000_000_000 + Math.floor(rnd() * 1e9), 0, -1]),
      id: pick([String(n), "", "id-" + "x".repeat(Math.floor(rnd() * 40))]),
      ...(rnd() < 0.5 ? { side: pick(["buy", "sell", "BUY"]) } : {}),
    };
    const text = JSON.stringify(tick);
    assert.notEqual(parseFlatTick(text), null, text);
    check(text);
  }
});

Deno.test("parseFlatTick() agrees with JSON.parse on random mutations of the producer's layout", () => {
  agreesOnMutations(CANONICAL, 43);
});

Deno.test("parseFlatTick() reads numbers exactly as JSON.parse does, short and long", () => {
  const rnd = mulberry32(7);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join("");
  const numbers = [
    "0",
    "-0",
    "-0.0",
    "0.1",
    "0.3",
    "1e3",
    "1.5E-7",
    "123456789012345",
    "9007199254740993",
  ];
  for (let n = 0; n < 20_000; n++) {
    const whole = String(Number(digits(1 + Math.floor(rnd() * 12))));
    const frac = rnd() < 0.8 ? "." + digits(1 + Math.floor(rnd() * 12)) : "";
    numbers.push((rnd() < 0.2 ? "-" : "") + whole + frac);
  }
  for (const text of numbers) {
    const f = parseFlatTick(`{"price":${text}}`);
    assert.ok(f !== null, text);
    assert.ok(Object.is(f.price, JSON.parse(text)), `${text}: ${f.price} vs ${JSON.parse(text)}`);
  }
});

Deno.test("parseFlatTick() on a range of a longer string reads only that range", () => {
  const rnd = mulberry32(11);
  const records = [
    TYPICAL,
    " " + TYPICAL + " ",
    CANONICAL,
    CANONICAL.slice(0, 60),
    CANONICAL.slice(60),
    '{"price":1',
    "2}",
    "{",
    '"a":1}',
    "tr",
    "{}",
    "  ",
  ];
  for (let n = 0; n < 2_000; n++) {
    const parts = Array.from({ length: 4 }, () => records[Math.floor(rnd() * records.length)]);
    const text = parts.join("");
    let start = 0;
    for (const part of parts) {
      const end = start + part.length;
      const ranged = parseFlatTick(text, start, end);
      if (ranged !== null) {
        // Accepted: exactly what the record alone gives.
        assert.deepEqual(ranged, parseFlatTick(part), JSON.stringify({ text, part }));
      }
      if (viaJsonParse(part) === "invalid") assert.equal(ranged, null, part);
      start = end;
    }
  }
});

Deno.test("parseFlatTick() into a reused object gives what a fresh one gives, nothing left over", () => {
  const into: RawTickFields = {};
  const texts = [
    CANONICAL,
    CANONICAL.replace(',"side":"buy"', ""), // canonical, no side: the earlier side must not stay
    '{"source":"x","symbol":"C0-USD","price":1,"size":1,"ts":1,"id":"1","side":', // fails late
    '{ "id": "2" }', // generic reader, one key
    CANONICAL,
    "{}",
  ];
  for (const text of texts) {
    const reused = parseFlatTick(text, 0, text.length, into);
    assert.deepEqual(reused === null ? null : { ...reused }, parseFlatTick(text), text);
  }
});
