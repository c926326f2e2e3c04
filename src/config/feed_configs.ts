/**
 * The live feeds' settings, validated by each feed's own resolver for the feeds `--source`
 * selects, so a bad URL, symbol or interval is reported with every other config error (exit 2)
 * instead of failing the start — or the launcher's permission computation — later. The selected
 * feeds' configs are kept resolved (defaults applied), so building the sources cannot fail.
 * @module
 */
import { resolveBinanceConfig } from "../feeds/binance.ts";
import { resolveCoinbaseConfig } from "../feeds/coinbase.ts";
import { resolveCoinCapRestConfig } from "../feeds/coincap_rest.ts";
import { resolveCoinCapWsConfig } from "../feeds/coincap_ws.ts";
import { FeedConfigError } from "../feeds/feed_config.ts";
import { feedConfigsFromEnv, type LiveFeedConfigs } from "../feeds/feed_env.ts";
import { resolveKrakenConfig } from "../feeds/kraken.ts";
import { FEED_OPTIONS, OPTIONS } from "./options.ts";
import type { ParsedOptions } from "./parsed_options.ts";

/** The feeds' configs (resolved for the selected feeds) and every problem found. */
export function resolveFeedConfigs(
  p: ParsedOptions,
): { configs: LiveFeedConfigs; errors: string[] } {
  const feedEnv: Record<string, string | undefined> = {};
  for (const name of FEED_OPTIONS) feedEnv[OPTIONS[name].env] = p.values[name];
  const { configs, errors } = feedConfigsFromEnv(feedEnv);
  if (errors.length || p.invalid.has("source")) return { configs, errors };
  const sources = p.values["source"] ?? [];
  const resolved: LiveFeedConfigs = { ...configs };
  const problems: string[] = [];
  const resolve = (feed: string, run: () => void) => {
    try {
      run();
    } catch (e) {
      if (!(e instanceof FeedConfigError)) throw e;
      problems.push(...e.problems.map((m) => `--source ${feed}: ${m}`));
    }
  };
  if (sources.includes("coinbase")) {
    resolve("coinbase", () => (resolved.coinbase = resolveCoinbaseConfig(configs.coinbase)));
  }
  if (sources.includes("binance")) {
    resolve("binance", () => (resolved.binance = resolveBinanceConfig(configs.binance)));
  }
  if (sources.includes("kraken")) {
    resolve("kraken", () => (resolved.kraken = resolveKrakenConfig(configs.kraken)));
  }
  if (sources.includes("coincap")) {
    // A missing key has its own message (option_rules.ts): check everything else.
    const key = { apiKey: configs.coincapRest.apiKey ?? "unset" };
    resolve("coincap", () => {
      const rest = resolveCoinCapRestConfig({ ...configs.coincapRest, ...key });
      if (configs.coincapRest.apiKey) resolved.coincapRest = rest;
    });
    if (configs.coincapTransport === "ws") {
      resolve("coincap", () => {
        const ws = resolveCoinCapWsConfig({ ...configs.coincapWs, ...key });
        if (configs.coincapWs.apiKey) resolved.coincapWs = ws;
      });
    }
  }
  return { configs: resolved, errors: [...new Set(problems)] };
}
