/**
 * The validated, frozen configuration of one pipeline instance, built from the option values.
 * @module
 */
import type { LogLevel } from "../logger.ts";
import { resolveBinanceConfig } from "../feeds/binance.ts";
import { resolveCoinbaseConfig } from "../feeds/coinbase.ts";
import { resolveCoinCapRestConfig } from "../feeds/coincap_rest.ts";
import { resolveCoinCapWsConfig } from "../feeds/coincap_ws.ts";
import { FeedConfigError } from "../feeds/feed_config.ts";
import { feedConfigsFromEnv, type LiveFeedConfigs } from "../feeds/feed_env.ts";
import { resolveKrakenConfig } from "../feeds/kraken.ts";
import { FEED_OPTIONS, OPTIONS, type OptionValues, type Role, type SourceName } from "./options.ts";

/** Everything an instance needs to know, resolved once at start-up. */
export interface PipelineConfig {
  readonly role: Role;
  readonly sources: readonly SourceName[];
  readonly replay: {
    readonly file: string | null;
    readonly speed: number | "max";
    /** Longest line in bytes; longer ones are `too_large` dead letters. */
    readonly maxLineBytes: number;
    readonly exitAtEnd: boolean;
  };
  readonly simulator: { readonly seed: number; readonly ticksPerSecond: number };
  /** Allow-list; null accepts every well-formed symbol. */
  readonly symbols: readonly string[] | null;
  readonly intervals: readonly string[];
  readonly windows: {
    readonly allowedLatenessMs: number;
    readonly lateUpdateWindowMs: number;
    readonly idleTimeoutMs: number;
  };
  readonly bus: { readonly partitions: number; readonly capacity: number };
  readonly storage: {
    readonly sqlitePath: string | null;
    readonly storeTicks: boolean;
    readonly databaseUrl: string | null;
    readonly postgresSchema: string;
    readonly postgresPoolSize: number;
    readonly postgresStatementTimeoutMs: number;
    /** Undefined: whatever the URL's `sslmode` says. */
    readonly postgresSsl: "disable" | "prefer" | "require" | "verify-full" | undefined;
    readonly clickhouseUrl: string | null;
    readonly clickhouseDatabase: string;
    readonly clickhouseTicks: boolean;
    readonly redisUrl: string | null;
    readonly redisKeyPrefix: string;
  };
  readonly alertWebhookUrl: string | null;
  /** Live feed settings (URLs, symbols, CoinCap key and polling). */
  readonly feeds: LiveFeedConfigs;
  readonly kafkaBrokers: readonly string[] | null;
  readonly kafka: {
    readonly group: string;
    readonly archiveGroup: string;
    readonly partitions: number;
    readonly sessionTimeoutMs: number;
    readonly commitIntervalMs: number;
    /** Write end-of-input markers after a finite replay. */
    readonly markEnd: boolean;
  };
  readonly http: { readonly hostname: string; readonly port: number } | null;
  readonly logLevel: LogLevel;
  readonly liveView: "auto" | "on" | "off";
  readonly shutdownTimeoutMs: number;
  /** V8 old-generation ceiling of the pipeline process, MB. */
  readonly heapLimitMb: number;
}

/**
 * Assembles the config from parsed option values and checks the rules that span options.
 * Returns the config, or every violated rule.
 */
