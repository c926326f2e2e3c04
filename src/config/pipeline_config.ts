/**
 * The validated, frozen configuration of one pipeline instance, assembled from the option values.
 * @module
 */
import type { LogLevel } from "../logger.ts";
import type { LiveFeedConfigs } from "../feeds/feed_env.ts";
import type { OptionValues, Role, SaslMechanism, SourceName } from "./options.ts";
import type { TlsMaterial } from "./tls_files.ts";
import type { ForecastModelName } from "./forecast_options.ts";

/** TLS to the Kafka brokers: PEM contents read from the configured files. */
export interface KafkaTlsConfig {
  /** CA bundle; null means the system's CAs. */
  readonly ca: string | null;
  /** Client certificate and key for mutual TLS, both or neither. */
  readonly cert: string | null;
  readonly key: string | null;
  readonly rejectUnauthorized: boolean;
}

/** SASL credentials for the Kafka brokers. */
export interface KafkaSaslConfig {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

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
  readonly simulator: {
    readonly seed: number;
    readonly ticksPerSecond: number;
    /** Simulated history produced at once before live pacing starts (ms). */
    readonly warmupMs: number;
    /** Per-tick probability that a symbol goes silent for 70–120 s. */
    readonly silenceProbability: number;
  };
  /** Allow-list; null accepts every well-formed symbol. */
  readonly symbols: readonly string[] | null;
  readonly intervals: readonly string[];
  readonly windows: {
    readonly allowedLatenessMs: number;
    readonly lateUpdateWindowMs: number;
    readonly idleTimeoutMs: number;
    /**
     * Symbols holding window state at once, across all partitions: each partition holds at most
     * its share, `ceil(maxSymbols / partitions)`.
     */
    readonly maxSymbols: number;
  };
  /** How composite candles are built (docs/analytics.md); venues empty: every venue. */
  readonly composite: {
    readonly venues: readonly string[];
    readonly staleAfterMs: number;
    readonly outlierMads: number;
  };
  /**
   * The venues whose candles the indicators and candle rules run on, each on its own (default the
   * composite alone); the first is the one the live view and the dashboard chart.
   */
  readonly analyticsVenues: readonly string[];
  /** Forecasts and the learned anomaly score on the analytics venue's candles (docs/forecasts.md). */
  readonly forecasts: ForecastConfig;
  readonly bus: { readonly partitions: number; readonly capacity: number };
  readonly storage: {
    readonly sqlitePath: string | null;
    readonly storeTicks: boolean;
    /** Embedded mode: SQLite's raw ticks go through their writer thread (sqlite_tick_writer.ts). */
    readonly sqliteTickThread: boolean;
    readonly databaseUrl: string | null;
    readonly postgresSchema: string;
    readonly postgresPoolSize: number;
    readonly postgresStatementTimeoutMs: number;
    /** Undefined: whatever the URL's `sslmode` says. */
    readonly postgresSsl: "disable" | "prefer" | "require" | "verify-full" | undefined;
    /** PEM CA bundle for `verify-full`; null means the system's CAs. */
    readonly postgresCa: string | null;
    readonly clickhouseUrl: string | null;
    /** Credentials given apart from the URL (null: the URL's, if any). */
    readonly clickhouseUser: string | null;
    readonly clickhousePassword: string | null;
    /** PEM CA bundle for an https:// URL; null means the system's CAs. */
    readonly clickhouseCa: string | null;
    readonly clickhouseDatabase: string;
    readonly clickhouseTicks: boolean;
    readonly redisUrl: string | null;
    /** PEM CA bundle for a rediss:// URL; null means the system's CAs. */
    readonly redisCa: string | null;
    readonly redisKeyPrefix: string;
  };
  readonly alertWebhookUrl: string | null;
  /** Live feed settings (URLs, symbols, CoinCap key and polling); resolved for the selected feeds. */
  readonly feeds: LiveFeedConfigs;
  readonly kafkaBrokers: readonly string[] | null;
  readonly kafka: {
    /** The client library of the consumer groups and topic admin. */
    readonly client: "kafkajs" | "platformatic";
    /** The client library of the producer (the faster one by default: docs/kafka.md). */
    readonly producerClient: "kafkajs" | "platformatic";
    readonly group: string;
    readonly archiveGroup: string;
    readonly partitions: number;
    readonly sessionTimeoutMs: number;
    readonly commitIntervalMs: number;
    /** Longest a consumer fetch waits for records when there are none. */
    readonly fetchMaxWaitMs: number;
    /** How long a produced record may wait for its batch to fill. */
    readonly lingerMs: number;
    /** Write end-of-input markers after a finite replay. */
    readonly markEnd: boolean;
    /** Null: plaintext connections. */
    readonly tls: KafkaTlsConfig | null;
    /** Null: no SASL authentication. */
    readonly sasl: KafkaSaslConfig | null;
  };
  readonly http: { readonly hostname: string; readonly port: number } | null;
  /** Dashboard event streams at once (`--dashboard-clients`); 0: none. */
  readonly dashboardClients: number;
  readonly logLevel: LogLevel;
  readonly liveView: "auto" | "on" | "off";
  readonly shutdownTimeoutMs: number;
  /** V8 old-generation ceiling of the pipeline process, MB. */
  readonly heapLimitMb: number;
  /**
   * Every file the configuration was read from besides `.env` (secrets' `<VAR>_FILE`s, TLS
   * bundles, certificates and keys), as given: the launcher grants the pipeline each one exactly.
   */
  readonly files: readonly string[];
}

