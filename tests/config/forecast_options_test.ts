import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load_config.ts";

const noEnv = () => undefined;

Deno.test("loadConfig() defaults the forecasts off, with docs/forecasts.md's settings", () => {
  const r = loadConfig({ args: [], env: noEnv });
  assert.equal(r.kind, "ok");
  if (r.kind !== "ok") return;
  assert.deepEqual(r.config.forecasts, {
    models: [],
    window: 500,
    ewmaLambda: 0.94,
    refitEvery: 60,
    garchMethod: "targeting",
    ridgeAlpha: 0.1,
    learnedAnomaly: false,
    learnedAnomalyThreshold: 3,
    learnedAnomalyWindow: 250,
    learnedAnomalySeed: 1,
    thread: true,
  });
  const on = loadConfig({
    args: ["--forecast-models=ewma,garch,ridge", "--learned-anomaly"],
    env: noEnv,
  });
  assert.equal(on.kind, "ok");
  if (on.kind === "ok") {
    assert.deepEqual(on.config.forecasts.models, ["ewma", "garch", "ridge"]);
    assert.equal(on.config.forecasts.learnedAnomaly, true);
  }
});

Deno.test("loadConfig() reads every forecast option from flags and the environment", () => {
  const env: Record<string, string> = { FORECAST_EWMA_LAMBDA: "0.97", LEARNED_ANOMALY: "yes" };
  const r = loadConfig({
    args: [
      "--forecast-models=garch, ewma,garch",
      "--forecast-window=200",
      "--forecast-refit-every=20",
      "--forecast-garch-method=full",
      "--forecast-ridge-alpha=0.5",
      "--learned-anomaly-threshold=2.5",
      "--learned-anomaly-window=100",
      "--learned-anomaly-seed=7",
      "--forecast-thread=false",
    ],
    env: (name) => env[name],
  });
  assert.equal(r.kind, "ok", JSON.stringify(r));
  if (r.kind !== "ok") return;
  assert.deepEqual(r.config.forecasts, {
    models: ["garch", "ewma"],
    window: 200,
    ewmaLambda: 0.97,
    refitEvery: 20,
    garchMethod: "full",
    ridgeAlpha: 0.5,
    learnedAnomaly: true,
    learnedAnomalyThreshold: 2.5,
    learnedAnomalyWindow: 100,
    learnedAnomalySeed: 7,
    thread: false,
  });
});

Deno.test("loadConfig() turns the models off with an empty list or off", () => {
  for (const value of ["", "off"]) {
    const r = loadConfig({ args: [`--forecast-models=${value}`], env: noEnv });
    assert.equal(r.kind, "ok");
    if (r.kind === "ok") assert.deepEqual(r.config.forecasts.models, []);
  }
});

Deno.test("loadConfig() reports every bad forecast option at once", () => {
  const r = loadConfig({
    args: [
      "--forecast-models=ewma,arima",
      "--forecast-window=2",
      "--forecast-ewma-lambda=1",
      "--forecast-refit-every=0",
      "--forecast-garch-method=quick",
      "--forecast-ridge-alpha=-1",
      "--learned-anomaly-threshold=0",
      "--learned-anomaly-window=1",
      "--learned-anomaly-seed=x",
      "--learned-anomaly=maybe",
    ],
    env: noEnv,
  });
  assert.equal(r.kind, "error");
  if (r.kind !== "error") return;
  const text = r.errors.join("\n");
  assert.equal(r.errors.length, 10, text);
  for (
    const flag of [
      "forecast-models",
      "forecast-window",
      "forecast-ewma-lambda",
      "forecast-refit-every",
      "forecast-garch-method",
      "forecast-ridge-alpha",
      "learned-anomaly-threshold",
      "learned-anomaly-window",
      "learned-anomaly-seed",
      "learned-anomaly",
    ]
  ) assert.match(text, new RegExp(`--${flag}\\b`));
  assert.match(text, /expected one of ewma, garch, ridge, received "arima"/);
  assert.match(text, /--forecast-window: expected 3\.\.4000, received 2/);
});

Deno.test("loadConfig() refuses a refit block as long as the window, naming a default", () => {
  const r = loadConfig({
    args: ["--forecast-window=100", "--forecast-refit-every=100"],
    env: noEnv,
  });
  assert.equal(r.kind, "error");
  if (r.kind !== "error") return;
  assert.deepEqual(r.errors, [
    "--forecast-refit-every 100 must be below --forecast-window 100: models are fitted on the " +
    "window's candles before each refit block",
  ]);
  const short = loadConfig({ args: ["--forecast-window=12"], env: noEnv });
  assert.equal(short.kind, "error");
  if (short.kind === "error") {
    assert.match(short.errors[0], /^--forecast-refit-every \(default\) 60 must be below/);
  }
  // A reference longer than the fit sample is not an error: the score takes what the sample has.
  const ok = loadConfig({
    args: ["--forecast-window=12", "--forecast-refit-every=3", "--learned-anomaly-window=250"],
    env: noEnv,
  });
  assert.equal(ok.kind, "ok", JSON.stringify(ok));
});
