// The chart's overlays against the technicalindicators package (an independent implementation)
// and against the pipeline's own indicators for the same closes.
import assert from "node:assert/strict";
import { BollingerBands, EMA, RSI } from "technicalindicators";
import { bollinger, ema, PERIODS, rsi } from "../../web/indicators.js";
import { rsi as pipelineRsi } from "../../src/market/indicators/rsi.ts";

const closes = Array.from(
  { length: 120 },
  (_, i) => 100 + 10 * Math.sin(i / 5) + 3 * Math.cos(i / 2.3) + (i % 7) * 0.4,
);

function close(a: number | null, b: number, what: string) {
  assert.ok(a !== null, `${what}: value expected`);
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

Deno.test("web indicators: EMA matches technicalindicators, null while warming up", () => {
  for (const period of [PERIODS.emaFast, PERIODS.emaSlow]) {
    const mine = ema(closes, period);
    const theirs = EMA.calculate({ period, values: closes });
    assert.deepEqual(mine.slice(0, period - 1), new Array(period - 1).fill(null));
    theirs.forEach((v, i) => close(mine[i + period - 1], v, `ema${period}[${i}]`));
  }
});

Deno.test("web indicators: Bollinger bands match technicalindicators (population σ)", () => {
  const mine = bollinger(closes, PERIODS.bollinger, PERIODS.bollingerMult);
  const theirs = BollingerBands.calculate({
    period: PERIODS.bollinger,
    stdDev: PERIODS.bollingerMult,
    values: closes,
  });
  assert.equal(mine[PERIODS.bollinger - 2].middle, null);
  theirs.forEach((b, i) => {
    const m = mine[i + PERIODS.bollinger - 1];
    close(m.upper, b.upper, `upper[${i}]`);
    close(m.middle, b.middle, `middle[${i}]`);
    close(m.lower, b.lower, `lower[${i}]`);
  });
});

Deno.test("web indicators: RSI equals the pipeline's Wilder RSI; near technicalindicators'", () => {
  const mine = rsi(closes, PERIODS.rsi);
  const pipeline = pipelineRsi(closes, PERIODS.rsi);
  pipeline.forEach((v, i) => {
    if (v === null) assert.equal(mine[i], null, `rsi[${i}] warming up`);
    else close(mine[i], v, `rsi[${i}]`);
  });
  // technicalindicators rounds to two decimals.
  const theirs = RSI.calculate({ period: PERIODS.rsi, values: closes });
  theirs.forEach((v, i) => {
    const m = mine[i + PERIODS.rsi];
    assert.ok(m !== null && Math.abs(m - v) <= 0.01, `rsi[${i}]: ${m} vs ${v}`);
  });
  // No losses at all: 100, as the pipeline defines it.
  assert.equal(rsi([1, 2, 3, 4], 2)[3], 100);
});