/** The forecast options; no models and no learned anomaly score: the forecast engine is off. */
export interface ForecastConfig {
  readonly models: readonly ForecastModelName[];
  readonly window: number;
  readonly ewmaLambda: number;
  readonly refitEvery: number;
  readonly garchMethod: "targeting" | "full";
  readonly ridgeAlpha: number;
  readonly learnedAnomaly: boolean;
  readonly learnedAnomalyThreshold: number;
  readonly learnedAnomalyWindow: number;
  readonly learnedAnomalySeed: number;
  /** Run them on the forecast worker thread (actors/analytics/forecast_worker_client.ts). */
  readonly thread: boolean;
}

/** Whether `config` asks for any forecast work at all. */
export function forecastsOn(config: ForecastConfig): boolean {
  return config.models.length > 0 || config.learnedAnomaly;
}

/** Whether this instance runs the analytics stages (windows, indicators): embedded, `all`, `process`. */
export function runsAnalytics(config: PipelineConfig): boolean {
  return !config.kafkaBrokers || config.role === "all" || config.role === "process";
}

/**
 * Whether the forecast worker thread runs: forecasts on, `--forecast-thread`, and a role that runs
 * the analytics stages.
 */
export function usesForecastWorker(config: PipelineConfig): boolean {
  return runsAnalytics(config) && config.forecasts.thread && forecastsOn(config.forecasts);
}

/**
 * Whether SQLite has its thread (sqlite_tick_writer.ts), for its WAL checkpoints at least:
 * embedded mode (in Kafka mode a store's batches are whole fetches already, and its sink keeps
 * the default mailbox), a database file, and `--sqlite-tick-thread`.
 */
export function usesSqliteThread(config: PipelineConfig): boolean {
  const s = config.storage;
  return !config.kafkaBrokers && s.sqliteTickThread && s.sqlitePath !== null &&
    s.sqlitePath !== ":memory:";
}

/** Whether SQLite's raw ticks go through its thread: it has one, and raw ticks are stored. */
export function usesSqliteTickThread(config: PipelineConfig): boolean {
  return usesSqliteThread(config) && config.storage.storeTicks;
}

/** What the loader read from files, besides the option values. */
export interface FileInputs {
  readonly tls: TlsMaterial;
  readonly files: readonly string[];
}

const NO_FILES: FileInputs = {
  tls: {
    kafkaCa: null,
    kafkaCert: null,
    kafkaKey: null,
    postgresCa: null,
    clickhouseCa: null,
    redisCa: null,
  },
  files: [],
};

/**
 * Assembles the config from parsed option values (unset or invalid ones take their defaults) and
 * the feeds' configs. Validation is the loader's (src/config/load_config.ts); this only builds.
 */
