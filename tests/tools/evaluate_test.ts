import { match, ok, strictEqual as assertEquals, throws } from "node:assert/strict";
import { evaluate, parseEvaluateArgs } from "../../tools/evaluate.ts";
import { candlesFrom, replaySource } from "../../tools/evaluation_input.ts";
import { mulberry32 } from "../market/prng.ts";

const T0 = 1_767_225_600_000; // a whole hour
const MINUTES = 150;

/** One tick per minute per symbol at second 30, so each 1m candle's close is that tick's price. */
function prices(seed: number): number[] {
  const u = mulberry32(seed);
  let p = 100;
  return Array.from({ length: MINUTES }, () => (p *= Math.exp((u() - 0.5) * 0.004)));
}

async function writeNdjson(dir: string): Promise<{ file: string; series: number[][] }> {
  const series = [prices(1), prices(2)];
  const lines: string[] = [];
  for (let m = 0; m < MINUTES; m++) {
    series.forEach((ps, s) => {
      const symbol = s === 0 ? "BTC-USD" : "ETH-USD";
      lines.push(JSON.stringify({
        source: "sim",
        symbol,
        price: ps[m],
        size: 1 + (m % 5),
        ts: T0 + m * 60_000 + 30_000,
        id: `${s}-${m}`,
      }));
    });
  }
  const file = `${dir}/ticks.ndjson`;
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  return { file, series };
}

Deno.test("evaluate: a small NDJSON replay gives the walk-forward table, baseline checked by hand", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { file, series } = await writeNdjson(dir);
    const args = parseEvaluateArgs([file, "--window", "60", "--refit-every", "10"]);
    const text = await evaluate(args);
    // Forecasts after candles 59 … 148 of each symbol are scored (a full window, a next candle).
    const scored = 2 * (MINUTES - 1 - 59);
    match(text, new RegExp(`^${scored} walk-forward forecasts over 2 series$`, "m"));
    match(text, /300 ticks \(0 rejected\)/);
    // The zero-return baseline's MAE and RMSE are mean |r| and √mean r² of the realised returns.
    const realised = series.flatMap((ps) => ps.slice(60).map((p, i) => Math.log(p / ps[59 + i])));
    assertEquals(realised.length, scored);
    const mae = realised.reduce((s, r) => s + Math.abs(r), 0) / scored;
    const rmse = Math.sqrt(realised.reduce((s, r) => s + r * r, 0) / scored);
    const zeroRow = text.split("\n").find((l) => l.startsWith("| baseline: zero return"))!;
    assertEquals(zeroRow.split("|")[2].trim(), mae.toExponential(4));
    assertEquals(zeroRow.split("|")[3].trim(), rmse.toExponential(4));
    match(
      text,
      new RegExp(`Learned anomaly score \\(Half-Space Trees\\): ${scored} candles scored`),
    );
    for (const row of ["| ridge |", "| EWMA (RiskMetrics) λ = 0.94 |", "| GARCH(1,1) |"]) {
      ok(text.includes(row), row);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate: two sources of one symbol are two series, each of its own ticks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Both sources trade BTC-USD every minute at second 30, at prices 1 % apart; before the
    // series were keyed by venue, their candles of a window replaced each other.
    const ps = prices(5);
    const lines: string[] = [];
    for (let m = 0; m < MINUTES; m++) {
      for (const [source, f] of [["kraken", 1], ["coinbase", 1.01]] as const) {
        lines.push(JSON.stringify({
          source,
          symbol: "BTC-USD",
          price: ps[m] * f,
          size: 1,
          ts: T0 + m * 60_000 + 30_000,
          id: `${source}-${m}`,
        }));
      }
    }
    const file = `${dir}/two_sources.ndjson`;
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const input = await candlesFrom(replaySource(file), "1m");
    assertEquals([...input.series.keys()].join(), "coinbase|BTC-USD|1m,kraken|BTC-USD|1m");
    for (const [key, f] of [["kraken|BTC-USD|1m", 1], ["coinbase|BTC-USD|1m", 1.01]] as const) {
      const closes = input.series.get(key)!.candles.map((c) => c.close);
      assertEquals(closes.length, MINUTES);
      ok(closes.every((c, m) => c === ps[m] * f), `${key}: its own source's prices only`);
    }
    match(
      await evaluate(parseEvaluateArgs([file, "--window", "60", "--refit-every", "10"])),
      /walk-forward forecasts over 2 series/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate: reads a Binance trade dump (header, symbol from the file name)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/BTCUSDT-trades-2026-01-01.csv`;
    const ps = prices(3);
    const rows = ps.map((p, m) =>
      `${m + 1},${p.toFixed(4)},0.5,${(p * 0.5).toFixed(4)},${T0 + m * 60_000 + 1},${m % 2 === 0}`
    );
    await Deno.writeTextFile(
      file,
      ["id,price,qty,quote_qty,time,is_buyer_maker", ...rows, "x,1"].join("\n"),
    );
    const input = await candlesFrom(replaySource(file), "1m");
    assertEquals(input.ticks, MINUTES);
    assertEquals(input.rejected, 1);
    const s = input.series.get("binance|BTC-USDT|1m")!;
    assertEquals(s.candles.length, MINUTES);
    assertEquals(s.candles[7].close, Number(ps[7].toFixed(4)));
    match(
      await evaluate(parseEvaluateArgs([file, "--window", "60", "--refit-every", "10"])),
      /walk-forward forecasts over 1 series/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate: argument problems are reported together; the CLI exits 2 on them", async () => {
  throws(() => parseEvaluateArgs(["--window", "2", "--lambda", "1"]), (e: Error) => {
    match(e.message, /--window must be an integer ≥ 3/);
    match(e.message, /--lambda must be in \(0, 1\)/);
    match(e.message, /either a replay file or --simulate/);
    match(e.message, /--refit-every must be below --window/);
    return true;
  });
  const tool = new URL("../../tools/evaluate.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", tool, "--simulate", "0"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 2);
  match(new TextDecoder().decode(out.stderr), /--simulate must be an integer ≥ 1/);
});

Deno.test("evaluate: the simulator input is deterministic", async () => {
  const args = ["--simulate", "120000", "--window", "80", "--refit-every", "10", "--seed", "7"];
  const a = await evaluate(parseEvaluateArgs(args));
  const b = await evaluate(parseEvaluateArgs(args));
  assertEquals(a, b);
  match(a, /simulator seed 7: 119\d{3} ticks/);
  match(a, /^[1-9]\d* walk-forward forecasts over 10 series$/m);
  // N 80, K 10: the fit sample holds at most 68 returns, so GARCH always falls back, and says so.
  match(a, /Note: the GARCH fit sample holds at most 68 returns, below --garch-min-returns 100/);
  match(a, /served by EWMA \(100\.0 %: too_few \d+\)/);
});

Deno.test("evaluate: a window too short for any scored forecast says so instead of NaNs", async () => {
  const text = await evaluate(
    parseEvaluateArgs(["--simulate", "30000", "--window", "20", "--refit-every", "5"]),
  );
  match(text, /No forecast could be scored/);
  ok(!text.includes("NaN"), text);
});
