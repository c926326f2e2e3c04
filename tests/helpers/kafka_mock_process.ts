/**
 * A librdkafka mock cluster in its own process, driven over stdin/stdout JSON lines.
 *
 * Started by {@linkcode startKafkaMock} (tests/helpers/kafka_mock.ts) and by `tools/kafka_dev.ts`:
 *
 * ```sh
 * deno run --allow-ffi --allow-env tests/helpers/kafka_mock_process.ts --brokers 3
 * ```
 *
 * The first stdout line is `{"ready":true,"bootstrap":"127.0.0.1:…,…"}`. Each stdin line is a
 * command `{"id":n,"cmd":…,…}` answered by one line `{"id":n,"ok":true}` or
 * `{"id":n,"ok":false,"error":"…"}`. Commands: `createTopic {name, partitions, replication?}`,
 * `brokerDown {broker}`, `brokerUp {broker}`, `setRtt {broker, ms}`,
 * `setLeader {topic, partition, broker}`, `setCoordinator {group, broker}`,
 * `pushRequestErrors {apiKey, errors}`, `clearRequestErrors {apiKey}`, `shutdown`.
 * When stdin closes (the parent died) the cluster is destroyed and the process exits, so a crashed
 * test never leaves a cluster behind.
 *
 * Why a separate process: the mock's broker threads would otherwise share the measured process,
 * and `Deno.dlopen` resources would trip the test sanitizers.
 * @module
 */

const LIB_CANDIDATES = [
  "librdkafka.so.1",
  "/usr/lib/x86_64-linux-gnu/librdkafka.so.1",
  "/usr/lib/aarch64-linux-gnu/librdkafka.so.1",
  "librdkafka.dylib",
];

