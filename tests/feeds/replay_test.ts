import assert from "node:assert/strict";
import { systemClock } from "../../src/clock.ts";
import { createReplay, type ReplayConfig } from "../../src/feeds/replay.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import type { Tick } from "../../src/market/tick.ts";
import { TickParser } from "../../src/market/tick_parser.ts";
import { FakeClock } from "../runtime/_helpers.ts";
import { pollUntil } from "../helpers/services.ts";

const NOW = Date.UTC(2026, 0, 1);
const parser = new TickParser({ now: () => NOW });
const encoder = new TextEncoder();

async function replay(
  name: string,
  content: string | Uint8Array,
  symbol?: string,
  extra: Partial<ReplayConfig> = {},
) {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/${name}`;
  await Deno.writeFile(file, typeof content === "string" ? encoder.encode(content) : content);
  const ticks: Tick[] = [];
  const dead: DeadLetter[] = [];
  const progress: number[] = [];
  try {
    await createReplay({ file, speed: "max", symbol, ...extra }, {
      clock: systemClock,
      parser,
      onProgress: (read, total) => progress.push(read / total),
    }).run(
      { tick: (t) => void ticks.push(t), deadLetter: (d) => void dead.push(d) },
      new AbortController().signal,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return { ticks, dead, progress };
}

Deno.test("replay: NDJSON lines become ticks; bad lines dead letters naming file and line", async () => {
  const lines = [
    `{"source":"coinbase","symbol":"BTC-USD","price":"100.5","size":"0.1","ts":1700000000000,"id":"1","side":"buy"}`,
    `{"source":"coinbase","symbol":"BTC-USD","price":101,"size":0.2,"ts":"2023-11-14T22:13:21.000Z","id":"2"}`,
    `{"source":"coinbase","symbol":"BTC-USD","price":-1,"size":1,"ts":1700000000000,"id":"3"}`,
    `not json`,
    ``,
    `{"source":"coinbase","symbol":"BTC-USD","price":1,"size":1,"ts":1700000000000}\r`,
    `{"source":"coinbase","symbol":"ETH-USD","price":1,"size":1,"ts":1700000000000000,"id":"5"}`,
  ];
  const { ticks, dead, progress } = await replay("t.ndjson", lines.join("\n"));
  assert.deepEqual(ticks.map((t) => t.id), ["1", "2", "5"]);
  assert.equal(ticks[0].price, 100.5);
  assert.equal(ticks[1].ts, 1700000001000);
  assert.equal(ticks[2].ts, 1700000000000, "µs timestamps become ms");
  assert.deepEqual(dead.map((d) => [d.reason, d.source]), [
    ["bad_price", "replay:t.ndjson:3"],
    ["malformed_json", "replay:t.ndjson:4"],
    ["missing_field", "replay:t.ndjson:6"],
  ]);
  assert.equal(dead[1].raw, "not json");
  assert.equal(progress.at(-1), 1);
});

Deno.test("replay: a Binance trade dump CSV with header, µs times and the maker flag", async () => {
  const csv = [
    "id,price,qty,quote_qty,time,is_buyer_maker,is_best_match",
    "101,42000.10,0.5,21000.05,1704067200000000,True,True",
    "102,42000.20,0.25,10500.05,1704067200001000,false,True",
    "103,abc,0.25,1,1704067200002000,false,True",
  ].join("\n") + "\n";
  const { ticks, dead } = await replay("BTCUSDT-trades-2024-01-01.csv", csv);
  assert.deepEqual(ticks, [
    {
      source: "binance",
      symbol: "BTC-USDT",
      price: 42000.1,
      size: 0.5,
      ts: 1704067200000,
      id: "101",
      side: "sell",
    },
    {
      source: "binance",
      symbol: "BTC-USDT",
      price: 42000.2,
      size: 0.25,
      ts: 1704067200001,
      id: "102",
      side: "buy",
    },
  ]);
  assert.deepEqual(dead.map((d) => d.reason), ["bad_price"]);
});

Deno.test("replay: a CSV whose name has no symbol is refused clearly", async () => {
  await assert.rejects(
    replay("trades.csv", "1,1,1,1,1704067200000,true\n"),
    /no symbol in the file name/,
  );
  const { ticks } = await replay("trades.csv", "1,1,1,1,1704067200000,true\n", "ETH-USD");
  assert.equal(ticks[0].symbol, "ETH-USD");
});

Deno.test("replay: ids that differ only in invalid UTF-8 bytes are three dead letters, not one id", async () => {
  const head = `{"source":"s","symbol":"BTC-USD","price":1,"size":1,"ts":1700000000000,"id":"x`;
  const line = (bad: number) => [...encoder.encode(head), bad, ...encoder.encode(`"}\n`)];
  const ok = encoder.encode(
    `{"source":"s","symbol":"BTC-USD","price":1,"size":1,"ts":1700000000000,"id":"y"}\n`,
  );
  const content = new Uint8Array([...line(0xff), ...ok, ...line(0xfe), ...line(0xc3)]);
  const { ticks, dead } = await replay("ids.ndjson", content);
  assert.deepEqual(ticks.map((t) => t.id), ["y"], "the valid neighbour parses");
  assert.deepEqual(dead.map((d) => [d.reason, d.source]), [
    ["malformed_json", "replay:ids.ndjson:1"],
    ["malformed_json", "replay:ids.ndjson:3"],
    ["malformed_json", "replay:ids.ndjson:4"],
  ]);
  assert.deepEqual(dead.map((d) => d.raw.slice(-8)), [`"x\\xff"}`, `"x\\xfe"}`, `"x\\xc3"}`]);
  assert.equal(dead[0].detail, `not valid UTF-8 (first invalid byte at offset ${head.length})`);
});

