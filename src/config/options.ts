/**
 * The table of every configuration option: flag, environment variable, default, help, parser.
 * `--help` is printed from it and the README's configuration table mirrors it.
 * @module
 */
import {
  parseAnalyticsVenues,
  parseBool,
  parseChoice,
  parseDuration,
  parseHostPort,
  parseInteger,
  parseList,
  parseNumberInRange,
  parsePath,
  parsePositiveNumber,
  parseUrl,
  parseVenues,
} from "./value_parsers.ts";
import { parseIntervals } from "../market/interval.ts";
import { FORECAST_OPTIONS } from "./forecast_options.ts";

/** One option. `parse` throws an Error with a message completing "invalid --flag: …". */
export interface OptionSpec<T> {
  readonly env: string;
  /** Default as the user would type it; undefined means "not set". */
  readonly default: string | undefined;
  readonly help: string;
  /** Boolean flags may be given without a value (`--exit-at-end`) or negated (`--no-store-ticks`). */
  readonly boolean?: boolean;
  /** Secrets are never echoed back in errors or logs. */
  readonly secret?: boolean;
  parse(raw: string): T;
}

function opt<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

/** `off` or empty: one spelling of "disabled" for every option that can be (`./off` is a file). */
function isOff(raw: string): boolean {
  const v = raw.trim();
  return v === "" || v === "off";
}

/** Feed names accepted by `--source`. */
export const SOURCE_NAMES = [
  "simulator",
  "replay",
  "coincap",
  "coinbase",
  "binance",
  "kraken",
] as const;
export type SourceName = typeof SOURCE_NAMES[number];

/** Kafka client libraries accepted by `--kafka-client`. */
export const KAFKA_CLIENT_NAMES = ["kafkajs", "platformatic"] as const;

/** Process roles. */
export const ROLES = ["all", "ingest", "process", "archive"] as const;
export type Role = typeof ROLES[number];

/**
 * Bounds of `--replay-speed`. Below 1/1000 of real time a replay is no longer a replay (a minute
 * of trades takes 17 hours), and tiny factors overflow the pacer's timer (1e-300 made every wait
 * infinite); above a million times real time a day of trades is paced in 86 ms, which `max`
 * does better.
 */
export const MIN_REPLAY_SPEED = 0.001;
export const MAX_REPLAY_SPEED = 1_000_000;
const optionalUrl = (protocols: string[]) => (raw: string) =>
  raw.trim() === "" ? null : parseUrl(raw, protocols);
/** A file to read (a CA bundle, a certificate, a key): empty means unset. */
const optionalPath = (raw: string) => raw.trim() === "" ? null : parsePath(raw);
/** A credential, as given (a password may begin or end with a blank): empty means unset. */
const optionalSecret = (raw: string) => raw === "" ? null : raw;

/** SASL mechanisms of `--kafka-sasl-mechanism`. */
export const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;
export type SaslMechanism = typeof SASL_MECHANISMS[number];

/**
 * The suffix of the variable that names a file holding a secret option's value, e.g.
 * `KAFKA_SASL_PASSWORD_FILE=/run/secrets/kafka-password` (Docker and Kubernetes secrets are files).
 */
export const FILE_SUFFIX = "_FILE";

