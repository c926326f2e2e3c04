import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load_config.ts";

const noEnv = () => undefined;

Deno.test("loadConfig() reads the composite and analytics venue options", () => {
  const r = loadConfig({
    args: [
      "--composite-venues=coinbase, kraken",
      "--composite-stale-after=2m",
      "--composite-outlier-mads=3.5",
      "--analytics-venue=composite, kraken",
    ],
    env: noEnv,
  });
  assert.equal(r.kind, "ok");
  if (r.kind !== "ok") return;
  assert.deepEqual(r.config.composite, {
    venues: ["coinbase", "kraken"],
    staleAfterMs: 120_000,
    outlierMads: 3.5,
  });
  assert.deepEqual(r.config.analyticsVenues, ["composite", "kraken"]);
  const defaults = loadConfig({ args: [], env: noEnv });
  assert.equal(defaults.kind, "ok");
  if (defaults.kind !== "ok") return;
  assert.deepEqual(defaults.config.composite, { venues: [], staleAfterMs: 60_000, outlierMads: 5 });
  assert.deepEqual(defaults.config.analyticsVenues, ["composite"]);
});

Deno.test("loadConfig() reports every bad composite option at once", () => {
  const r = loadConfig({
    args: [
      "--composite-venues=coinbase,composite",
      "--composite-stale-after=soon",
      "--composite-outlier-mads=0.5",
      "--analytics-venue=a b",
    ],
    env: noEnv,
  });
  assert.equal(r.kind, "error");
  if (r.kind !== "error") return;
  const text = r.errors.join("\n");
  assert.equal(r.errors.length, 4, text);
  assert.match(text, /--composite-venues: composite cannot be a composite venue/);
  assert.match(text, /--composite-stale-after/);
  assert.match(text, /--composite-outlier-mads: expected 1\.\.1000, received 0\.5/);
  assert.match(text, /--analytics-venue: expected a venue name/);
});

Deno.test("loadConfig() refuses an analytics venue named twice, legacy, or none", () => {
  for (
    const [arg, why] of [
      ["--analytics-venue=composite,kraken,composite", /named twice/],
      ["--analytics-venue=legacy", /legacy cannot be an analytics venue/],
      ["--analytics-venue= , ", /at least one venue/],
    ] as const
  ) {
    const r = loadConfig({ args: [arg], env: noEnv });
    assert.equal(r.kind, "error", arg);
    if (r.kind === "error") assert.match(r.errors.join("\n"), why);
  }
});
