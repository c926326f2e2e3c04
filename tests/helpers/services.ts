/**
 * The rule for integration tests that need a real service: under `CI=true` a missing service is a
 * failure (nothing may skip in CI); elsewhere the test is skipped with a printed reason.
 * @module
 */

/** True when running under CI, where no integration test may skip. */
export const IN_CI = Deno.env.get("CI") === "true";

/** Thrown under CI when a required service is unavailable. */
export class ServiceUnavailableError extends Error {
  override readonly name = "ServiceUnavailableError";
  constructor(service: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot run integration test: ${service} is unavailable (${reason})`, options);
  }
}

/**
 * Probes a service once. Returns true when `probe` succeeds. When it fails: under CI throws
 * {@linkcode ServiceUnavailableError}; otherwise prints why the tests using it are skipped and
 * returns false.
 */
export async function requireService(
  service: string,
  probe: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (IN_CI) throw new ServiceUnavailableError(service, reason, { cause: err });
    // deno-lint-ignore no-console
    console.warn(`SKIP: ${service} unavailable (${reason}); set CI=true to make this a failure`);
    return false;
  }
}

/** Connects to `host:port` over TCP and closes; rejects when nothing listens. */
export async function probeTcp(host: string, port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: host, port });
  conn.close();
}

/** `T` without its falsy members: what {@linkcode pollUntil} returns once `check` passes. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | "">;

/** How {@linkcode pollUntil} polls. */
export interface PollOptions {
  /**
   * Real time before it gives up. Default 30 000 ms: a deadline, not a timing assertion — it only
   * bounds how long a failing test waits, and the whole suite in parallel on two shared cores
   * has taken more than 10 s for steps that take one alone (a group forming, a worker starting).
   */
  readonly timeoutMs?: number;
  /** Real time between checks. Default 25 ms (fake-clock tests poll every 1 ms). */
  readonly intervalMs?: number;
  /** Describes the state on a timeout, for the error message (may be async). */
  readonly describe?: () => unknown;
}

/**
 * The one poll-with-deadline of the test suite: calls `check` until it returns a truthy value
 * (and returns that value), or throws naming `what` once the deadline passed. A `check` that
 * throws counts as "not yet" (the last error becomes the timeout's cause). `options` may be the
 * timeout in ms, with the interval as a fourth argument.
 */
export async function pollUntil<T>(
  what: string,
  check: () => T | Promise<T>,
  options: PollOptions | number = {},
  intervalMs?: number,
): Promise<Truthy<T>> {
  const o: PollOptions = typeof options === "number" ? { timeoutMs: options, intervalMs } : options;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  while (performance.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as Truthy<T>;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 25));
  }
  const state = o.describe ? `; last state: ${JSON.stringify(await o.describe())}` : "";
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${state}`, {
    cause: lastError,
  });
}

/** A free loopback TCP port (bound then released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A short random suffix for per-run database, schema and key-prefix names. */
export function runId(): string {
  return `${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 8)}`;
}
