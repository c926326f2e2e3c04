/**
 * Walk-forward evaluation of the forecast models against their naive baselines, over a replay
 * file (NDJSON ticks, or a Binance trade dump `.csv`) or the seeded simulator.
 *
 * ```sh
 * deno task evaluate ticks.ndjson [--interval 1m] [--window 500] [--lambda 0.94] [--refit-every 60]
 *   [--garch-min-returns 100]
 * deno task evaluate BTCUSDT-trades-2024-01-01.csv [--symbol BTC-USDT]
 * deno task evaluate --simulate 2000000 [--seed 42]
 * ```
 *
 * Candles are built by the pipeline's own replay reader and candle aggregator; see
 * docs/forecasts.md for the method and README.md for the simulator's table.
 * @module
 */
import { parseArgs } from "node:util";
import { walkForward } from "../src/market/forecast/walk_forward.ts";
import { candlesFrom, replaySource, simulatorSource } from "./evaluation_input.ts";
import { evaluationTable } from "./evaluation_table.ts";

/** Parsed command line. */
export interface EvaluateArgs {
  readonly file?: string;
  readonly simulate?: number;
  readonly seed: number;
  readonly symbol?: string;
  readonly interval: string;
  readonly window: number;
  readonly lambda: number;
  readonly refitEvery: number;
  readonly garchMinReturns: number;
}

/** Parses the arguments; every problem reported at once. */
export function parseEvaluateArgs(args: string[]): EvaluateArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      simulate: { type: "string" },
      seed: { type: "string", default: "42" },
      symbol: { type: "string" },
      interval: { type: "string", default: "1m" },
      window: { type: "string", default: "500" },
      lambda: { type: "string", default: "0.94" },
      "refit-every": { type: "string", default: "60" },
      "garch-min-returns": { type: "string", default: "100" },
    },
  });
  const problems: string[] = [];
  const int = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) problems.push(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  const simulate = values.simulate === undefined ? undefined : int("simulate", values.simulate, 1);
  const parsed = {
    file: positionals[0],
    simulate,
    seed: int("seed", values.seed, 0),
    symbol: values.symbol,
    interval: values.interval!,
    window: int("window", values.window, 3),
    lambda: Number(values.lambda),
    refitEvery: int("refit-every", values["refit-every"], 1),
    garchMinReturns: int("garch-min-returns", values["garch-min-returns"], 2),
  };
  if ((parsed.file === undefined) === (simulate === undefined)) {
    problems.push("give either a replay file or --simulate TICKS");
  }
  if (!(parsed.lambda > 0 && parsed.lambda < 1)) problems.push("--lambda must be in (0, 1)");
  if (!(parsed.refitEvery < parsed.window)) problems.push("--refit-every must be below --window");
  if (problems.length > 0) throw new Error(problems.join("; "));
  return parsed;
}

/** Reads the input, evaluates, and returns the report text. */
export async function evaluate(a: EvaluateArgs): Promise<string> {
  const source = a.file !== undefined
    ? replaySource(a.file, a.symbol)
    : simulatorSource(a.simulate!, a.seed);
  const input = await candlesFrom(source, a.interval);
  const report = walkForward(input.series, {
    window: a.window,
    lambda: a.lambda,
    refitEvery: a.refitEvery,
    garch: { minReturns: a.garchMinReturns },
  });
  const what = a.file ?? `simulator seed ${a.seed}`;
  const head = `${what}: ${input.ticks} ticks (${input.rejected} rejected), ${a.interval} ` +
    `candles, window N = ${a.window}, GARCH refit every ${a.refitEvery} intervals`;
  // The fit sample spans N − K − 1 intervals: fewer returns than the minimum and GARCH never fits.
  const span = a.window - a.refitEvery - 1;
  const note = span - 1 < a.garchMinReturns
    ? `\nNote: the GARCH fit sample holds at most ${span - 1} returns, below --garch-min-returns ` +
      `${a.garchMinReturns}: every GARCH forecast falls back to EWMA.\n`
    : "";
  if (report.scored === 0) {
    return `${head}\n\nNo forecast could be scored: each needs every model's forecast, a next ` +
      `candle and N intervals of history. Ridge needs a fit sample (N − K − 1 intervals) of about ` +
      `42 candles (25 of indicator warm-up, 16 training rows); raise --window or give more ` +
      `input.\n${note}`;
  }
  return `${head}\n\n${evaluationTable(report, a.lambda)}\n${note}`;
}

if (import.meta.main) {
  try {
    const text = await evaluate(parseEvaluateArgs(Deno.args));
    await Deno.stdout.write(new TextEncoder().encode(text));
  } catch (e) {
    await Deno.stderr.write(new TextEncoder().encode(`evaluate: ${(e as Error).message}\n`));
    Deno.exit(2);
  }
}