Deno.test("replay: a line over maxLineBytes is one bounded too_large dead letter; the next line parses", async () => {
  const good = (id: string) =>
    `{"source":"s","symbol":"BTC-USD","price":1,"size":1,"ts":1700000000000,"id":"${id}"}`;
  const huge = `{"source":"s","symbol":"BTC-USD","price":1,"id":"${"9".repeat(200_000)}"}`;
  const { ticks, dead } = await replay(
    "long.ndjson",
    [good("1"), huge, good("2")].join("\n"),
    undefined,
    { maxLineBytes: 65_536 },
  );
  assert.deepEqual(ticks.map((t) => t.id), ["1", "2"]);
  assert.equal(dead.length, 1);
  assert.equal(dead[0].reason, "too_large");
  assert.equal(dead[0].source, "replay:long.ndjson:2");
  assert.equal(dead[0].detail, `line of ${huge.length} bytes exceeds the 65536-byte line limit`);
  assert.equal(dead[0].raw, huge.slice(0, 4096), "raw is the line's first 4 KiB");
});

Deno.test("replay: /dev/zero is read with bounded memory until the source is stopped", async () => {
  const abort = new AbortController();
  const dead: DeadLetter[] = [];
  let progress = 0;
  let bytes = 0;
  await createReplay({ file: "/dev/zero", speed: "max", maxLineBytes: 65_536 }, {
    clock: systemClock,
    parser,
    onProgress: (read) => {
      bytes = read;
      if (++progress === 64) abort.abort();
    },
  }).run({ tick: () => {}, deadLetter: (d) => void dead.push(d) }, abort.signal);
  assert.equal(progress, 64, "stops at the first chunk after the abort");
  assert.equal(bytes, 64 << 20, "64 MiB read as one endless line");
  assert.deepEqual(dead, [], "the line never ends, so it is never passed on");
});

Deno.test("replay: Binance CSV times are decimal digits only; other fields as strict as NDJSON", async () => {
  const row = (id: number, time: string, price = "42000.1", qty = "0.5") =>
    `${id},${price},${qty},1,${time},false,true`;
  const csv = [
    row(1, "0x6596A680"),
    row(2, "1e12"),
    row(3, "-1"),
    row(4, "1.5"),
    row(5, ""),
    row(6, "1704067200000"),
    row(7, " 1704067200001000 "),
    row(8, "1704067200002", "0x10"),
    row(9, "1704067200003", "1", "0x10"),
    "10,1,1,1",
    row(11, "1704067200004").padEnd(5000, " "),
    row(12, "2024-01-01T00:00:00Z"),
  ].join("\n");
  const { ticks, dead } = await replay("BTCUSDT-trades-2024-01-01.csv", csv);
  assert.deepEqual(ticks.map((t) => [t.id, t.ts]), [["6", 1704067200000], ["7", 1704067200001]]);
  assert.deepEqual(dead.map((d) => [d.source.split(":").at(-1), d.reason]), [
    ["1", "bad_timestamp"],
    ["2", "bad_timestamp"],
    ["3", "bad_timestamp"],
    ["4", "bad_timestamp"],
    ["5", "missing_field"],
    ["8", "bad_price"],
    ["9", "bad_size"],
    ["10", "missing_field"],
    ["11", "too_large"],
    ["12", "bad_timestamp"],
  ]);
  assert.equal(dead[0].detail, 'time is not a decimal integer: "0x6596A680"');
  assert.equal(dead[4].detail, "ts is missing");
});

Deno.test("replay: a CSV's first line is a header only when it holds column names", async () => {
  const { ticks, dead } = await replay(
    "BTCUSDT-trades-2024-01-01.csv",
    '{"id":1}\n1,42000.1,0.5,1,1704067200000,false\n',
  );
  assert.equal(ticks.length, 1);
  assert.deepEqual(dead.map((d) => [d.source, d.reason]), [
    ["replay:BTCUSDT-trades-2024-01-01.csv:1", "missing_field"],
  ]);
});

Deno.test("replay: a long event-time gap at a low speed waits in timer-sized steps", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/gap.ndjson`;
  const t0 = Date.UTC(2025, 0, 1);
  const tick = (ts: number, id: string) =>
    JSON.stringify({ source: "s", symbol: "BTC-USD", price: 1, size: 1, ts, id });
  // A day of event time at speed 0.001 is 86 400 000 s of waiting: far beyond one timer.
  await Deno.writeTextFile(file, [tick(t0, "1"), tick(t0 + 86_400_000, "2")].join("\n"));
  const clock = new FakeClock();
  const ticks: Tick[] = [];
  const abort = new AbortController();
  try {
    const run = createReplay({ file, speed: 0.001 }, { clock, parser }).run(
      { tick: (t) => void ticks.push(t), deadLetter: () => {} },
      abort.signal,
    );
    await pollUntil("the first wait", () => ticks.length === 1 && clock.pending === 1, 5000, 1);
    for (let step = 0; step < 3; step++) {
      assert.ok(clock.delays.at(-1)! <= 2 ** 31 - 1, `wait ${clock.delays.at(-1)} fits a timer`);
      clock.tick(2 ** 31 - 1);
      await pollUntil("the next wait", () => clock.pending === 1, 5000, 1);
    }
    assert.equal(ticks.length, 1, "the second tick still waits its turn");
    abort.abort();
    clock.tick(2 ** 31 - 1);
    await run;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
