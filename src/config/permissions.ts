/**
 * The Deno permissions one pipeline instance needs, derived from its config: network access to
 * exactly the hosts it is configured to reach and its HTTP address; read/write of exactly its
 * SQLite database file, the `-wal`, `-shm` and `-journal` files SQLite keeps beside it and, in
 * embedded mode, its delivery spool (`-spool.ndjson`, replaced through `-spool.ndjson.tmp`); read of
 * exactly its replay file, `.env` and the files its configuration is read from (secrets'
 * `<VAR>_FILE`s, TLS CA bundles, certificates and keys), and, in Kafka's process role, of its own
 * code, which the window worker thread loads. The launcher (src/launch.ts) starts the pipeline with these.
 *
 * Paths are made absolute against the working directory, and never joined into a permission list
 * unless they can be granted exactly: Deno splits `--allow-read=a,b` on commas with no escape, so
 * a path with a comma (refused by the loader for the configured paths; here for the working
 * directory or project path they are resolved against) would grant something else.
 *
 * No existing directory is granted: a database `x.db` in the project root must not give the
 * pipeline write access to the project root (its code). The one exception is the database's
 * directory when it does not exist yet, so the pipeline can create it (`data/` on a fresh
 * clone): a directory that does not exist holds no code. Measured with Deno 2.9.6: `node:sqlite`
 * checks permissions on the database path only; SQLite creates its `-wal`/`-shm` files itself,
 * but they are granted anyway, exactly, in case a later Deno checks them too.
 * @module
 */
