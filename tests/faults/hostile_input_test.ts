/**
 * Hostile input (issue #13): a seeded fuzzer over both replay formats. A valid generated file has
 * ~10 % of its valid lines mutated — high bits flipped, invalid UTF-8 inserted, truncation, huge
 * numbers, hex, impossible dates, duplicated keys, deleted fields or columns, lines above the line
 * limit — and runs through the whole embedded pipeline. Never a crash; every line is a stored tick
 * or a dead letter with a reason; the candles equal the reference computed from the lines left
 * intact.
 *
 * Why the unmutated lines are the expected accepted set, rather than whatever the parser accepts:
 * asking the parser would test it against itself. Instead every mutation is built to be invalid
 * (a byte ≥ 0x80 in an ASCII line is never UTF-8; a proper prefix of a JSON object is never JSON;
 * a repeated key's last value wins, so it is made bad; …) and names the reason it must get, and
 * the test checks that dead letter, so a mutation that slipped through would fail the count.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Prng } from "../../src/feeds/prng.ts";
import type { Candle } from "../../src/market/candle.ts";
import {
  compareCandles,
  expectedCandles,
  type FixtureTick,
  fromSqliteRow,
  generateReplay,
} from "../helpers/replay_fixture.ts";
import { assertCleanStop, runToEnd } from "../helpers/test_pipeline.ts";

const MAX_LINE_BYTES = 16_384;
const encoder = new TextEncoder();

/** A mutated line and the reason it must be refused with (`any`: a reason, whichever). */
interface Mutation {
  bytes: Uint8Array;
  reason: string;
}

/** The file to replay, which line holds which valid tick, and what each refused line must get. */
interface HostileFile {
  name: string;
  lines: Uint8Array[];
  accepted: Map<number, FixtureTick>;
  refused: Map<number, string>;
  /** Lines that are neither (a CSV header). */
  skipped: number;
}

const text = (s: string) => encoder.encode(s);

function insertByte(line: string, rng: Prng, byte: number): Uint8Array {
  const b = text(line);
  const at = rng.int(b.length + 1);
  return new Uint8Array([...b.subarray(0, at), byte, ...b.subarray(at)]);
}

function flipHighBit(line: string, rng: Prng): Uint8Array {
  const b = text(line);
  b[rng.int(b.length)] ^= 0x80;
  return b;
}

