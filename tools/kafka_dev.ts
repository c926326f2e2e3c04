/**
 * A local Kafka for development: starts librdkafka's mock cluster (real Kafka protocol on
 * loopback, no broker install, nothing kept on disk), creates the pipeline's topics, prints the
 * bootstrap address and runs in the foreground until Ctrl-C.
 *
 * ```sh
 * deno run --allow-run --allow-read tools/kafka_dev.ts [--brokers 3] [--partitions 12]
 * KAFKA_BROKERS=<printed address> deno task start
 * ```
 *
 * Needs librdkafka (`apt-get install librdkafka1`). The mock keeps only ~5 MB per partition and
 * forgets everything when it stops; see docs/kafka.md.
 * @module
 */
import { DEFAULT_TOPICS } from "../src/connectors/kafka/kafka_config.ts";
import { startKafkaMock } from "../tests/helpers/kafka_mock.ts";

const encoder = new TextEncoder();
const say = (line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n"));

function option(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${name} must be a positive integer, received ${Deno.args[i + 1]}`);
  }
  return value;
}

if (import.meta.main) {
  const brokers = option("brokers", 3);
  const partitions = option("partitions", 12);
  const mock = await startKafkaMock({
    brokers,
    topics: Object.values(DEFAULT_TOPICS).map((name) => ({ name, partitions })),
  });
  say(
    `Kafka mock cluster up: ${brokers} broker(s), topics ${
      Object.values(DEFAULT_TOPICS).join(", ")
    } with ${partitions} partitions each.`,
  );
  say(`KAFKA_BROKERS=${mock.bootstrap}`);
  say("Press Ctrl-C to stop (all data is discarded).");
  const stopped = Promise.withResolvers<void>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stopped.resolve());
  }
  await stopped.promise;
  await mock.stop();
  say("Kafka mock cluster stopped.");
  Deno.exit(0);
}