import { ConfigError } from "../errors.ts";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BINANCE_DEFAULTS } from "../feeds/binance.ts";
import { COINBASE_DEFAULTS } from "../feeds/coinbase.ts";
import { COINCAP_REST_DEFAULTS } from "../feeds/coincap_rest.ts";
import { COINCAP_WS_DEFAULTS } from "../feeds/coincap_ws.ts";
import { KRAKEN_DEFAULTS } from "../feeds/kraken.ts";
import {
  type PipelineConfig,
  usesForecastWorker,
  usesPlatformatic,
  usesSqliteThread,
} from "./pipeline_config.ts";
import { spoolPathOf, sqliteFiles } from "../connectors/sqlite/sqlite_paths.ts";

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
 * Where the worker threads (the Kafka `process` role's window worker, the forecast worker) load
 * their modules from: unlike the main program's, a worker's local modules need read permission.
 * Only the project's own code; none when it runs from a remote URL (nothing local to read).
 */
export function workerCodeDirs(): string[] {
  return projectPaths(["actors", "src"]);
}

/** `paths` (relative to the project's root) as absolute paths; none when it is not local. */
function projectPaths(paths: readonly string[]): string[] {
  const root = new URL("../../", import.meta.url);
  if (root.protocol !== "file:") return [];
  return paths.map((path) => fileURLToPath(new URL(path, root)));
}

/**
 * The modules SQLite's tick writer thread loads (its value imports; type imports are erased),
 * granted one by one: the embedded default runs the thread, and still reads nothing else of the
 * project's code. A probe loads the thread under exactly these flags
 * (tests/connectors/sqlite/sqlite_tick_writer_test.ts), so a new import here fails a test, not a
 * deployment. None when the code runs from a remote URL.
 */
export function sqliteTickWriterModules(): string[] {
  return projectPaths([
    "src/connectors/sqlite/sqlite_tick_writer_main.ts",
    "src/connectors/sqlite/sqlite_writes.ts",
    "src/connectors/sqlite/sqlite_predictions.ts",
    "src/connectors/sqlite/packed_ticks.ts",
    "src/runtime/worker_channel.ts",
  ]);
}

/**
 * Where `@platformatic/kafka` reads its WebAssembly file from when `--kafka-client platformatic`
 * loads it (src/connectors/kafka/platformatic_module.ts): the project's npm packages
 * (`nodeModulesDir: auto`); none when it runs from a remote URL.
 */
export function npmPackageDirs(): string[] {
  return projectPaths(["node_modules"]);
}

/** A path or host the pipeline needs cannot be granted exactly (a comma in the working directory…). */
export class PermissionGrantError extends ConfigError {
  constructor(problems: readonly string[]) {
    super("permission", problems);
  }
}

/** Options of {@linkcode permissionFlags}. */
export interface PermissionOptions {
  /** The `.env` file the launcher read: the child reads it too (src/main.ts). */
  readonly dotenv?: string;
  /** What relative paths are relative to. Default `Deno.cwd()`. */
  readonly cwd?: string;
  /** Whether `path` exists. Default: asks the file system. */
  readonly exists?: (path: string) => boolean;
}

/**
 * The `deno run` permission flags for `config`.
 *
 * @throws {PermissionGrantError} when a path or host cannot be granted exactly.
 */
export function permissionFlags(config: PipelineConfig, options: PermissionOptions = {}): string[] {
  // Configured paths were checked by the loader; what they are resolved against, and host names
  // (a postgres:// or redis:// URL may have a comma in its host), were not.
  const problems = new Set<string>();
  const exact = (entry: string) => {
    if (/[,\r\n\0]/.test(entry)) {
      problems.add(
        `${JSON.stringify(entry)} cannot be granted exactly (Deno's permission lists are ` +
          `comma-separated): no comma or line break in paths and host names, working ` +
          `directory included`,
      );
    }
    return entry;
  };
  const net = [...hostsOf(config)].map(exact);
  const { read, write } = fileGrants(config, options, exact);
  if (problems.size) throw new PermissionGrantError([...problems]);
  const flags = ["--allow-env"];
  if (net.length) flags.push(`--allow-net=${net.sort().join(",")}`);
  if (read.size) flags.push(`--allow-read=${[...read].sort().join(",")}`);
  if (write.size) flags.push(`--allow-write=${[...write].sort().join(",")}`);
  // kafkajs and postgres.js ask for the host name and OS release to describe their clients.
  flags.push("--allow-sys=hostname,osRelease");
  return flags;
}

/** `host:port` of every server the config reaches, and of its own HTTP address. */
function hostsOf(config: PipelineConfig): Set<string> {
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
  return net;
}

/** The absolute paths to read and write; `exact` vets each before it is granted. */
function fileGrants(
  config: PipelineConfig,
  options: PermissionOptions,
  exact: (path: string) => string,
): { read: Set<string>; write: Set<string> } {
  const absolute = (path: string) => exact(resolve(options.cwd ?? Deno.cwd(), path));
  const read = new Set<string>();
  const write = new Set<string>();
  const sqlite = config.storage.sqlitePath;
  if (sqlite && sqlite !== ":memory:") {
    const database = absolute(sqlite);
    for (const file of sqliteFiles(database)) {
      read.add(file);
      write.add(file);
    }
    // The delivery spool beside it (embedded mode), and the file that replaces it atomically.
    if (!config.kafkaBrokers) {
      for (const file of [spoolPathOf(database), `${spoolPathOf(database)}.tmp`]) {
        read.add(file);
        write.add(file);
      }
    }
    const dir = dirname(database);
    if (!(options.exists ?? pathExists)(dir)) write.add(dir);
  }
  if (config.replay.file) read.add(absolute(config.replay.file));
  if (options.dotenv) read.add(absolute(options.dotenv));
  // The pipeline resolves its configuration again, so it reads these files itself.
  for (const file of config.files) read.add(absolute(file));
  const windowWorker = config.kafkaBrokers && (config.role === "all" || config.role === "process");
  if (windowWorker || usesForecastWorker(config)) {
    for (const dir of workerCodeDirs()) read.add(exact(dir));
  }
  if (usesSqliteThread(config)) {
    for (const file of sqliteTickWriterModules()) read.add(exact(file));
  }
  if (config.kafkaBrokers && usesPlatformatic(config)) {
    for (const dir of npmPackageDirs()) read.add(exact(dir));
  }
  return { read, write };
}

function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
