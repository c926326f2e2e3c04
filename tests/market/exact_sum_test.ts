import assert from "node:assert/strict";
import { ExactSum } from "../../src/market/exact_sum.ts";
import { mulberry32 } from "./prng.ts";

function fsum(xs: number[]): number {
  const s = new ExactSum();
  for (const x of xs) s.add(x);
  return s.value();
}

Deno.test("ExactSum.value() is the correctly rounded sum (Python math.fsum cases)", () => {
  const cases: [number[], number][] = [
    [[], 0],
    [Array(10).fill(0.1), 1],
    [[1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50], 1e-100],
    [[2 ** 53, -0.5, -(2 ** -54)], 2 ** 53 - 1],
    [[2 ** 53, 1.0, 2 ** -100], 2 ** 53 + 2],
    [[2 ** 53 + 10, 1.0, 2 ** -100], 2 ** 53 + 12],
    [[2 ** 53 - 4, 0.5, 2 ** -54], 2 ** 53 - 3],
  ];
  for (const [xs, want] of cases) assert.equal(fsum(xs), want, JSON.stringify(xs));
});

Deno.test("ExactSum gives the same bits in any order", () => {
  const rnd = mulberry32(3);
  const xs = Array.from({ length: 500 }, () => rnd() * 10 ** Math.floor(rnd() * 8));
  const want = fsum(xs);
  for (let k = 0; k < 20; k++) {
    const shuffled = [...xs].sort(() => rnd() - 0.5);
    assert.equal(fsum(shuffled), want);
  }
});

Deno.test("ExactSum.addSum() adds another sum exactly", () => {
  const a = new ExactSum();
  const b = new ExactSum();
  for (const x of [1e100, 1.0, 1e-100]) a.add(x);
  for (const x of [-1e100, -1.0]) b.add(x);
  b.addSum(a);
  assert.equal(b.value(), 1e-100);
});
