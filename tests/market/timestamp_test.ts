import assert from "node:assert/strict";
import { toNumber } from "../../src/market/decimal.ts";
import { toEpochMs } from "../../src/market/timestamp.ts";

Deno.test("toEpochMs() reads each unit by magnitude and ISO only with a zone", () => {
  assert.equal(toEpochMs(1_700_000_000), 1_700_000_000_000);
  assert.equal(toEpochMs(1_700_000_000_123), 1_700_000_000_123);
  assert.equal(toEpochMs(1_700_000_000_123_999), 1_700_000_000_123);
  assert.equal(toEpochMs("1700000000123999999"), 1_700_000_000_123);
  assert.equal(toEpochMs("1700000000123999"), 1_700_000_000_123);
  assert.equal(toEpochMs(1_700_000_000_123_000_000), 1_700_000_000_123);
  assert.equal(toEpochMs("2023-11-14T22:13:20.5Z"), 1_700_000_000_500);
  assert.equal(toEpochMs("2023-11-14T22:13:20+0000"), 1_700_000_000_000);
  assert.ok(Number.isNaN(toEpochMs("2023-11-14T22:13:20")));
  assert.ok(Number.isNaN(toEpochMs(1e21)));
  assert.ok(Number.isNaN(toEpochMs(-1)));
  assert.ok(Number.isNaN(toEpochMs(true)));
});

Deno.test("toNumber() accepts JSON numbers and strict decimal strings only", () => {
  assert.equal(toNumber("1.5e3"), 1500);
  assert.equal(toNumber(".5"), 0.5);
  assert.equal(toNumber("5."), 5);
  for (const bad of ["", " 1", "0x10", "Infinity", "1,5", "1e", null, {}]) {
    assert.ok(Number.isNaN(toNumber(bad)), String(bad));
  }
});
