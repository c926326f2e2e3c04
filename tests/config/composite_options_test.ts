import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load_config.ts";

const noEnv = () => undefined;

Deno.test("loadConfig() reads the composite and analytics venue options", () => {
  const r = loadConfig({
    args: [
      "--composite-venues=coinbase, kraken",
      "--composite-stale-after=2m",
      "--composite-outlier-mads=3.5",
      "--analytics-venue=kraken",
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
  assert.equal(r.config.analyticsVenue, "kraken");
  const defaults = loadConfig({ args: [], env: noEnv });
  assert.equal(defaults.kind, "ok");
  if (defaults.kind !== "ok") return;
  assert.deepEqual(defaults.config.composite, { venues: [], staleAfterMs: 60_000, outlierMads: 5 });
  assert.equal(defaults.config.analyticsVenue, "composite");
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
