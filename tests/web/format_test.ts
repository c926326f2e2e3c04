import assert from "node:assert/strict";
import { change, formatChange, formatPrice, formatTime, formatVolume } from "../../web/format.js";

Deno.test("format: prices, changes, volumes", () => {
  assert.equal(formatPrice(100123.456), "100,123.46");
  assert.equal(formatPrice(12.3456789), "12.3457");
  assert.equal(formatPrice(0.000123456), "0.00012346");
  assert.equal(formatPrice(null), "–");
  assert.equal(formatPrice(NaN), "–");
  assert.equal(change(100, 103), 0.03);
  assert.equal(change(0, 1), null);
  assert.equal(formatChange(100, 103), "+3.00 %");
  assert.equal(formatChange(100, 97), "-3.00 %");
  assert.equal(formatChange(100, 100), "0.00 %");
  assert.equal(formatChange(null, 1), "–");
  assert.equal(formatVolume(1234), "1.23 k");
  assert.equal(formatVolume(2_500_000), "2.50 M");
  assert.equal(formatVolume(12.345), "12.35");
});

Deno.test("format: time in UTC, and in the local zone", () => {
  const ms = Date.UTC(2026, 0, 5, 9, 4, 7);
  assert.equal(formatTime(ms, true), "2026-01-05 09:04:07 UTC");
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  assert.equal(
    formatTime(ms, false),
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
      p(d.getMinutes())
    }:${p(d.getSeconds())}`,
  );
});
