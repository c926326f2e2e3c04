/**
 * A librdkafka mock cluster in a child process, for tests, benchmarks and `tools/kafka_dev.ts`.
 *
 * The cluster speaks the real Kafka protocol on loopback; see ../shared/ENVIRONMENT.md for its limits
 * (topics only through {@linkcode KafkaMock.createTopic}, `sessionTimeout` ≥ 4000, ~5 MB kept per
 * partition). The child runs with `--allow-ffi` only and exits when its stdin closes, so a crashed
 * test leaves nothing running.
 *
 * @example
 * ```ts ignore
 * const mock = await startKafkaMock({ brokers: 3, topics: [{ name: "t", partitions: 4 }] });
 * try {
 *   // new Kafka({ brokers: mock.brokers }) …
 * } finally {
 *   await mock.stop();
 * }
 * ```
 * @module
 */

/** A topic created when the mock starts. */
export interface MockTopic {
  name: string;
  partitions: number;
}

/** Options of {@linkcode startKafkaMock}. */
export interface KafkaMockOptions {
  /** Number of brokers, ids 1..n. Default 3. */
  brokers?: number;
  /** Topics to create before returning. */
  topics?: readonly MockTopic[];
  /** How long to wait for the cluster to come up. Default 15 000 ms. */
  startTimeoutMs?: number;
}

/** A running mock cluster. Every method resolves once the child has applied the command. */
export interface KafkaMock {
  /** Comma-separated `host:port` list. */
  readonly bootstrap: string;
  /** The same, as an array for kafkajs `brokers`. */
  readonly brokers: readonly string[];
  /** The child process serving the cluster (benchmarks read its CPU time). */
  readonly pid: number;
  createTopic(name: string, partitions: number): Promise<void>;
  /** Disconnects the broker and refuses new connections (no leader change). */
  brokerDown(brokerId: number): Promise<void>;
  brokerUp(brokerId: number): Promise<void>;
  /** Adds `ms` round-trip delay; `brokerId` -1 means every broker. */
  setRtt(brokerId: number, ms: number): Promise<void>;
  setPartitionLeader(topic: string, partition: number, brokerId: number): Promise<void>;
  /** Moves the group coordinator of `group` to `brokerId`. */
  setCoordinator(group: string, brokerId: number): Promise<void>;
  /** The next `errors.length` requests of `apiKey` fail with these Kafka error codes, in order. */
  pushRequestErrors(apiKey: number, errors: readonly number[]): Promise<void>;
  clearRequestErrors(apiKey: number): Promise<void>;
  /** Destroys the cluster and waits for the child to exit. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The mock could not be started (librdkafka missing, child failed). */
export class KafkaMockError extends Error {
  override name = "KafkaMockError";
  readonly retriable = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

const PROCESS_URL = new URL("./kafka_mock_process.ts", import.meta.url);
const LIB_PATHS = [
  "/usr/lib/x86_64-linux-gnu/librdkafka.so.1",
  "/usr/lib/aarch64-linux-gnu/librdkafka.so.1",
  "/usr/lib/librdkafka.so.1",
  "/usr/local/lib/librdkafka.so.1",
];

/** True when librdkafka is installed in a standard location (tests skip without it, except under CI). */
export function librdkafkaInstalled(): boolean {
  return LIB_PATHS.some((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
}

/**
 * True when Kafka tests must not run: librdkafka is missing and `CI` is not `true`. Under CI a
 * missing library makes the tests run and fail, never skip.
 */
export function skipKafkaTests(): boolean {
  return !librdkafkaInstalled() && Deno.env.get("CI") !== "true";
}

type Reply = { id: number; ok: boolean; error?: string };

/** Starts a mock cluster in a child process and creates `topics`. */
export async function startKafkaMock(options: KafkaMockOptions = {}): Promise<KafkaMock> {
  const brokerCount = options.brokers ?? 3;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-config",
      "--allow-ffi",
      PROCESS_URL.pathname,
      "--brokers",
      String(brokerCount),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const stderrText = new Response(child.stderr).text();
  const lines = readLines(child.stdout);
  const pending = new Map<number, PromiseWithResolvers<void>>();
  let nextId = 1;
  let stopped: Promise<void> | undefined;

  const fail = async (message: string, cause?: unknown): Promise<never> => {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await writer.close().catch(() => {});
    await child.status;
    for await (const _ of lines) { /* drain */ }
    const stderr = (await stderrText).trim();
    throw new KafkaMockError(`${message}${stderr ? `; stderr: ${stderr}` : ""}`, { cause });
  };

  const timeoutMs = options.startTimeoutMs ?? 15_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const first = await Promise.race([
    lines.next(),
    new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (first === "timeout") return await fail(`Kafka mock did not start within ${timeoutMs} ms`);
  if (first.done) return await fail("Kafka mock exited before it was ready");
  const ready = JSON.parse(first.value) as { ready: boolean; bootstrap?: string; error?: string };
  if (!ready.ready || !ready.bootstrap) {
    return await fail(`Kafka mock failed to start: ${ready.error ?? first.value}`);
  }

  // Replies arrive in command order, one line each.
  const readLoop = (async () => {
    for await (const line of lines) {
      const reply = JSON.parse(line) as Reply;
      const waiter = pending.get(reply.id);
      if (!waiter) continue;
      pending.delete(reply.id);
      if (reply.ok) waiter.resolve();
      else waiter.reject(new KafkaMockError(reply.error ?? "mock command failed"));
    }
    for (const waiter of pending.values()) {
      waiter.reject(new KafkaMockError("Kafka mock exited"));
    }
    pending.clear();
  })();

  const send = async (cmd: string, fields: Record<string, unknown> = {}): Promise<void> => {
    if (stopped) throw new KafkaMockError(`Cannot run ${cmd}: the Kafka mock is stopped`);
    const id = nextId++;
    const waiter = Promise.withResolvers<void>();
    pending.set(id, waiter);
    await writer.write(new TextEncoder().encode(JSON.stringify({ id, cmd, ...fields }) + "\n"));
    return await waiter.promise;
  };

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const id = nextId++;
      const bye = Promise.withResolvers<void>();
      pending.set(id, bye);
      bye.promise.catch(() => {});
      await writer.write(new TextEncoder().encode(JSON.stringify({ id, cmd: "shutdown" }) + "\n"))
        .catch(() => {});
      await writer.close().catch(() => {});
      await readLoop;
      await child.status;
      await stderrText;
    })();
    return stopped;
  };

  const mock: KafkaMock = {
    bootstrap: ready.bootstrap,
    brokers: ready.bootstrap.split(","),
    pid: child.pid,
    createTopic: (name, partitions) => send("createTopic", { name, partitions }),
    brokerDown: (broker) => send("brokerDown", { broker }),
    brokerUp: (broker) => send("brokerUp", { broker }),
    setRtt: (broker, ms) => send("setRtt", { broker, ms }),
    setPartitionLeader: (topic, partition, broker) =>
      send("setLeader", { topic, partition, broker }),
    setCoordinator: (group, broker) => send("setCoordinator", { group, broker }),
    pushRequestErrors: (apiKey, errors) =>
      send("pushRequestErrors", { apiKey, errors: [...errors] }),
    clearRequestErrors: (apiKey) => send("clearRequestErrors", { apiKey }),
    stop,
    [Symbol.asyncDispose]: stop,
  };
  try {
    for (const topic of options.topics ?? []) await mock.createTopic(topic.name, topic.partitions);
  } catch (error) {
    await stop();
    throw error;
  }
  return mock;
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield line;
    }
  }
}