/** Every option, keyed by its flag name (without `--`). */
export const OPTIONS = {
  "role": opt({
    env: "ROLE",
    default: "all",
    help: "what this instance runs: all | ingest | process | archive",
    parse: (raw) => parseChoice(raw, ROLES),
  }),
  "source": opt({
    env: "SOURCE",
    default: "simulator",
    help: `feeds, comma-separated: ${SOURCE_NAMES.join(" | ")}`,
    parse: (raw) => {
      const list = parseList(raw);
      if (list.length === 0) throw new Error("at least one source is required");
      return [...new Set(list.map((s) => parseChoice(s, SOURCE_NAMES)))];
    },
  }),
  "replay-file": opt({
    env: "REPLAY_FILE",
    default: undefined,
    help: "NDJSON ticks or a Binance trade-dump CSV (by extension .csv) for --source replay",
    parse: parsePath,
  }),
  "replay-speed": opt({
    env: "REPLAY_SPEED",
    default: "max",
    help: "replay speed factor over event time (1 = real time, 0.001..1000000), or max",
    parse: (raw): number | "max" =>
      raw.trim() === "max" ? "max" : parseNumberInRange(raw, MIN_REPLAY_SPEED, MAX_REPLAY_SPEED),
  }),
  "max-line-bytes": opt({
    env: "MAX_LINE_BYTES",
    default: "1048576",
    help: "longest replay line in bytes (1 MiB); a longer one is a too_large dead letter",
    parse: (raw) => parseInteger(raw, 1024, 268_435_456),
  }),
  "exit-at-end": opt({
    env: "EXIT_AT_END",
    default: "false",
    boolean: true,
    help: "exit 0 once a finite replay is fully processed and stored",
    parse: parseBool,
  }),
  "seed": opt({
    env: "SIMULATOR_SEED",
    default: "42",
    help: "simulator random seed (same seed, same ticks)",
    parse: (raw) => parseInteger(raw, 0, 2 ** 31 - 1),
  }),
  "sim-rate": opt({
    env: "SIMULATOR_RATE",
    default: "3",
    help: "simulator ticks per second per symbol",
    parse: parsePositiveNumber,
  }),
  "sim-warmup": opt({
    env: "SIMULATOR_WARMUP",
    default: "45m",
    help: "simulated history produced at once before live pacing (warms indicators and alerts)",
    parse: parseDuration,
  }),
  "sim-silence": opt({
    env: "SIMULATOR_SILENCE",
    default: "0.00002",
    help: "per-tick probability that a simulated symbol goes silent for 70–120 s (0: never)",
    parse: (raw) => parseNumberInRange(raw, 0, 1),
  }),
  "symbols": opt({
    env: "SYMBOLS",
    default: undefined,
    help: "allow-list of BASE-QUOTE symbols (default: every symbol the sources produce)",
    parse: (raw) => {
      const list = parseList(raw).map((s) => s.toUpperCase());
      const bad = list.filter((s) => !/^[A-Z0-9]{1,16}-[A-Z0-9]{1,16}$/.test(s));
      if (bad.length) throw new Error(`symbols must look like BTC-USD: ${bad.join(", ")}`);
      return list;
    },
  }),
  "intervals": opt({
    env: "INTERVALS",
    default: "1m,5m,1h",
    help: "candle intervals, comma-separated (s, m, h, d units)",
    parse: (raw) => {
      // The candle stage's own parser: what passes here cannot fail at start-up. Two spellings
      // of one length (60s, 1m) are refused: they would write the same candles twice.
      parseIntervals(raw);
      return parseList(raw);
    },
  }),
  "allowed-lateness": opt({
    env: "ALLOWED_LATENESS",
    default: "2s",
    help: "watermark = max event time seen − this",
    parse: parseDuration,
  }),
  "late-update-window": opt({
    env: "LATE_UPDATE_WINDOW",
    default: "60s",
    help: "late ticks this far past a window's end revise its candle; later ones are rejected",
    parse: parseDuration,
  }),
  "idle-timeout": opt({
    env: "IDLE_TIMEOUT",
    default: "10s",
    help: "a partition with no ticks for this long (processing time) advances its watermark",
    parse: parseDuration,
  }),
  "max-symbols": opt({
    env: "MAX_SYMBOLS",
    default: "10000",
    help: "(venue, symbol) series with window state at once, across the partitions; " +
      "ticks of more are dead letters",
    parse: (raw) => parseInteger(raw, 1, 10_000_000),
  }),
  "composite-venues": opt({
    env: "COMPOSITE_VENUES",
    default: "",
    help: "venues whose candles feed the composite candle, comma-separated (empty: every venue)",
    parse: (raw) => parseVenues(raw, "a composite venue"),
  }),
  "composite-stale-after": opt({
    env: "COMPOSITE_STALE_AFTER",
    default: "60s",
    help: "a venue whose last trade in a window is older than this at its end is left out",
    parse: parseDuration,
  }),
  "composite-outlier-mads": opt({
    env: "COMPOSITE_OUTLIER_MADS",
    default: "5",
    help: "a venue this many median absolute deviations from the median price is left out",
    parse: (raw) => parseNumberInRange(raw, 1, 1000),
  }),
  "analytics-venue": opt({
    env: "ANALYTICS_VENUE",
    default: "composite",
    help:
      "the venues, comma-separated, whose candles the indicators and candle rules run on (first: charted)",
    parse: parseAnalyticsVenues,
  }),
  ...FORECAST_OPTIONS,
  "partitions": opt({
    env: "PARTITIONS",
    default: "6",
    help: "memory-bus partitions (symbols are hashed onto them)",
    parse: (raw) => parseInteger(raw, 1, 1024),
  }),
  "bus-capacity": opt({
    env: "BUS_CAPACITY",
    default: "4096",
    help: "bound of each partition and actor mailbox (backpressure beyond it)",
    parse: (raw) => parseInteger(raw, 16, 1_048_576),
  }),
  "sqlite": opt({
    env: "SQLITE_PATH",
    default: "data/pipeline.db",
    help: "embedded SQLite database file (off or empty to disable)",
    parse: (raw) => isOff(raw) ? null : parsePath(raw),
  }),
  "store-ticks": opt({
    env: "STORE_TICKS",
    default: "true",
    boolean: true,
    help: "store raw ticks (SQLite ticks table / PostgreSQL)",
    parse: parseBool,
  }),
  "sqlite-tick-thread": opt({
    env: "SQLITE_TICK_THREAD",
    default: "true",
    boolean: true,
    help:
      "embedded mode: SQLite's raw ticks are written, and its WAL checkpointed, by a thread of its own (another core), not on the event loop",
    parse: parseBool,
  }),
  "http": opt({
    env: "HTTP_ADDR",
    default: "127.0.0.1:9464",
    help: "HTTP listen address for /metrics, /health, /ready and /api (off or empty to disable)",
    parse: (raw) => isOff(raw) ? null : parseHostPort(raw),
  }),
  "dashboard-clients": opt({
    env: "DASHBOARD_CLIENTS",
    default: "20",
    help:
      "browsers streaming the dashboard's live updates at once (/api/stream); 0 = no live stream",
    parse: (raw) => parseInteger(raw, 0, 1000),
  }),
  "log-level": opt({
    env: "LOG_LEVEL",
    default: "info",
    help: "debug | info | warn | error",
    parse: (raw) => parseChoice(raw, ["debug", "info", "warn", "error"] as const),
  }),
  "ui": opt({
    env: "LIVE_VIEW",
    default: "auto",
    help: "live terminal view: auto (on a TTY) | on | off",
    parse: (raw) => parseChoice(raw, ["auto", "on", "off"] as const),
  }),
  "kafka-brokers": opt({
    env: "KAFKA_BROKERS",
    default: undefined,
    help: "comma-separated Kafka bootstrap servers; unset = in-process memory bus",
    parse: (raw) => parseList(raw),
  }),
  "kafka-client": opt({
    env: "KAFKA_CLIENT",
    default: "kafkajs",
    help:
      "Kafka client library of the consumer groups and topic admin: kafkajs | platformatic (@platformatic/kafka; see docs/kafka.md)",
    parse: (raw) => parseChoice(raw, KAFKA_CLIENT_NAMES),
  }),
  "kafka-producer-client": opt({
    env: "KAFKA_PRODUCER_CLIENT",
    default: "platformatic",
    help:
      "Kafka client library of the producer: platformatic (2.6× kafkajs' sends) | kafkajs (see docs/kafka.md)",
    parse: (raw) => parseChoice(raw, KAFKA_CLIENT_NAMES),
  }),
  "mark-end": opt({
    env: "MARK_END",
    default: "true",
    boolean: true,
    help: "after a finite replay, write end-of-input markers so processors flush (Kafka mode)",
    parse: parseBool,
  }),
  "kafka-group": opt({
    env: "KAFKA_GROUP_ID",
    default: "crypto-process",
    help: "consumer group of the process role (instances in one group split the partitions)",
    parse: (raw) => raw.trim(),
  }),
  "kafka-archive-group": opt({
    env: "KAFKA_ARCHIVE_GROUP_ID",
    default: "crypto-archive",
    help: "consumer group of the archive role",
    parse: (raw) => raw.trim(),
  }),
  "kafka-partitions": opt({
    env: "KAFKA_PARTITIONS",
    default: "12",
    help: "partitions of topics the pipeline creates at start-up when missing",
    parse: (raw) => parseInteger(raw, 1, 10_000),
  }),
  "kafka-session-timeout": opt({
    env: "KAFKA_SESSION_TIMEOUT",
    default: "10s",
    help: "consumer-group session timeout: how soon a dead instance's partitions move",
    parse: parseDuration,
  }),
  "kafka-fetch-max-wait": opt({
    env: "KAFKA_FETCH_MAX_WAIT",
    default: "500ms",
    help: "longest a consumer fetch waits for records when there are none (Kafka mode)",
    parse: parseDuration,
  }),
  "kafka-linger": opt({
    env: "KAFKA_LINGER",
    default: "5ms",
    help: "how long a produced record may wait for its batch to fill (Kafka mode)",
    parse: parseDuration,
  }),
  "commit-interval": opt({
    env: "COMMIT_INTERVAL",
    default: "1s",
    help: "how often a partition commits what every store has acknowledged (Kafka mode)",
    parse: parseDuration,
  }),
  "kafka-tls": opt({
    env: "KAFKA_TLS",
    default: "false",
    boolean: true,
    help:
      "connect to the Kafka brokers over TLS (managed Kafka: Confluent, MSK, Event Hubs, Aiven)",
    parse: parseBool,
  }),
  "kafka-tls-ca-file": opt({
    env: "KAFKA_TLS_CA_FILE",
    default: undefined,
    help: "PEM CA bundle the brokers' certificates must chain to (default: the system's CAs)",
    parse: optionalPath,
  }),
  "kafka-tls-cert-file": opt({
    env: "KAFKA_TLS_CERT_FILE",
    default: undefined,
    help: "PEM client certificate for mutual TLS (with --kafka-tls-key-file)",
    parse: optionalPath,
  }),
  "kafka-tls-key-file": opt({
    env: "KAFKA_TLS_KEY_FILE",
    default: undefined,
    help: "PEM private key of --kafka-tls-cert-file",
    parse: optionalPath,
  }),
  "kafka-tls-reject-unauthorized": opt({
    env: "KAFKA_TLS_REJECT_UNAUTHORIZED",
    default: "true",
    boolean: true,
    help: "refuse brokers whose certificate does not verify (false: encrypted but unauthenticated)",
    parse: parseBool,
  }),
  "kafka-sasl-mechanism": opt({
    env: "KAFKA_SASL_MECHANISM",
    default: undefined,
    help: `Kafka SASL mechanism: ${SASL_MECHANISMS.join(" | ")} (unset: no SASL)`,
    parse: (raw) => raw.trim() === "" ? null : parseChoice(raw.toLowerCase(), SASL_MECHANISMS),
  }),
  "kafka-sasl-username": opt({
    env: "KAFKA_SASL_USERNAME",
    default: undefined,
    secret: true,
    help: "Kafka SASL user name (Confluent: the API key; Event Hubs: $ConnectionString)",
    parse: (raw) => raw.trim() === "" ? null : raw.trim(),
  }),
  "kafka-sasl-password": opt({
    env: "KAFKA_SASL_PASSWORD",
    default: undefined,
    secret: true,
    help: "Kafka SASL password (Confluent: the API secret; Event Hubs: the connection string)",
    parse: optionalSecret,
  }),
  "database-url": opt({
    env: "DATABASE_URL",
    default: undefined,
    secret: true,
    help: "PostgreSQL URL for raw ticks, alerts and dead letters",
    parse: optionalUrl(["postgres", "postgresql"]),
  }),
  "postgres-schema": opt({
    env: "POSTGRES_SCHEMA",
    default: "public",
    help: "PostgreSQL schema for the pipeline's tables (created at start-up)",
    parse: (raw) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(raw.trim())) {
        throw new Error(`expected a schema name like public, received "${raw}"`);
      }
      return raw.trim();
    },
  }),
  "postgres-pool-size": opt({
    env: "POSTGRES_POOL_SIZE",
    default: "4",
    help: "PostgreSQL connections in the pool",
    parse: (raw) => parseInteger(raw, 1, 100),
  }),
  "postgres-statement-timeout": opt({
    env: "POSTGRES_STATEMENT_TIMEOUT",
    default: "30s",
    help: "server-side statement_timeout of every PostgreSQL write",
    parse: parseDuration,
  }),
  "postgres-ssl": opt({
    env: "POSTGRES_SSL",
    default: undefined,
    help: "PostgreSQL TLS: disable | prefer | require | verify-full (default: the URL's sslmode)",
    parse: (raw) => parseChoice(raw, ["disable", "prefer", "require", "verify-full"] as const),
  }),
  "postgres-ca-file": opt({
    env: "POSTGRES_CA_FILE",
    default: undefined,
    help: "PEM CA bundle for --postgres-ssl verify-full (default: the system's CAs)",
    parse: optionalPath,
  }),
  "clickhouse-url": opt({
    env: "CLICKHOUSE_URL",
    default: undefined,
    secret: true,
    help: "ClickHouse HTTP URL for candles, indicators and alerts",
    parse: optionalUrl(["http", "https"]),
  }),
  "clickhouse-user": opt({
    env: "CLICKHOUSE_USER",
    default: undefined,
    help: "ClickHouse user, when not in --clickhouse-url (default: the URL's, else default)",
    parse: (raw) => raw.trim() === "" ? null : raw.trim(),
  }),
  "clickhouse-password": opt({
    env: "CLICKHOUSE_PASSWORD",
    default: undefined,
    secret: true,
    help: "ClickHouse password, when not in --clickhouse-url",
    parse: optionalSecret,
  }),
  "clickhouse-ca-file": opt({
    env: "CLICKHOUSE_CA_FILE",
    default: undefined,
    help: "PEM CA bundle for an https:// --clickhouse-url (default: the system's CAs)",
    parse: optionalPath,
  }),
  "clickhouse-database": opt({
    env: "CLICKHOUSE_DATABASE",
    default: "crypto",
    help: "ClickHouse database for the pipeline's tables (created at start-up)",
    parse: (raw) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(raw.trim())) {
        throw new Error(`expected a database name like crypto, received "${raw}"`);
      }
      return raw.trim();
    },
  }),
  "clickhouse-ticks": opt({
    env: "CLICKHOUSE_TICKS",
    default: "false",
    boolean: true,
    help: "also store raw ticks in ClickHouse (MergeTree partitioned by day)",
    parse: parseBool,
  }),
  "redis-url": opt({
    env: "REDIS_URL",
    default: undefined,
    secret: true,
    help: "Redis URL for latest prices and candles, and the alerts channel",
    parse: optionalUrl(["redis", "rediss"]),
  }),
  "redis-ca-file": opt({
    env: "REDIS_CA_FILE",
    default: undefined,
    help: "PEM CA bundle for a rediss:// --redis-url (default: the system's CAs)",
    parse: optionalPath,
  }),
  "redis-key-prefix": opt({
    env: "REDIS_KEY_PREFIX",
    default: "crypto:",
    help: "prefix of every Redis key and of the alerts channel",
    parse: (raw) => raw,
  }),
  "alert-webhook-url": opt({
    env: "ALERT_WEBHOOK_URL",
    default: undefined,
    secret: true,
    help: "Slack-compatible webhook that receives alerts",
    parse: optionalUrl(["http", "https"]),
  }),
  "coincap-api-key": opt({
    env: "COINCAP_API_KEY",
    default: undefined,
    secret: true,
    help: "CoinCap v3 API key (required for --source coincap)",
    parse: (raw) => raw.trim(),
  }),
  "coincap-transport": opt({
    env: "COINCAP_TRANSPORT",
    default: undefined,

    help: "CoinCap transport: rest (poll) | ws (stream, falls back to rest)",
    parse: (raw) => raw.trim(),
  }),
  "coincap-rest-url": opt({
    env: "COINCAP_REST_URL",
    default: undefined,

    help: "CoinCap REST base URL (default https://rest.coincap.io/v3)",
    parse: (raw) => raw.trim(),
  }),
  "coincap-ws-url": opt({
    env: "COINCAP_WS_URL",
    default: undefined,

    help: "CoinCap WebSocket URL (default wss://wss.coincap.io/prices)",
    parse: (raw) => raw.trim(),
  }),
  "coincap-poll-interval": opt({
    env: "COINCAP_POLL_INTERVAL",
    default: undefined,

    help: "CoinCap REST poll interval (default 60s: mindful of credits)",
    parse: (raw) => raw.trim(),
  }),
  "coincap-assets": opt({
    env: "COINCAP_ASSETS",
    default: undefined,

    help: "CoinCap asset id → symbol map (default bitcoin=BTC-USD,ethereum=ETH-USD)",
    parse: (raw) => raw.trim(),
  }),
  "coincap-backfill-minutes": opt({
    env: "COINCAP_BACKFILL_MINUTES",
    default: undefined,

    help: "minutes of m1 history to backfill at start (default 0)",
    parse: (raw) => raw.trim(),
  }),
  "coinbase-ws-url": opt({
    env: "COINBASE_WS_URL",
    default: undefined,

    help: "Coinbase Exchange feed URL",
    parse: (raw) => raw.trim(),
  }),
  "coinbase-symbols": opt({
    env: "COINBASE_SYMBOLS",
    default: undefined,

    help: "Coinbase products (default BTC-USD,ETH-USD)",
    parse: (raw) => raw.trim(),
  }),
  "binance-ws-url": opt({
    env: "BINANCE_WS_URL",
    default: undefined,

    help: "Binance combined-stream URL",
    parse: (raw) => raw.trim(),
  }),
  "binance-symbols": opt({
    env: "BINANCE_SYMBOLS",
    default: undefined,

    help: "Binance symbols (default BTC-USDT,ETH-USDT)",
    parse: (raw) => raw.trim(),
  }),
  "binance-symbol-map": opt({
    env: "BINANCE_SYMBOL_MAP",
    default: undefined,

    help: "rename Binance symbols, e.g. BTC-USDT=BTC-USD",
    parse: (raw) => raw.trim(),
  }),
  "kraken-ws-url": opt({
    env: "KRAKEN_WS_URL",
    default: undefined,

    help: "Kraken v2 WebSocket URL",
    parse: (raw) => raw.trim(),
  }),
  "kraken-symbols": opt({
    env: "KRAKEN_SYMBOLS",
    default: undefined,

    help: "Kraken pairs (default BTC-USD,ETH-USD)",
    parse: (raw) => raw.trim(),
  }),
  "heap-limit": opt({
    env: "HEAP_LIMIT_MB",
    default: "384",
    help: "V8 old-generation ceiling (MB) of the pipeline process started by deno task start",
    parse: (raw) => parseInteger(raw, 64, 65_536),
  }),
  "shutdown-timeout": opt({
    env: "SHUTDOWN_TIMEOUT",
    default: "15s",
    help: "how long a graceful stop may take before it is forced",
    parse: parseDuration,
  }),
} as const;

/** Options handed to the live feeds' own config reader (src/feeds/feed_env.ts), by env name. */
export const FEED_OPTIONS = [
  "coincap-api-key",
  "coincap-transport",
  "coincap-rest-url",
  "coincap-ws-url",
  "coincap-poll-interval",
  "coincap-assets",
  "coincap-backfill-minutes",
  "coinbase-ws-url",
  "coinbase-symbols",
  "binance-ws-url",
  "binance-symbols",
  "binance-symbol-map",
  "kraken-ws-url",
  "kraken-symbols",
] as const satisfies readonly (keyof typeof OPTIONS)[];

/** Option names. */
export type OptionName = keyof typeof OPTIONS;

/** The parsed value of every option (undefined when unset without a default). */
export type OptionValues = {
  [K in OptionName]: ReturnType<typeof OPTIONS[K]["parse"]> | undefined;
};
