/**
 * The Deno permissions one pipeline instance needs, derived from its config: network access to
 * exactly the hosts it is configured to reach and its HTTP address, read/write of its data
 * directory, read of its replay file (and, in Kafka's process role, of its own code, which the
 * window worker thread loads). The launcher (src/launch.ts) starts the pipeline with these.
 * @module
 */
import { fileURLToPath } from "node:url";
import { BINANCE_DEFAULTS } from "../feeds/binance.ts";
import { COINBASE_DEFAULTS } from "../feeds/coinbase.ts";
import { COINCAP_REST_DEFAULTS } from "../feeds/coincap_rest.ts";
import { COINCAP_WS_DEFAULTS } from "../feeds/coincap_ws.ts";
import { KRAKEN_DEFAULTS } from "../feeds/kraken.ts";
import type { PipelineConfig } from "./pipeline_config.ts";

const DEFAULT_PORTS: Record<string, string> = {
  "http:": "80",
  "https:": "443",
  "ws:": "80",
  "wss:": "443",
  "postgres:": "5432",
  "postgresql:": "5432",
  "redis:": "6379",
  "rediss:": "6379",
};

/** `host:port` of a URL (IPv6 in brackets). */
export function hostPortOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || DEFAULT_PORTS[u.protocol] || "80"}`;
}

/**
 * Where the window worker thread of the Kafka `process` role loads its modules from: unlike the
 * main program's, a worker's local modules need read permission. Only the project's own code;
 * none when it runs from a remote URL (nothing local to read).
 */
export function workerCodeDirs(): string[] {
  const root = new URL("../../", import.meta.url);
  if (root.protocol !== "file:") return [];
  return ["actors", "src"].map((dir) => fileURLToPath(new URL(dir, root)));
}

/**
 * The `deno run` permission flags for `config`. `options.dotenv` is the `.env` file the launcher
 * read: the child reads it too (src/main.ts), so it must be readable or its settings would be lost.
 */
export function permissionFlags(
  config: PipelineConfig,
  options: { readonly dotenv?: string } = {},
): string[] {
  const net = new Set<string>();
  if (config.http) {
    const h = config.http.hostname.includes(":")
      ? `[${config.http.hostname}]`
      : config.http.hostname;
    net.add(`${h}:${config.http.port}`);
  }
  const f = config.feeds;
  for (const source of config.sources) {
    if (source === "coincap") {
      net.add(hostPortOf(f.coincapRest.url ?? COINCAP_REST_DEFAULTS.url));
      if (f.coincapTransport === "ws") {
        net.add(hostPortOf(f.coincapWs.url ?? COINCAP_WS_DEFAULTS.url));
      }
    }
    if (source === "coinbase") net.add(hostPortOf(f.coinbase.url ?? COINBASE_DEFAULTS.url));
    if (source === "binance") net.add(hostPortOf(f.binance.url ?? BINANCE_DEFAULTS.url));
    if (source === "kraken") net.add(hostPortOf(f.kraken.url ?? KRAKEN_DEFAULTS.url));
  }
  const s = config.storage;
  for (const url of [s.databaseUrl, s.clickhouseUrl, s.redisUrl, config.alertWebhookUrl]) {
    if (url) net.add(hostPortOf(url));
  }
  for (const broker of config.kafkaBrokers ?? []) net.add(broker);

  const read = new Set<string>();
  const write = new Set<string>();
  if (s.sqlitePath) {
    const dir = s.sqlitePath.includes("/") ? s.sqlitePath.replace(/\/[^/]*$/, "") || "/" : ".";
    read.add(dir);
    write.add(dir);
  }
  if (config.replay.file) read.add(config.replay.file);
  if (options.dotenv) read.add(options.dotenv);
  if (config.kafkaBrokers && (config.role === "all" || config.role === "process")) {
    for (const dir of workerCodeDirs()) read.add(dir);
  }
  const flags = ["--allow-env"];
  if (net.size) flags.push(`--allow-net=${[...net].sort().join(",")}`);
  if (read.size) flags.push(`--allow-read=${[...read].sort().join(",")}`);
  if (write.size) flags.push(`--allow-write=${[...write].sort().join(",")}`);
  // kafkajs and postgres.js ask for the host name and OS release to describe their clients.
  flags.push("--allow-sys=hostname,osRelease");
  return flags;
}