export function buildConfig(v: OptionValues): { config?: PipelineConfig; errors: string[] } {
  const errors: string[] = [];
  const sources = v["source"] ?? ["simulator"];
  if (sources.includes("replay") && !v["replay-file"]) {
    errors.push("--source replay needs --replay-file (REPLAY_FILE)");
  }
  if (v["replay-file"] && !sources.includes("replay")) {
    errors.push("--replay-file is set but --source does not include replay");
  }
  if (v["exit-at-end"] && sources.some((s) => s !== "replay")) {
    errors.push("--exit-at-end needs finite sources: use it with --source replay only");
  }
  const brokers = v["kafka-brokers"];
  if (brokers !== undefined && brokers.length === 0) {
    errors.push("--kafka-brokers is set but empty");
  }
  const role = v["role"] ?? "all";
  if (role !== "all" && !brokers) {
    errors.push(`--role ${role} needs --kafka-brokers: roles split work across a Kafka bus`);
  }
  const feedEnv: Record<string, string | undefined> = {};
  for (const name of FEED_OPTIONS) feedEnv[OPTIONS[name].env] = v[name];
  const feeds = feedConfigsFromEnv(feedEnv);
  errors.push(...feeds.errors);
  if (feeds.errors.length === 0) errors.push(...liveFeedErrors(sources, feeds.configs));
  if (sources.includes("coincap") && !v["coincap-api-key"]) {
    errors.push(
      "--source coincap needs --coincap-api-key (COINCAP_API_KEY): CoinCap v3 requires a key",
    );
  }
  if (errors.length) return { errors };
  const config: PipelineConfig = {
    role,
    sources,
    replay: {
      file: v["replay-file"] ?? null,
      speed: v["replay-speed"] ?? "max",
      maxLineBytes: v["max-line-bytes"] ?? 1_048_576,
      exitAtEnd: v["exit-at-end"] ?? false,
    },
    simulator: { seed: v["seed"] ?? 42, ticksPerSecond: v["sim-rate"] ?? 3 },
    symbols: v["symbols"] ?? null,
    intervals: v["intervals"] ?? ["1m", "5m", "1h"],
    windows: {
      allowedLatenessMs: v["allowed-lateness"] ?? 2000,
      lateUpdateWindowMs: v["late-update-window"] ?? 60_000,
      idleTimeoutMs: v["idle-timeout"] ?? 10_000,
    },
    bus: { partitions: v["partitions"] ?? 6, capacity: v["bus-capacity"] ?? 4096 },
    storage: {
      sqlitePath: v["sqlite"] === undefined ? "data/pipeline.db" : v["sqlite"],
      storeTicks: v["store-ticks"] ?? true,
      databaseUrl: v["database-url"] ?? null,
      postgresSchema: v["postgres-schema"] ?? "public",
      postgresPoolSize: v["postgres-pool-size"] ?? 4,
      postgresStatementTimeoutMs: v["postgres-statement-timeout"] ?? 30_000,
      postgresSsl: v["postgres-ssl"],
      clickhouseUrl: v["clickhouse-url"] ?? null,
      clickhouseDatabase: v["clickhouse-database"] ?? "crypto",
      clickhouseTicks: v["clickhouse-ticks"] ?? false,
      redisUrl: v["redis-url"] ?? null,
      redisKeyPrefix: v["redis-key-prefix"] ?? "crypto:",
    },
    alertWebhookUrl: v["alert-webhook-url"] ?? null,
    feeds: feeds.configs,
    kafkaBrokers: brokers ?? null,
    kafka: {
      group: v["kafka-group"] ?? "crypto-process",
      archiveGroup: v["kafka-archive-group"] ?? "crypto-archive",
      partitions: v["kafka-partitions"] ?? 12,
      sessionTimeoutMs: v["kafka-session-timeout"] ?? 10_000,
      commitIntervalMs: v["commit-interval"] ?? 1000,
      markEnd: v["mark-end"] ?? true,
    },
    http: v["http"] === undefined ? { hostname: "127.0.0.1", port: 9464 } : v["http"],
    logLevel: v["log-level"] ?? "info",
    liveView: v["ui"] ?? "auto",
    shutdownTimeoutMs: v["shutdown-timeout"] ?? 15_000,
    heapLimitMb: v["heap-limit"] ?? 384,
  };
  return { config: deepFreeze(config), errors };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * What the live feeds' own validation (run again when the sources are built) finds in the
 * selected feeds' settings: bad URLs, symbols, intervals… reported with every other config error
 * instead of failing the start (or the launcher's permission computation) later.
 */
function liveFeedErrors(sources: readonly SourceName[], f: LiveFeedConfigs): string[] {
  const checks: [string, () => unknown][] = [];
  if (sources.includes("coinbase")) {
    checks.push(["coinbase", () => resolveCoinbaseConfig(f.coinbase)]);
  }
  if (sources.includes("binance")) checks.push(["binance", () => resolveBinanceConfig(f.binance)]);
  if (sources.includes("kraken")) checks.push(["kraken", () => resolveKrakenConfig(f.kraken)]);
  if (sources.includes("coincap")) {
    // A missing key has its own message (buildConfig); check everything else.
    const key = { apiKey: f.coincapRest.apiKey ?? "unset" };
    checks.push(["coincap", () => resolveCoinCapRestConfig({ ...f.coincapRest, ...key })]);
    if (f.coincapTransport === "ws") {
      checks.push(["coincap", () => resolveCoinCapWsConfig({ ...f.coincapWs, ...key })]);
    }
  }
  const errors: string[] = [];
  for (const [name, check] of checks) {
    try {
      check();
    } catch (e) {
      if (!(e instanceof FeedConfigError)) throw e;
      errors.push(...e.errors.map((m) => `--source ${name}: ${m}`));
    }
  }
  return [...new Set(errors)];
}
