/**
 * Starts a throw-away ClickHouse server (Debian's `clickhouse-server`) on free loopback ports in a
 * temporary directory, for one test run or benchmark, and stops it.
 * @module
 */
import { startServerProcess } from "./server_process.ts";
import { freePort } from "./services.ts";

/** Where the server binary and its config live. */
export const CLICKHOUSE_BINARY = "/usr/sbin/clickhouse-server";
const CONFIG = "/etc/clickhouse-server/config.xml";
/** The package's users (`default` without a password), a base for {@linkcode startClickHouse}'s `usersXml`. */
export const CLICKHOUSE_USERS_XML = "/etc/clickhouse-server/users.xml";

/** A running test ClickHouse server. */
export interface ClickHouseServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly httpPort: number;
  readonly dir: string;
  /** Stops the server and removes its directory; idempotent. */
  stop(): Promise<void>;
  /** The same, synchronously, for an `unload` handler. */
  stopSync(): void;
}

/** Rejects when the binary is not installed. */
export async function probeClickHouseBinary(): Promise<void> {
  await Deno.stat(CLICKHOUSE_BINARY);
}

/** Options of {@linkcode startClickHouse}. */
export interface StartClickHouseOptions {
  timeoutMs?: number;
  /** Users with passwords (name → password) beside the password-less `default`. */
  users?: Readonly<Record<string, string>>;
  /** Replaces the package's users.xml whole (e.g. the compose stack's users). */
  usersXml?: string;
}

/** Starts a server and resolves once it answers `/ping`. */
export async function startClickHouse(
  options: StartClickHouseOptions = {},
): Promise<ClickHouseServer> {
  const dir = await Deno.makeTempDir({ prefix: "chtest_" });
  if (options.usersXml !== undefined) {
    await Deno.writeTextFile(`${dir}/users.xml`, options.usersXml);
  }
  const usersConfig = options.usersXml !== undefined
    ? [`--users_config=${dir}/users.xml`]
    : options.users
    ? [`--users_config=${await writeUsers(dir, options.users)}`]
    : [];
  const [httpPort, tcpPort, interPort] = distinctPorts(3);
  const server = await startServerProcess({
    command: CLICKHOUSE_BINARY,
    args: [
      `--config-file=${CONFIG}`,
      "--",
      `--path=${dir}/`,
      `--tmp_path=${dir}/tmp/`,
      `--user_files_path=${dir}/user_files/`,
      `--format_schema_path=${dir}/format_schemas/`,
      `--http_port=${httpPort}`,
      `--tcp_port=${tcpPort}`,
      `--interserver_http_port=${interPort}`,
      "--listen_host=127.0.0.1",
      `--logger.log=${dir}/server.log`,
      `--logger.errorlog=${dir}/server.err.log`,
      ...usersConfig,
    ],
    dir,
    readyUrl: `http://127.0.0.1:${httpPort}/ping`,
    what: "ClickHouse /ping",
    exitedEarly: `clickhouse-server exited early, see ${dir}/server.err.log`,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  return { url: `http://127.0.0.1:${httpPort}`, httpPort, dir, ...server };
}

/** The system's users.xml with `users` added (same profile, quota and networks as `default`). */
async function writeUsers(dir: string, users: Readonly<Record<string, string>>): Promise<string> {
  const xml = await Deno.readTextFile(`${CONFIG.replace(/config\.xml$/, "")}users.xml`);
  const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const added = Object.entries(users).map(([name, password]) =>
    `<${name}><password>${escape(password)}</password><networks><ip>::/0</ip></networks>` +
    `<profile>default</profile><quota>default</quota></${name}>`
  ).join("");
  const path = `${dir}/users.xml`;
  await Deno.writeTextFile(path, xml.replace("</users>", `${added}</users>`));
  return path;
}

function distinctPorts(n: number): number[] {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(freePort());
  return [...ports];
}

/**
 * One server shared by a whole test module: started on first use (or never, when the binary is
 * missing and not under CI), killed when the module's process unloads.
 */
export async function sharedClickHouse(): Promise<ClickHouseServer | undefined> {
  const { requireService } = await import("./services.ts");
  const ok = await requireService(`ClickHouse binary ${CLICKHOUSE_BINARY}`, probeClickHouseBinary);
  if (!ok) return undefined;
  const server = await startClickHouse();
  globalThis.addEventListener("unload", () => server.stopSync());
  return server;
}
