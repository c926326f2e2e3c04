import assert from "node:assert/strict";
import {
  SqlEscapeError,
  sqlIdentifier,
  sqlValue,
} from "../../src/connectors/clickhouse/sql_escape.ts";

Deno.test("sqlValue() quotes strings and escapes quotes, backslashes and control characters", () => {
  assert.equal(sqlValue("plain"), "'plain'");
  assert.equal(sqlValue("x'); DROP TABLE candles; --"), "'x\\'); DROP TABLE candles; --'");
  assert.equal(sqlValue("a\\b"), "'a\\\\b'");
  assert.equal(sqlValue("\\'"), "'\\\\\\''");
  assert.equal(sqlValue("l1\nl2\tt\r\0"), "'l1\\nl2\\tt\\r\\0'");
  assert.equal(sqlValue("\u0001\u001f\u007f"), "'\\x01\\x1f\\x7f'");
  assert.equal(sqlValue("日本 🚀"), "'日本 🚀'");
});

Deno.test("sqlValue() renders numbers, bigints, booleans and null", () => {
  assert.equal(sqlValue(42), "42");
  assert.equal(sqlValue(-1.5), "-1.5");
  assert.equal(sqlValue(-0), "0");
  assert.equal(sqlValue(1e21), "1e+21");
  assert.equal(sqlValue(12345678901234567890n), "12345678901234567890");
  assert.equal(sqlValue(true), "1");
  assert.equal(sqlValue(false), "0");
  assert.equal(sqlValue(null), "NULL");
});

Deno.test("sqlValue() rejects non-finite numbers and non-scalar values", () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    assert.throws(() => sqlValue(bad), SqlEscapeError);
  }
  assert.throws(() => sqlValue({} as never), SqlEscapeError);
  assert.throws(() => sqlValue(undefined as never), SqlEscapeError);
});

Deno.test("sqlIdentifier() back-quotes plain names and rejects anything else", () => {
  assert.equal(sqlIdentifier("candles_1"), "`candles_1`");
  for (const bad of ["", "1abc", "a-b", "a`b", "a b", "a;DROP", "ü"]) {
    assert.throws(() => sqlIdentifier(bad), SqlEscapeError, bad);
  }
});
