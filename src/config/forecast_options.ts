/**
 * The forecast options (docs/forecasts.md): models, window, EWMA λ, refit period, GARCH method,
 * ridge penalty and the learned anomaly score. Part of the option table (src/config/options.ts).
 * @module
 */
import {
  parseBool,
  parseChoice,
  parseInteger,
  parseList,
  parseNumberInRange,
} from "./value_parsers.ts";

/** Models of `--forecast-models`. */
export const FORECAST_MODELS = ["ewma", "garch", "ridge"] as const;
export type ForecastModelName = typeof FORECAST_MODELS[number];

/**
 * The largest window N. A new Kafka owner warms up from 5 000 stored candles per series
 * (src/pipeline/candle_history.ts); N plus the 16 revisable intervals must fit in them for its
 * forecasts to equal an uninterrupted run's.
 */
export const MAX_FORECAST_WINDOW = 4_000;

/** The forecast entries of the option table, keyed by flag name. */
export const FORECAST_OPTIONS = {
  "forecast-models": {
    env: "FORECAST_MODELS",
    // Off by default: an opt-in feature. On their worker thread they add 2–3 % to the embedded
    // replay's time but a fifth to its CPU and ~100 MB of memory (docs/forecasts.md, "Cost").
    default: "off",
    help: `forecast models, comma-separated: ${FORECAST_MODELS.join(" | ")}; ` +
      "off or empty: none (docs/forecasts.md)",
    parse: (raw: string): ForecastModelName[] => {
      if (raw.trim() === "off") return [];
      return [...new Set(parseList(raw).map((m) => parseChoice(m, FORECAST_MODELS)))];
    },
  },
  "forecast-window": {
    env: "FORECAST_WINDOW",
    default: "500",
    help: "N: intervals of closed candles every forecast is a function of",
    parse: (raw: string) => parseInteger(raw, 3, MAX_FORECAST_WINDOW),
  },
  "forecast-ewma-lambda": {
    env: "FORECAST_EWMA_LAMBDA",
    default: "0.94",
    help: "EWMA volatility decay λ, in (0, 1)",
    parse: (raw: string) => {
      const n = parseNumberInRange(raw, 0, 1);
      if (n === 0 || n === 1) throw new Error(`expected a number in (0, 1), received ${n}`);
      return n;
    },
  },
  "forecast-refit-every": {
    env: "FORECAST_REFIT_EVERY",
    default: "60",
    help: "K: refit block in intervals (GARCH, ridge, anomaly reference), below the window",
    parse: (raw: string) => parseInteger(raw, 1, MAX_FORECAST_WINDOW - 1),
  },
  "forecast-garch-method": {
    env: "FORECAST_GARCH_METHOD",
    default: "targeting",
    help: "GARCH(1,1) fit: targeting (variance targeting) | full",
    parse: (raw: string) => parseChoice(raw, ["targeting", "full"] as const),
  },
  "forecast-ridge-alpha": {
    env: "FORECAST_RIDGE_ALPHA",
    default: "0.1",
    help: "ridge penalty per training row on standardised features",
    parse: (raw: string) => parseNumberInRange(raw, 0, 1e6),
  },
  "learned-anomaly": {
    env: "LEARNED_ANOMALY",
    default: "false",
    boolean: true,
    help: "score each candle with Half-Space Trees and run the learned_anomaly alert rule",
    parse: parseBool,
  },
  "learned-anomaly-threshold": {
    env: "LEARNED_ANOMALY_THRESHOLD",
    default: "3",
    help: "learned anomaly score (bits) for a warning; critical at twice it",
    parse: (raw: string) => {
      const n = parseNumberInRange(raw, 0, 64);
      if (n === 0) throw new Error("expected a number > 0, received 0");
      return n;
    },
  },
  "learned-anomaly-window": {
    env: "LEARNED_ANOMALY_WINDOW",
    default: "250",
    help: "reference candles the learned anomaly score compares a candle with",
    parse: (raw: string) => parseInteger(raw, 2, MAX_FORECAST_WINDOW),
  },
  "learned-anomaly-seed": {
    env: "LEARNED_ANOMALY_SEED",
    default: "1",
    help: "seed of the Half-Space Trees (changing it changes the scores)",
    parse: (raw: string) => parseInteger(raw, 0, 2 ** 31 - 1),
  },
  "forecast-thread": {
    env: "FORECAST_THREAD",
    default: "true",
    boolean: true,
    help: "forecasts and learned anomaly score on a worker thread (false: in the analytics thread)",
    parse: parseBool,
  },
} as const;
