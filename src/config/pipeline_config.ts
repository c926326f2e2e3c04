/**
 * The validated, frozen configuration of one pipeline instance, built from the option values.
 * @module
 */
import type { LogLevel } from "../logger.ts";
import { feedConfigsFromEnv, type LiveFeedConfigs } from "../feeds/feed_env.ts";
import { FEED_OPTIONS, OPTIONS, type OptionValues, type Role, type SourceName } from "./options.ts";

/** Everything an instance needs to know, resolved once at start-up. */
export interface PipelineConfig {
  readonly role: Role;
  readonly sources: readonly SourceName[];
  readonly replay: {
    readonly file: string | null;
    readonly speed: number | "max";
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
    readonly clickhouseUrl: string | null;
    readonly clickhouseDatabase: string;
    readonly clickhouseTicks: boolean;
    readonly redisUrl: string | null;
  };
  readonly alertWebhookUrl: string | null;
  /** Live feed settings (URLs, symbols, CoinCap key and polling). */
  readonly feeds: LiveFeedConfigs;
  readonly kafkaBrokers: readonly string[] | null;
  readonly http: { readonly hostname: string; readonly port: number } | null;
  readonly logLevel: LogLevel;
  readonly liveView: "auto" | "on" | "off";
  readonly shutdownTimeoutMs: number;
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
      clickhouseUrl: v["clickhouse-url"] ?? null,
      clickhouseDatabase: v["clickhouse-database"] ?? "crypto",
      clickhouseTicks: v["clickhouse-ticks"] ?? false,
      redisUrl: v["redis-url"] ?? null,
    },
    alertWebhookUrl: v["alert-webhook-url"] ?? null,
    feeds: feeds.configs,
    kafkaBrokers: brokers ?? null,
    http: v["http"] === undefined ? { hostname: "127.0.0.1", port: 9464 } : v["http"],
    logLevel: v["log-level"] ?? "info",
    liveView: v["ui"] ?? "auto",
    shutdownTimeoutMs: v["shutdown-timeout"] ?? 15_000,
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
