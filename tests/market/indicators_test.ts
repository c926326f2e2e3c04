import assert from "node:assert/strict";
import ti from "technicalindicators";
import { bollinger } from "../../src/market/indicators/bollinger.ts";
import { ema, emaLast } from "../../src/market/indicators/ema.ts";
import { rsi, rsiLast } from "../../src/market/indicators/rsi.ts";
import { sma } from "../../src/market/indicators/sma.ts";
import { volatility } from "../../src/market/indicators/volatility.ts";
import { assertClose, mulberry32 } from "./prng.ts";
import { rsiByHand, volatilityByHand } from "../helpers/indicator_reference.ts";

function closes(seed: number, n: number): number[] {
  const rnd = mulberry32(seed);
  const out = [100];
  for (let i = 1; i < n; i++) out.push(out[i - 1] * Math.exp((rnd() - 0.5) * 0.04));
  return out;
}

// technicalindicators returns only the warmed-up values: pad the front with nulls to align.
function padded(ref: number[], total: number): (number | null)[] {
  return [...Array(total - ref.length).fill(null), ...ref];
}

function assertSeries(actual: (number | null)[], expected: (number | null)[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((v, i) => assertClose(v, expected[i], `${what}[${i}]`));
}

const CLOSES = closes(1, 120);

Deno.test("sma() matches technicalindicators SMA including warm-up", () => {
  for (const n of [1, 5, 20]) {
    const ref = ti.SMA.calculate({ period: n, values: CLOSES });
    assertSeries(sma(CLOSES, n), padded(ref, CLOSES.length), `SMA(${n})`);
  }
});

Deno.test("ema() matches technicalindicators EMA (SMA seed, first value at the n-th close)", () => {
  for (const n of [2, 12, 26]) {
    const ref = ti.EMA.calculate({ period: n, values: CLOSES });
    assertSeries(ema(CLOSES, n), padded(ref, CLOSES.length), `EMA(${n})`);
  }
});

Deno.test("bollinger() matches technicalindicators BollingerBands (population σ)", () => {
  const ref = ti.BollingerBands.calculate({ period: 20, stdDev: 2, values: CLOSES });
  const ours = bollinger(CLOSES, { period: 20, multiplier: 2 });
  assertSeries(
    ours.map((b) => b?.upper ?? null),
    padded(ref.map((b) => b.upper), CLOSES.length),
    "upper",
  );
  assertSeries(
    ours.map((b) => b?.middle ?? null),
    padded(ref.map((b) => b.middle), CLOSES.length),
    "middle",
  );
  assertSeries(
    ours.map((b) => b?.lower ?? null),
    padded(ref.map((b) => b.lower), CLOSES.length),
    "lower",
  );
});

// technicalindicators rounds RSI to 2 decimals, so the reference is by hand (tests/helpers).
Deno.test("rsi() matches Wilder's RSI computed by hand, first value at close n + 1", () => {
  for (const n of [2, 14]) assertSeries(rsi(CLOSES, n), rsiByHand(CLOSES, n), `RSI(${n})`);
  const r = rsi([1, 2, 3, 4], 2);
  assert.deepEqual(r, [null, null, 100, 100]);
  // And agrees with technicalindicators to its 2 decimals.
  const ref = padded(ti.RSI.calculate({ period: 14, values: CLOSES }), CLOSES.length);
  rsi(CLOSES, 14).forEach((v, i) => {
    if (v === null) assert.equal(ref[i], null);
    else assert.ok(Math.abs(v - (ref[i] as number)) <= 0.005 + 1e-9, `RSI[${i}]`);
  });
});

Deno.test("volatility() is the sample σ of log returns over n, computed by hand", () => {
  const n = 20;
  const expected = volatilityByHand(CLOSES, n);
  assertSeries(volatility(CLOSES, n), expected, "volatility(20)");
  assertClose(
    volatility([100, 110, 99], 2)[2],
    Math.sqrt(((Math.log(1.1) - Math.log(0.9)) ** 2) / 2),
    "small",
  );
});

Deno.test("indicators reject bad periods", () => {
  assert.throws(() => sma([1], 0), RangeError);
  assert.throws(() => ema([1], 1.5), RangeError);
  assert.throws(() => volatility([1], 1), RangeError);
});

Deno.test("emaLast / rsiLast equal the last value of ema / rsi over the same range, to the bit", () => {
  const next = mulberry32(7);
  const closes = Array.from({ length: 300 }, () => 100 + 10 * next());
  for (const n of [2, 12, 14, 26]) {
    for (const [from, to] of [[0, 300], [0, n - 1], [0, n], [17, 145], [299, 300], [5, 5]]) {
      const range = closes.slice(from, to);
      assert.equal(
        emaLast(closes, n, from, to),
        ema(range, n).at(-1) ?? null,
        `ema ${n} ${from}…${to}`,
      );
      assert.equal(
        rsiLast(closes, n, from, to),
        rsi(range, n).at(-1) ?? null,
        `rsi ${n} ${from}…${to}`,
      );
    }
  }
});
