/**
 * What the compose parity test runs containers against, outside Docker: a memory cgroup per
 * container (the kernel enforces `deploy.resources.limits.memory` exactly as Docker's does; in a
 * mount namespace it is bind-mounted where the container would see it), the
 * `deno` user of the image (uid 1993) through `setpriv`, and a per-run PostgreSQL role and
 * database and ClickHouse user with the passwords the stack's `.env` gives them.
 * @module
 */
import postgres from "postgres";
import { CLICKHOUSE_USERS_XML } from "../helpers/clickhouse_server.ts";
import { TEST_DATABASE_URL } from "../helpers/postgres_db.ts";

/** The uid and gid of the `deno` user of the denoland/deno images (the Dockerfile's `USER deno`). */
export const DENO_UID = 1993;

/** A memory cgroup with a limit, for one container's process. */
export interface MemoryCgroup {
  /** Writing a pid here moves that process into the cgroup (`sh -c 'echo $$ > …; exec …'`). */
  readonly procsFile: string;
  /** The cgroup's directory. */
  readonly dir: string;
  /**
   * Where a container sees its own cgroup: bind-mounting {@linkcode MemoryCgroup.dir} here in a
   * mount namespace gives a process the view Docker gives a container.
   */
  readonly mountPoint: string;
  readonly limitBytes: number;
  /** Peak memory charged to the cgroup (RSS and page cache), bytes. */
  peakBytes(): number;
  /** Processes the kernel's OOM killer ended in it. */
  oomKills(): number;
  /** Removes the cgroup (its processes must have exited). */
  remove(): void;
}

const V1 = "/sys/fs/cgroup/memory";
const V2 = "/sys/fs/cgroup";

/** Creates a memory cgroup `name` limited to `limitBytes` (cgroup v1 or v2). */
export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup {
  const v1 = isDir(V1);
  const dir = v1 ? `${V1}/${name}` : `${V2}/${name}`;
  Deno.mkdirSync(dir);
  try {
    Deno.writeTextFileSync(
      `${dir}/${v1 ? "memory.limit_in_bytes" : "memory.max"}`,
      `${limitBytes}`,
    );
  } catch (e) {
    Deno.removeSync(dir);
    throw e;
  }
  const read = (file: string) => Deno.readTextFileSync(`${dir}/${file}`);
  return {
    procsFile: `${dir}/cgroup.procs`,
    dir,
    mountPoint: v1 ? V1 : V2,
    limitBytes,
    peakBytes: () => Number(read(v1 ? "memory.max_usage_in_bytes" : "memory.peak").trim()),
    oomKills: () => {
      const text = read(v1 ? "memory.oom_control" : "memory.events");
      return Number(/oom_kill (\d+)/.exec(text)?.[1] ?? 0);
    },
    remove: () => {
      try {
        Deno.removeSync(dir);
      } catch { /* still busy or gone: nothing else to do */ }
    },
  };
}

/** Rejects when no memory cgroup can be made here (not root, no cgroup file system). */
export function probeMemoryCgroup(): Promise<void> {
  const cg = createMemoryCgroup(`probe_${crypto.randomUUID().slice(0, 8)}`, 64 * 1024 * 1024);
  cg.remove();
  return Promise.resolve();
}

/** Rejects when `setpriv` or `unshare` (util-linux) is missing or mount namespaces are refused. */
export async function probeSetprivUnshare(): Promise<void> {
  const out = await new Deno.Command("unshare", {
    args: ["--mount", "--propagation", "private", "setpriv", "--reuid=1993", "true"],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).trim());
}

/** The package's ClickHouse users plus `user` with `password` (as the image's env creates it). */
export async function clickhouseUsersXml(user: string, password: string): Promise<string> {
  const base = await Deno.readTextFile(CLICKHOUSE_USERS_XML);
  const entry = `<${user}><password>${password}</password><networks><ip>::/0</ip></networks>` +
    `<profile>default</profile><quota>default</quota></${user}>`;
  if (!base.includes("</users>")) throw new Error(`${CLICKHOUSE_USERS_XML} has no <users>`);
  return base.replace("</users>", `${entry}</users>`);
}

/** A PostgreSQL role and database of the same name, as the postgres image's env creates them. */
export async function createPostgresDatabase(name: string, password: string) {
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE ROLE "${name}" LOGIN PASSWORD '${password}'`);
  await admin.unsafe(`CREATE DATABASE "${name}" OWNER "${name}"`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const sql = postgres(url.href, { max: 1, onnotice: () => {} });
  return {
    sql,
    async drop() {
      await sql.end({ timeout: 2 }).catch(() => {});
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
      await admin.unsafe(`DROP ROLE IF EXISTS "${name}"`).catch(() => {});
      await admin.end({ timeout: 2 });
    },
  };
}

/**
 * Memory of `pid` from /proc/<pid>/status in bytes: `peak` is VmHWM, the peak resident set
 * (including the shared pages of the mapped deno binary); `anon` is RssAnon now, the private
 * memory a cgroup is always charged for. Null once the process is gone.
 */
export function memoryOf(pid: number): { peak: number; anon: number } | null {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]);
    const peak = kb("VmHWM") * 1024;
    const anon = kb("RssAnon") * 1024;
    return Number.isFinite(peak) && Number.isFinite(anon) ? { peak, anon } : null;
  } catch {
    return null;
  }
}

/** The command line of `pid` (empty once it is gone). */
export function cmdline(pid: number): string[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter((a) => a !== "");
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
