import assert from "node:assert/strict";
import {
  type Column,
  encodeRowBinary,
  RowBinaryError,
} from "../../src/connectors/clickhouse/row_binary.ts";

type R = Record<string, unknown>;
const col = (name: string, type: Column<R>["type"]): Column<R> => ({
  name,
  type,
  get: (r) => r[name] as never,
});

Deno.test("encodeRowBinary() writes little-endian numbers, null flags and UTF-8 strings", () => {
  const cols = [
    col("s", "String"),
    col("ns", "Nullable(String)"),
    col("f", "Float64"),
    col("nf", "Nullable(Float64)"),
    col("u", "UInt32"),
    col("big", "UInt64"),
  ];
  const bytes = encodeRowBinary(cols, [{
    s: "é",
    ns: null,
    f: 1,
    nf: 2,
    u: 258,
    big: 2 ** 32 + 1,
  }]);
  assert.deepEqual([...bytes], [
    2,
    0xc3,
    0xa9, // "é": length 2, UTF-8
    1, // null
    0,
    0,
    0,
    0,
    0,
    0,
    0xf0,
    0x3f, // 1.0
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0x40, // not null, 2.0
    2,
    1,
    0,
    0, // 258
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0, // 2^32 + 1
  ]);
});

Deno.test("encodeRowBinary() prefixes string lengths as LEB128 varints at every boundary", () => {
  for (const len of [0, 127, 128, 16_383, 16_384, 100_000]) {
    const s = "a".repeat(len);
    const bytes = encodeRowBinary([col("s", "String")], [{ s }]);
    let value = 0, shift = 0, i = 0;
    for (;; i++) {
      value += (bytes[i] & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(bytes[i] & 0x80)) break;
    }
    assert.equal(value, len);
    assert.equal(bytes.length, i + 1 + len);
  }
  const multi = encodeRowBinary([col("s", "String")], [{ s: "日".repeat(50) }]); // 150 bytes
  assert.deepEqual([...multi.subarray(0, 2)], [150 & 0x7f | 0x80, 1]);
  assert.equal(new TextDecoder().decode(multi.subarray(2)), "日".repeat(50));
});

Deno.test("encodeRowBinary() rejects values that do not fit their column", () => {
  const bad: [Column<R>, unknown][] = [
    [col("u", "UInt32"), -1],
    [col("u", "UInt32"), 1.5],
    [col("u", "UInt32"), 2 ** 32],
    [col("big", "UInt64"), 2 ** 53],
    [col("f", "Float64"), null],
    [col("s", "String"), 3],
  ];
  for (const [c, v] of bad) {
    assert.throws(() => encodeRowBinary([c], [{ [c.name]: v }]), RowBinaryError, `${c.type} ${v}`);
  }
});
