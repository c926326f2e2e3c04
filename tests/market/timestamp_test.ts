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

Deno.test("toEpochMs() refuses ISO dates that do not exist instead of rolling them over", () => {
  const bad = [
    "2024-02-30T00:00:00Z", // Date.parse: 2024-03-01
    "2023-02-29T00:00:00Z", // not a leap year
    "1900-02-29T00:00:00Z", // divisible by 100, not by 400
    "2024-13-01T00:00:00Z",
    "2024-00-10T00:00:00Z",
    "2024-04-31T00:00:00Z", // Date.parse: 2024-05-01
    "2024-01-00T00:00:00Z",
    "2024-01-01T24:00:00Z", // Date.parse: the next day
    "2024-01-01T23:60:00Z",
    "2024-01-01T23:59:60Z", // a leap second: epoch time has none
    "2024-01-01T00:00:00+24:00",
    "2024-01-01T00:00:00+01:60",
  ];
  for (const s of bad) assert.ok(Number.isNaN(toEpochMs(s)), s);
  assert.equal(toEpochMs("2024-02-29T00:00:00Z"), Date.UTC(2024, 1, 29));
  assert.equal(toEpochMs("2000-02-29T23:59:59.999Z"), Date.UTC(2000, 1, 29, 23, 59, 59, 999));
  assert.equal(toEpochMs("2024-04-30T00:00:00-23:59"), Date.UTC(2024, 3, 30, 23, 59));
  assert.equal(toEpochMs("2024-12-31 23:59Z"), Date.UTC(2024, 11, 31, 23, 59));
  // Numbers and digit strings are read as before.
  assert.equal(toEpochMs(1_704_067_200_000), 1_704_067_200_000);
  assert.equal(toEpochMs("1704067200000000"), 1_704_067_200_000);
  assert.equal(toEpochMs("1704067200"), 1_704_067_200_000);
});
