import assert from "node:assert/strict";
import { systemClock } from "../../src/clock.ts";
import { createReplay } from "../../src/feeds/replay.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import type { Tick } from "../../src/market/tick.ts";
import { TickParser } from "../../src/market/tick_parser.ts";

const NOW = Date.UTC(2026, 0, 1);
const parser = new TickParser({ now: () => NOW });

async function replay(name: string, content: string, symbol?: string) {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/${name}`;
  await Deno.writeTextFile(file, content);
  const ticks: Tick[] = [];
  const dead: DeadLetter[] = [];
  const progress: number[] = [];
  try {
    await createReplay({ file, speed: "max", symbol }, {
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
