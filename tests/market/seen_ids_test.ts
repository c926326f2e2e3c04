import assert from "node:assert/strict";
import { SeenIds } from "../../src/market/seen_ids.ts";
import { compareIds, integerId } from "../../src/market/tick_order.ts";
import { mulberry32 } from "./prng.ts";

Deno.test("SeenIds.add() agrees with a plain Set on random integer and string ids", () => {
  const rnd = mulberry32(1);
  const seen = new SeenIds();
  const ref = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const id = rnd() < 0.8 ? String(Math.floor(rnd() * 3000)) : `s${Math.floor(rnd() * 300)}`;
    assert.equal(seen.add(id, integerId(id)), !ref.has(id), `id ${id} at step ${i}`);
    ref.add(id);
  }
});

Deno.test("SeenIds keeps a gap-free run as one range", () => {
  const seen = new SeenIds();
  for (let i = 100; i > 0; i--) seen.add(String(i), i);
  for (let i = 101; i < 200; i++) seen.add(String(i), i);
  assert.equal(seen.size, 1);
});

Deno.test("SeenIds agrees with a plain Set on descending, interleaved and gap-closing orders", () => {
  const n = 50_000;
  const orders: [string, number[]][] = [
    ["descending with gaps", Array.from({ length: n }, (_, i) => 2 * (n - i))],
    // Odd ids ascending, then the even ones from the front: every even id closes a gap far
    // behind the newest ranges.
    [
      "gaps closed from the front",
      [
        ...Array.from({ length: n }, (_, i) => 2 * i + 1),
        ...Array.from({ length: n }, (_, i) => 2 * i + 2),
      ],
    ],
    ["random, with repeats", Array.from({ length: n }, (_, i) => (i * 7919) % (n / 2))],
  ];
  for (const [name, ids] of orders) {
    const seen = new SeenIds();
    const ref = new Set<number>();
    // Twice over: the second pass finds every id a duplicate, wherever it is kept.
    for (const num of [...ids, ...ids]) {
      assert.equal(seen.add(String(num), num), !ref.has(num), `${name}: id ${num}`);
      ref.add(num);
    }
    assert.ok(seen.size <= ref.size, `${name}: ${seen.size} entries for ${ref.size} ids`);
  }
});

Deno.test("SeenIds merges a straggler among the newest ranges, not one far behind them", () => {
  const seen = new SeenIds();
  // 1, 3, 5, … 99: fifty ranges.
  for (let i = 1; i < 100; i += 2) seen.add(String(i), i);
  assert.equal(seen.size, 50);
  seen.add("98", 98); // among the newest: 97..99 becomes one range
  assert.equal(seen.size, 49);
  seen.add("2", 2); // far behind them: kept on its own, the ranges unchanged
  assert.equal(seen.size, 50);
  assert.equal(seen.add("2", 2), false);
  assert.equal(seen.add("1", 1), false);
  assert.equal(seen.add("3", 3), false);
});

Deno.test("SeenIds keeps a gap-free feed whose ids arrive jittered down to a handful of entries", () => {
  const rnd = mulberry32(3);
  for (const [late, by] of [[0.05, 1000], [0.2, 100], [1, 300]]) {
    // Ids 1..n, a share of them delayed by up to `by` positions (1: every id jittered).
    const n = 100_000;
    const ids = Array.from({ length: n }, (_, i) => [i + (rnd() < late ? rnd() * by : 0), i + 1])
      .sort((a, b) => a[0] - b[0]).map(([, id]) => id);
    const seen = new SeenIds();
    for (const id of ids) assert.equal(seen.add(String(id), id), true);
    // Without merging the far ids back, this was one range and one far id per straggler.
    assert.ok(seen.size < 200, `${late} late by ${by}: ${seen.size} entries`);
    assert.equal(seen.add("1", 1), false);
    assert.equal(seen.add(String(n), n), false);
  }
});

Deno.test("integerId() accepts canonical integers up to 15 digits only", () => {
  assert.equal(integerId("0"), 0);
  assert.equal(integerId("123456789012345"), 123456789012345);
  assert.equal(integerId("1234567890123456"), -1);
  assert.equal(integerId("007"), -1);
  assert.equal(integerId("-1"), -1);
  assert.equal(integerId(""), -1);
});

Deno.test("compareIds() is numeric for integers at any length, else lexical, and total", () => {
  assert.equal(compareIds("9", "10"), -1);
  assert.equal(compareIds("99999999999999999999", "100000000000000000000"), -1);
  assert.equal(compareIds("b9", "b10"), 1);
  assert.equal(compareIds("7", "007"), 1);
  assert.equal(compareIds("5", "5"), 0);
});