const SYMBOLS = {
  rd_kafka_conf_new: { parameters: [], result: "pointer" },
  rd_kafka_conf_set: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "usize"],
    result: "i32",
  },
  rd_kafka_new: { parameters: ["i32", "pointer", "buffer", "usize"], result: "pointer" },
  rd_kafka_destroy: { parameters: ["pointer"], result: "void" },
  rd_kafka_mock_cluster_new: { parameters: ["pointer", "i32"], result: "pointer" },
  rd_kafka_mock_cluster_destroy: { parameters: ["pointer"], result: "void" },
  rd_kafka_mock_cluster_bootstraps: { parameters: ["pointer"], result: "pointer" },
  rd_kafka_mock_topic_create: { parameters: ["pointer", "buffer", "i32", "i32"], result: "i32" },
  rd_kafka_mock_broker_set_down: { parameters: ["pointer", "i32"], result: "i32" },
  rd_kafka_mock_broker_set_up: { parameters: ["pointer", "i32"], result: "i32" },
  rd_kafka_mock_broker_set_rtt: { parameters: ["pointer", "i32", "i32"], result: "i32" },
  rd_kafka_mock_partition_set_leader: {
    parameters: ["pointer", "buffer", "i32", "i32"],
    result: "i32",
  },
  rd_kafka_mock_coordinator_set: {
    parameters: ["pointer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  rd_kafka_mock_push_request_errors_array: {
    parameters: ["pointer", "i16", "usize", "buffer"],
    result: "void",
  },
  rd_kafka_mock_clear_request_errors: { parameters: ["pointer", "i16"], result: "void" },
  rd_kafka_err2str: { parameters: ["i32"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const encoder = new TextEncoder();
const cstr = (s: string): Uint8Array<ArrayBuffer> => encoder.encode(s + "\0");

function openLibrary(): Deno.DynamicLibrary<typeof SYMBOLS> {
  const errors: string[] = [];
  for (const path of LIB_CANDIDATES) {
    try {
      return Deno.dlopen(path, SYMBOLS);
    } catch (error) {
      errors.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`Cannot load librdkafka (install librdkafka1): ${errors.join("; ")}`);
}

function parseArgs(args: string[]): { brokers: number } {
  let brokers = 3;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--brokers") brokers = Number(args[++i]);
  }
  if (!Number.isInteger(brokers) || brokers < 1) {
    throw new Error(`--brokers must be a positive integer, received ${brokers}`);
  }
  return { brokers };
}

/** Turns a librdkafka error code into `Name (code)` text; 0 means success. */
function check(lib: Lib, code: number, what: string): void {
  if (code === 0) return;
  const ptr = lib.rd_kafka_err2str(code);
  const text = ptr ? Deno.UnsafePointerView.getCString(ptr) : "unknown";
  throw new Error(`${what} failed: ${text} (${code})`);
}

type Command = { id: number; cmd: string; [field: string]: unknown };

function execute(lib: Lib, cluster: Deno.PointerObject, c: Command): void {
  const num = (k: string) => Number(c[k]);
  const str = (k: string) => String(c[k]);
  switch (c.cmd) {
    case "createTopic":
      return check(
        lib,
        lib.rd_kafka_mock_topic_create(
          cluster,
          cstr(str("name")),
          num("partitions"),
          c.replication === undefined ? 1 : num("replication"),
        ),
        `create topic ${str("name")}`,
      );
    case "brokerDown":
      return check(lib, lib.rd_kafka_mock_broker_set_down(cluster, num("broker")), "broker down");
    case "brokerUp":
      return check(lib, lib.rd_kafka_mock_broker_set_up(cluster, num("broker")), "broker up");
    case "setRtt":
      return check(
        lib,
        lib.rd_kafka_mock_broker_set_rtt(cluster, num("broker"), num("ms")),
        "set rtt",
      );
    case "setLeader":
      return check(
        lib,
        lib.rd_kafka_mock_partition_set_leader(
          cluster,
          cstr(str("topic")),
          num("partition"),
          num("broker"),
        ),
        "set leader",
      );
    case "setCoordinator":
      return check(
        lib,
        lib.rd_kafka_mock_coordinator_set(
          cluster,
          cstr("group"),
          cstr(str("group")),
          num("broker"),
        ),
        "set coordinator",
      );
    case "pushRequestErrors": {
      const errors = Int32Array.from((c.errors as number[]) ?? []);
      lib.rd_kafka_mock_push_request_errors_array(
        cluster,
        num("apiKey"),
        BigInt(errors.length),
        new Uint8Array(errors.buffer),
      );
      return;
    }
    case "clearRequestErrors":
      lib.rd_kafka_mock_clear_request_errors(cluster, num("apiKey"));
      return;
    default:
      throw new Error(`unknown command ${JSON.stringify(c.cmd)}`);
  }
}

async function main(): Promise<void> {
  const { brokers } = parseArgs(Deno.args);
  const library = openLibrary();
  const lib = library.symbols;
  const conf = lib.rd_kafka_conf_new();
  const errstr = new Uint8Array(512);
  // The handle only anchors the cluster; keep its own logging quiet.
  for (const [k, v] of [["log_level", "0"], ["client.id", "kafka-mock"]]) {
    lib.rd_kafka_conf_set(conf, cstr(k), cstr(v), errstr, BigInt(errstr.length));
  }
  const rk = lib.rd_kafka_new(0, conf, errstr, BigInt(errstr.length));
  if (!rk) throw new Error(`rd_kafka_new failed: ${new TextDecoder().decode(errstr)}`);
  const cluster = lib.rd_kafka_mock_cluster_new(rk, brokers);
  if (!cluster) throw new Error("rd_kafka_mock_cluster_new failed");
  const bootstrapPtr = lib.rd_kafka_mock_cluster_bootstraps(cluster);
  const bootstrap = bootstrapPtr ? Deno.UnsafePointerView.getCString(bootstrapPtr) : "";

  const out = (msg: unknown) => Deno.stdout.writeSync(encoder.encode(JSON.stringify(msg) + "\n"));
  out({ ready: true, bootstrap, brokers });

  let running = true;
  const shutdown = () => {
    if (!running) return;
    running = false;
    lib.rd_kafka_mock_cluster_destroy(cluster);
    lib.rd_kafka_destroy(rk);
    library.close();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      shutdown();
      Deno.exit(0);
    });
  }

  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffered = "";
  for await (const chunk of lines) {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      let command: Command;
      try {
        command = JSON.parse(line);
      } catch {
        out({ id: -1, ok: false, error: `malformed command: ${line}` });
        continue;
      }
      if (command.cmd === "shutdown") {
        shutdown();
        out({ id: command.id, ok: true });
        Deno.exit(0);
      }
      try {
        execute(lib, cluster, command);
        out({ id: command.id, ok: true });
      } catch (error) {
        out({
          id: command.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }
  shutdown();
  Deno.exit(0);
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    Deno.stdout.writeSync(
      encoder.encode(
        JSON.stringify({
          ready: false,
          error: error instanceof Error ? error.message : String(error),
        }) +
          "\n",
      ),
    );
    Deno.exit(2);
  }
}
