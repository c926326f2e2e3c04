import assert from "node:assert/strict";
import { IntervalError, parseInterval, parseIntervals } from "../../src/market/interval.ts";

Deno.test("parseInterval() reads s, m, h and d", () => {
  assert.deepEqual(parseInterval("1m"), { name: "1m", ms: 60_000 });
  assert.deepEqual(parseInterval("15s"), { name: "15s", ms: 15_000 });
  assert.deepEqual(parseInterval("4h"), { name: "4h", ms: 14_400_000 });
  assert.deepEqual(parseInterval("1d"), { name: "1d", ms: 86_400_000 });
});

Deno.test("parseInterval() throws IntervalError for bad input", () => {
  for (const bad of ["", "0m", "1M", "m", "1.5m", "-1m", "1w", "01m"]) {
    assert.throws(() => parseInterval(bad), IntervalError, bad);
  }
});

Deno.test("parseIntervals() sorts, and reports every problem at once", () => {
  assert.deepEqual(parseIntervals("1h, 1m,5m").map((i) => i.name), ["1m", "5m", "1h"]);
  assert.throws(() => parseIntervals("1m,60s,2x"), (e: unknown) => {
    assert.ok(e instanceof IntervalError);
    assert.match((e as IntervalError).message, /"60s" repeats "1m"/);
    assert.match((e as IntervalError).message, /"2x"/);
    return true;
  });
  assert.throws(() => parseIntervals(" , "), IntervalError);
});
