/**
 * The two pipeline runs that feed the Kafka and live-feed panels of the dashboards:
 * - {@linkcode startKafkaPipeline}: Kafka mode (role `all`) on librdkafka's mock cluster, fed by
 *   the simulator, so producing, consuming and offset commits go on while Prometheus scrapes (the
 *   latency quantiles need observations inside their rate window); the broker refuses one
 *   produce request, which the producer retries (a real client error).
 * - {@linkcode startLiveFeedPipeline}: the live feeds against the fake venues — Coinbase (a trade
 *   id gap), Kraken (dropped mid-stream: an error and a reconnect, then its snapshot replays trades
 *   already seen, which the feed drops as duplicates) and CoinCap's REST API polled every second
 *   (request latencies).
 *
 * Both return a {@linkcode RealPipeline} whose `stop()` also stops the mock cluster or the venues.
 * @module
 */
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import { coinbaseMatch, startFakeCoinbase } from "../helpers/fake_venues/coinbase.ts";
import { startFakeCoinCap } from "../helpers/fake_venues/coincap.ts";
import {
  type KrakenTrade,
  krakenTrade,
  krakenTradeFrame,
  startFakeKraken,
} from "../helpers/fake_venues/kraken.ts";
import { startKafkaMock } from "../helpers/kafka_mock.ts";
import { pollUntil } from "../helpers/services.ts";
import { type RealPipeline, startRealPipeline } from "./real_pipeline.ts";

const PRODUCE = 0; // Kafka ApiKey of Produce requests
const MESSAGE_TOO_LARGE = 10; // non-retriable for kafkajs: the pipeline's producer retries it

/** True when /metrics text has a sample `name{labels…}` (any value). */
export function hasSample(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): boolean {
  return !Number.isNaN(sampleSum(text, name, labels, NaN));
}

/** The value of `name{labels…}` summed over the /metrics samples whose labels include `labels`. */
export function sampleSum(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
  none = 0,
): number {
  let sum = none;
  for (const line of text.split("\n")) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    const got = new Map([...(m[2] ?? "").matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)].map((x) => [
      x[1],
      x[2],
    ]));
    if (Object.entries(labels).every(([k, v]) => got.get(k) === v)) {
      sum = (Number.isNaN(sum) ? 0 : sum) + Number(m[3]);
    }
  }
  return sum;
}

/**
 * Polls the pipeline's /metrics until every `[name, labels]` has a sample sum above zero (or, for
 * `exists`, a sample at all).
 */
async function waitForSamples(
  run: RealPipeline,
  wanted: readonly (readonly [string, Record<string, string>?, "exists"?])[],
  timeoutMs: number,
): Promise<void> {
  let missing: string[] = [];
  try {
    await pollUntil(
      "metrics",
      async () => {
        const text = await run.metrics();
        missing = wanted.filter(([name, labels, exists]) =>
          exists ? !hasSample(text, name, labels) : !(sampleSum(text, name, labels) > 0)
        )
          .map(([name, labels]) => `${name}${labels ? JSON.stringify(labels) : ""}`);
        return missing.length === 0;
      },
      timeoutMs,
      100,
    );
  } catch (err) {
    throw new Error(`no samples yet for: ${missing.join(", ")}`, { cause: err });
  }
}

/**
 * Kafka mode on a mock cluster (one broker, the pipeline's four topics with two partitions each):
 * role `all`, simulator source, HTTP up. Resolves once the consumer group has its partitions, a
 * commit and a produce have been timed, and the refused produce request has been counted.
 */