function pick<T>(rng: Prng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

const IMPOSSIBLE_DATES = [
  "2026-02-29T00:00:00Z",
  "2026-11-31T12:00:00Z",
  "2026-11-01T24:00:00Z",
  "2026-11-01T12:00:60Z",
  "2026-13-01T00:00:00Z",
];

function mutateJson(line: string, rng: Prng): Mutation {
  const o = JSON.parse(line);
  const json = (patch: Record<string, unknown>) => text(JSON.stringify({ ...o, ...patch }));
  switch (rng.int(11)) {
    case 0:
      return { bytes: insertByte(line, rng, 0x80 + rng.int(128)), reason: "malformed_json" };
    case 1:
      return { bytes: flipHighBit(line, rng), reason: "malformed_json" };
    case 2: // a proper prefix of an object is never JSON
      return { bytes: text(line.slice(0, 1 + rng.int(line.length - 1))), reason: "malformed_json" };
    case 3:
      return rng.next() < 0.5
        ? {
          bytes: json({ price: pick(rng, ["1e308", 1e300, "1e13", "0x1F", "1e-30"]) }),
          reason: "bad_price",
        }
        : { bytes: json({ size: pick(rng, [1e308, "1e16", "-0.5", "0x10"]) }), reason: "bad_size" };
    case 4:
      return {
        bytes: json({ ts: pick(rng, [1e300, "0x6596A680", "1e12", ...IMPOSSIBLE_DATES]) }),
        reason: "bad_timestamp",
      };
    case 5: { // a repeated key: the last value wins, as with JSON.parse, and is bad
      const [key, value, reason] = pick(rng, [
        ["price", '"-1"', "bad_price"],
        ["ts", '"2026-02-30T00:00:00Z"', "bad_timestamp"],
        ["size", '"lots"', "bad_size"],
      ]);
      return { bytes: text(`${line.slice(0, -1)},"${key}":${value}}`), reason };
    }
    case 6: {
      const field = pick(rng, ["symbol", "price", "ts", "id"]);
      return { bytes: json({ [field]: undefined }), reason: "missing_field" };
    }
    case 7: // a raw control character inside a string is not JSON
      return { bytes: text(line.replace(/"id":"/, '"id":"\u0001')), reason: "malformed_json" };
    case 8: // over the line limit: the reader drops it
      return {
        bytes: text(line.slice(0, -1) + " ".repeat(MAX_LINE_BYTES + rng.int(50_000)) + "}"),
        reason: "too_large",
      };
    case 9: // over the parser's 4 KiB message limit, under the line limit
      return {
        bytes: text(line.slice(0, -1) + " ".repeat(4096 + rng.int(8000)) + "}"),
        reason: "too_large",
      };
    default: { // `"id":"x\xff"`: once, such ids all decoded to the same text, `"x\uFFFD"`
      const [head, tail] = line.replace(/"id":"[^"]*"/, '"id":"x\0"').split("\0");
      const bad = pick(rng, [0xff, 0xfe, 0xc3]);
      return {
        bytes: new Uint8Array([...text(head), bad, ...text(tail)]),
        reason: "malformed_json",
      };
    }
  }
}

function mutateCsv(line: string, rng: Prng): Mutation {
  const f = line.split(",");
  const with_ = (i: number, v: string) => text(f.map((x, j) => (j === i ? v : x)).join(","));
  switch (rng.int(8)) {
    case 0:
      return { bytes: insertByte(line, rng, 0x80 + rng.int(128)), reason: "malformed_json" };
    case 1:
      return { bytes: flipHighBit(line, rng), reason: "malformed_json" };
    case 2: {
      const time = pick(rng, ["0x6596A680", "1e12", "-1", `${f[4]}.5`, "2026-11-01T00:00:00Z"]);
      return { bytes: with_(4, time), reason: "bad_timestamp" };
    }
    case 3:
      return { bytes: with_(4, pick(rng, ["", "  "])), reason: "missing_field" };
    case 4:
      return rng.next() < 0.5
        ? { bytes: with_(1, pick(rng, ["1e308", "0x1F", "", "1e13"])), reason: "bad_price" }
        : { bytes: with_(2, pick(rng, ["1e308", "0x10", "", "1e16"])), reason: "bad_size" };
    case 5: { // a column fewer: `time` becomes the maker flag
      const gone = rng.int(5);
      return { bytes: text(f.filter((_, j) => j !== gone).join(",")), reason: "bad_timestamp" };
    }
    case 6: { // cut before the time column: refused, for one reason or another
      const end = f.slice(0, 4).join(",").length;
      return { bytes: text(line.slice(0, 1 + rng.int(end))), reason: "any" };
    }
    default:
      return {
        bytes: text(line + " ".repeat(pick(rng, [4096, MAX_LINE_BYTES]) + rng.int(8000))),
        reason: "too_large",
      };
  }
}

/** The fixture's lines, with ~10 % of its valid ones mutated. */
function hostile(format: "ndjson" | "csv", seed: number): HostileFile {
  const fixture = generateReplay({
    seed,
    ticks: 3000,
    symbols: format === "csv" ? ["BTC-USDT"] : ["BTC-USD", "ETH-USD", "SOL-USD"],
    start: Date.UTC(2026, 10, 1),
    gapMs: 400,
  });
  const rng = new Prng(seed * 7 + 1);
  const out: HostileFile = {
    name: format === "csv" ? "BTCUSDT-trades-2026-11-01.csv" : "hostile.ndjson",
    lines: [],
    accepted: new Map(),
    refused: new Map(),
    skipped: 0,
  };
  if (format === "csv") {
    out.lines.push(text("id,price,qty,quote_qty,time,is_buyer_maker,is_best_match"));
    out.skipped = 1;
  }
  const bad = new Map(fixture.bad);
  let k = 0;
  fixture.lines.forEach((line, i) => {
    const n = out.lines.length + 1;
    const reason = bad.get(i + 1);
    if (reason !== undefined) {
      if (format === "ndjson") {
        out.lines.push(text(line));
        out.refused.set(n, reason);
      }
      return;
    }
    let t = fixture.valid[k++];
    if (format === "csv") {
      t = { ...t, source: "binance" };
      // µs for some lines: both units of Binance's dumps.
      const time = rng.next() < 0.3 ? `${t.ts}000` : String(t.ts);
      line = `${t.id},${t.price},${t.size},${t.price * t.size},${time},${rng.next() < 0.5},True`;
    }
    if (rng.next() < 0.1) {
      const m = format === "csv" ? mutateCsv(line, rng) : mutateJson(line, rng);
      out.lines.push(m.bytes);
      out.refused.set(n, m.reason);
    } else {
      out.lines.push(text(line));
      out.accepted.set(n, t);
    }
  });
  return out;
}

async function replay(file: HostileFile, dir: string): Promise<DatabaseSync> {
  const path = `${dir}/${file.name}`;
  const newline = new Uint8Array([10]);
  await Deno.writeFile(path, new Uint8Array(file.lines.flatMap((l) => [...l, ...newline])));
  await assertCleanStop(
    await runToEnd([
      "--source=replay",
      `--replay-file=${path}`,
      `--sqlite=${dir}/out.db`,
      "--http=off",
      "--partitions=3",
      `--max-line-bytes=${MAX_LINE_BYTES}`,
    ]),
  );
  return new DatabaseSync(`${dir}/out.db`, { readOnly: true });
}

for (const format of ["ndjson", "csv"] as const) {
  Deno.test(`hostile input: a fuzzed ${format} replay never crashes and loses no line`, async () => {
    const file = hostile(format, format === "csv" ? 1313 : 13);
    assert.ok(file.refused.size > 250, `${file.refused.size} lines refused`);
    const dir = await Deno.makeTempDir();
    const db = await replay(file, dir);
    try {
      const q = (sql: string) => db.prepare(sql).all().map((r) => ({ ...r }));
      const dead = q(
        `SELECT reason, detail, raw, source FROM dead_letters WHERE source LIKE 'replay:%'`,
      ) as { reason: string; detail: string; raw: string; source: string }[];
      const byLine = new Map<number, string>();
      for (const d of dead) {
        const n = Number(d.source.split(":").at(-1));
        assert.equal(d.source, `replay:${file.name}:${n}`);
        assert.ok(!byLine.has(n), `one dead letter for line ${n}`);
        assert.ok(d.detail.length > 0 && d.raw.length <= 65_536, `line ${n}: detail, bounded raw`);
        byLine.set(n, d.reason);
      }
      for (const [n, reason] of file.refused) {
        const got = byLine.get(n);
        assert.ok(got !== undefined, `line ${n} (${reason}) is a dead letter`);
        if (reason !== "any") assert.equal(got, reason, `line ${n}`);
      }
      for (const n of file.accepted.keys()) assert.ok(!byLine.has(n), `line ${n} is accepted`);
      assert.equal(
        file.accepted.size + byLine.size + file.skipped,
        file.lines.length,
        "every line is a tick or a dead letter",
      );

      const valid = [...file.accepted.values()];
      const stored = q(`SELECT source, symbol, id FROM ticks`).length;
      const distinct = new Set(valid.map((t) => `${t.source}|${t.symbol}|${t.id}`));
      assert.equal(stored, distinct.size, "every accepted tick is stored once");

      const expected = expectedCandles(valid, {
        partitions: 3,
        intervals: ["1m", "5m", "1h"],
        latenessMs: 2000,
        lateUpdateMs: 60_000,
      });
      const candles = q(`SELECT * FROM candles`).map(fromSqliteRow).sort(compareCandles);
      assert.equal(candles.length, expected.length, "one row per window");
      for (let i = 0; i < expected.length; i++) {
        assert.deepEqual(candles[i], expected[i], `candle ${i}`);
      }
    } finally {
      db.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