export function assemblePipelineConfig(
  v: OptionValues,
  feeds: LiveFeedConfigs,
  read: FileInputs = NO_FILES,
): PipelineConfig {
  const { tls } = read;
  const mechanism = v["kafka-sasl-mechanism"];
  const [username, password] = [v["kafka-sasl-username"], v["kafka-sasl-password"]];
  // Both or neither: a missing half was reported by the loader.
  const clientCert = tls.kafkaCert && tls.kafkaKey ? tls : { kafkaCert: null, kafkaKey: null };
  return deepFreeze({
    role: v["role"] ?? "all",
    sources: v["source"] ?? ["simulator"],
    replay: {
      file: v["replay-file"] ?? null,
      speed: v["replay-speed"] ?? "max",
      maxLineBytes: v["max-line-bytes"] ?? 1_048_576,
      exitAtEnd: v["exit-at-end"] ?? false,
    },
    simulator: {
      seed: v["seed"] ?? 42,
      ticksPerSecond: v["sim-rate"] ?? 3,
      warmupMs: v["sim-warmup"] ?? 45 * 60_000,
      silenceProbability: v["sim-silence"] ?? 0.00002,
    },
    // An empty list (SYMBOLS= in an env file) is no allow-list, not one that refuses everything.
    symbols: v["symbols"]?.length ? v["symbols"] : null,
    intervals: v["intervals"] ?? ["1m", "5m", "1h"],
    windows: {
      allowedLatenessMs: v["allowed-lateness"] ?? 2000,
      lateUpdateWindowMs: v["late-update-window"] ?? 60_000,
      idleTimeoutMs: v["idle-timeout"] ?? 10_000,
      maxSymbols: v["max-symbols"] ?? 10_000,
    },
    composite: {
      venues: v["composite-venues"] ?? [],
      staleAfterMs: v["composite-stale-after"] ?? 60_000,
      outlierMads: v["composite-outlier-mads"] ?? 5,
    },
    analyticsVenues: v["analytics-venue"] ?? ["composite"],
    forecasts: forecastConfig(v),
    bus: { partitions: v["partitions"] ?? 6, capacity: v["bus-capacity"] ?? 4096 },
    storage: {
      sqlitePath: v["sqlite"] === undefined ? "data/pipeline.db" : v["sqlite"],
      storeTicks: v["store-ticks"] ?? true,
      sqliteTickThread: v["sqlite-tick-thread"] ?? true,
      databaseUrl: v["database-url"] ?? null,
      postgresSchema: v["postgres-schema"] ?? "public",
      postgresPoolSize: v["postgres-pool-size"] ?? 4,
      postgresStatementTimeoutMs: v["postgres-statement-timeout"] ?? 30_000,
      postgresSsl: v["postgres-ssl"],
      postgresCa: tls.postgresCa,
      clickhouseUrl: v["clickhouse-url"] ?? null,
      clickhouseUser: v["clickhouse-user"] ?? null,
      clickhousePassword: v["clickhouse-password"] ?? null,
      clickhouseCa: tls.clickhouseCa,
      clickhouseDatabase: v["clickhouse-database"] ?? "crypto",
      clickhouseTicks: v["clickhouse-ticks"] ?? false,
      redisUrl: v["redis-url"] ?? null,
      redisCa: tls.redisCa,
      redisKeyPrefix: v["redis-key-prefix"] ?? "crypto:",
    },
    alertWebhookUrl: v["alert-webhook-url"] ?? null,
    feeds,
    kafkaBrokers: v["kafka-brokers"]?.length ? v["kafka-brokers"] : null,
    kafka: {
      client: v["kafka-client"] ?? "kafkajs",
      producerClient: v["kafka-producer-client"] ?? "platformatic",
      group: v["kafka-group"] ?? "crypto-process",
      archiveGroup: v["kafka-archive-group"] ?? "crypto-archive",
      partitions: v["kafka-partitions"] ?? 12,
      sessionTimeoutMs: v["kafka-session-timeout"] ?? 10_000,
      commitIntervalMs: v["commit-interval"] ?? 1000,
      fetchMaxWaitMs: v["kafka-fetch-max-wait"] ?? 500,
      lingerMs: v["kafka-linger"] ?? 5,
      markEnd: v["mark-end"] ?? true,
      tls: v["kafka-tls"]
        ? {
          ca: tls.kafkaCa,
          cert: clientCert.kafkaCert,
          key: clientCert.kafkaKey,
          rejectUnauthorized: v["kafka-tls-reject-unauthorized"] ?? true,
        }
        : null,
      sasl: mechanism && username && password ? { mechanism, username, password } : null,
    },
    http: v["http"] === undefined ? { hostname: "127.0.0.1", port: 9464 } : v["http"],
    dashboardClients: v["dashboard-clients"] ?? 20,
    logLevel: v["log-level"] ?? "info",
    liveView: v["ui"] ?? "auto",
    shutdownTimeoutMs: v["shutdown-timeout"] ?? 15_000,
    heapLimitMb: v["heap-limit"] ?? 384,
    files: [...new Set(read.files)],
  });
}

function forecastConfig(v: OptionValues): ForecastConfig {
  return {
    models: v["forecast-models"] ?? [],
    window: v["forecast-window"] ?? 500,
    ewmaLambda: v["forecast-ewma-lambda"] ?? 0.94,
    refitEvery: v["forecast-refit-every"] ?? 60,
    garchMethod: v["forecast-garch-method"] ?? "targeting",
    ridgeAlpha: v["forecast-ridge-alpha"] ?? 0.1,
    learnedAnomaly: v["learned-anomaly"] ?? false,
    learnedAnomalyThreshold: v["learned-anomaly-threshold"] ?? 3,
    learnedAnomalyWindow: v["learned-anomaly-window"] ?? 250,
    learnedAnomalySeed: v["learned-anomaly-seed"] ?? 1,
    thread: v["forecast-thread"] ?? true,
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Whether the Kafka consumers or the producer run on `@platformatic/kafka`. */
export function usesPlatformatic(config: Pick<PipelineConfig, "kafka">): boolean {
  return config.kafka.client === "platformatic" || config.kafka.producerClient === "platformatic";
}