export async function startKafkaPipeline(): Promise<RealPipeline> {
  const mock = await startKafkaMock({
    brokers: 1,
    topics: Object.values(DEFAULT_TOPICS).map((name) => ({ name, partitions: 2 })),
  });
  let run: RealPipeline;
  try {
    run = await startRealPipeline([
      "--role=all",
      "--source=simulator",
      // Two symbols keep the simulator's warm-up short; live ticks follow at 3/s each.
      "--symbols=BTC-USD,ETH-USD",
      `--kafka-brokers=${mock.bootstrap}`,
      "--kafka-session-timeout=6s",
      // Small mailboxes: the warm-up burst fills a stage, so its partition is paused and resumed
      // (backpressure), which is what sets pipeline_kafka_paused_partitions.
      "--bus-capacity=16",
    ]);
  } catch (err) {
    await mock.stop();
    throw err;
  }
  const stop = async () => {
    await run.stop();
    await mock.stop();
  };
  try {
    await waitForSamples(run, [
      ["pipeline_kafka_assigned_partitions"],
      ["pipeline_kafka_messages_consumed_total"],
      ["pipeline_kafka_commit_seconds_count"],
      ["pipeline_kafka_produce_seconds_count"],
      ["pipeline_kafka_paused_partitions", {}, "exists"],
    ], 30_000);
    // The broker refuses the next produce request; the pipeline's producer counts the error
    // (client="producer", kind="send") and sends the batch again.
    await mock.pushRequestErrors(PRODUCE, [MESSAGE_TOO_LARGE]);
    await waitForSamples(run, [["pipeline_kafka_errors_total", { client: "producer" }]], 15_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ...run, stop };
}

/** Trade ids and prices for the fake venues: deterministic, a little movement. */
function* trades(from: number) {
  for (let i = 0;; i++) {
    yield { id: from + i, price: 60_000 + (i % 7) * 3.5, size: 0.01 + i / 1000 };
  }
}

/**
 * The live feeds (Coinbase, Kraken, CoinCap REST) against fake venues on loopback. Resolves once
 * the feed metrics the dashboards show all have samples: messages, ticks, a Coinbase trade-id
 * gap, a Kraken error, reconnect and duplicates, CoinCap request latencies.
 */
export async function startLiveFeedPipeline(): Promise<RealPipeline> {
  const coinbase = startFakeCoinbase();
  const kraken = startFakeKraken(["BTC/USD", "ETH/USD"]);
  // CoinCap's responses step 60 s of event time per poll from three hours ago, so the ticks stay
  // in the past (the parser refuses event times ahead of the clock) for the whole run.
  const coincapKey = "monitoring-test-key";
  const coincap = startFakeCoinCap(
    coincapKey,
    Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3600_000,
  );
  const stopVenues = async () => {
    await coinbase.close();
    await kraken.close();
    await coincap.close();
  };
  let run: RealPipeline;
  try {
    run = await startRealPipeline([
      "--source=coinbase,kraken,coincap",
      `--coinbase-ws-url=${coinbase.url()}`,
      "--coinbase-symbols=BTC-USD,ETH-USD",
      `--kraken-ws-url=${kraken.url("/v2")}`,
      "--kraken-symbols=BTC-USD,ETH-USD",
      `--coincap-rest-url=${coincap.restUrl}`,
      `--coincap-api-key=${coincapKey}`,
      "--coincap-poll-interval=1s",
      "--shutdown-timeout=5s",
    ]);
  } catch (err) {
    await stopVenues();
    throw err;
  }
  const stop = async () => {
    await run.stop();
    await stopVenues();
  };
  try {
    await pollUntil(
      "Coinbase and Kraken subscribed",
      () =>
        coinbase.connections[0]?.received.length === 1 &&
        kraken.connections[0]?.received.length === 1,
      15_000,
    );
    const now = Date.now() - 5_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    // Coinbase: trade ids 101, 102, then 105 — a gap of two trades.
    const cb = trades(101);
    for (let i = 0; i < 3; i++) {
      const t = cb.next().value!;
      const tradeId = i === 2 ? t.id + 2 : t.id;
      coinbase.broadcast(coinbaseMatch({
        tradeId,
        product: "BTC-USD",
        price: t.price.toFixed(2),
        size: t.size.toFixed(4),
        time: iso(now + i * 100),
      }));
    }
    // Kraken: four trades, kept as the history the venue replays on the next subscribe.
    const kr = trades(7001);
    const sent: KrakenTrade[] = [];
    for (let i = 0; i < 4; i++) {
      const t = kr.next().value!;
      sent.push(krakenTrade({
        symbol: i % 2 ? "ETH/USD" : "BTC/USD",
        price: i % 2 ? t.price / 20 : t.price,
        qty: t.size,
        trade_id: t.id,
        timestamp: iso(now + i * 100),
      }));
    }
    kraken.history.push(...sent);
    kraken.broadcast(krakenTradeFrame("update", sent));
    await waitForSamples(run, [["pipeline_feed_ticks_total", { source: "kraken" }]], 10_000);
    // The venue drops the connection; the feed reconnects (after its ~1 s backoff), subscribes
    // again and gets the snapshot of the trades it already has.
    kraken.dropAll();
    await waitForSamples(run, [
      ["pipeline_feed_messages_total", { source: "coinbase" }],
      ["pipeline_feed_ticks_total", { source: "coinbase" }],
      ["pipeline_feed_sequence_gaps_total", { source: "coinbase" }],
      ["pipeline_feed_errors_total", { source: "kraken" }],
      ["pipeline_feed_reconnects_total", { source: "kraken" }],
      ["pipeline_duplicate_ticks_total", { source: "kraken" }],
      ["pipeline_feed_ticks_total", { source: "coincap" }],
      ["pipeline_feed_request_seconds_count", { source: "coincap" }],
    ], 15_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ...run, stop };
}
