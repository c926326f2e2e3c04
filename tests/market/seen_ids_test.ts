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
