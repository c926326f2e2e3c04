/**
 * A stand-in for the pipeline's /metrics: serves every metric of the catalogue in docs/metrics.md
 * with plausible sample values, counters growing on each scrape, so dashboard and alert PromQL can
 * be checked against a real Prometheus before (and independently of) the pipeline itself.
 * @module
 */

/** One row of the metric catalogue. */
export interface CatalogueMetric {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly labels: readonly string[];
}

/** Reads the metric table of docs/metrics.md (the contract the pipeline exports). */
export async function readCatalogue(
  path: URL = new URL("../../docs/metrics.md", import.meta.url),
): Promise<CatalogueMetric[]> {
  const text = await Deno.readTextFile(path);
  const rows = [...text.matchAll(/^\|\s*(pipeline_\w+)\s*\|\s*(\w+)\s*\|\s*([^|]*)\|/gm)];
  return rows.map(([, name, type, labels]) => {
    if (type !== "counter" && type !== "gauge" && type !== "histogram") {
      throw new Error(`docs/metrics.md: ${name} has unsupported type ${type}`);
    }
    const names = labels.split(",").map((l) => l.trim()).filter((l) => l && l !== "—" && l !== "-");
    return { name, type, labels: names };
  });
}

/**
 * Sample values per label. Two values where dashboards filter or group on them (e.g. candle kind
 * `revision`, sink error kind `fatal`), so every panel's selector matches something.
 */
export const SAMPLE_LABELS: Readonly<Record<string, readonly string[]>> = {
  actor: ["reader", "aggregator"],
  policy: ["drop_oldest"],
  reason: ["malformed_json", "bad_price"],
  source: ["simulator", "coinbase"],
  symbol: ["BTC-USD", "ETH-USD"],
  interval: ["1m"],
  kind: ["final", "revision", "transient", "fatal"],
  outcome: ["revised", "rejected"],
  partition: ["0", "1"],
  rule: ["price_spike", "volume_spike"],
  severity: ["info", "warning", "critical"],
  sink: ["clickhouse", "postgres"],
  table: ["candles"],
  topic: ["crypto.ticks"],
  client: ["producer", "consumer"],
  group: ["crypto-process"],
  version: ["0.1.0"],
  role: ["process"],
};

const BUCKETS = [0.001, 0.01, 0.1, 1, 10];

function labelSets(labels: readonly string[]): Record<string, string>[] {
  let sets: Record<string, string>[] = [{}];
  for (const l of labels) {
    const values = SAMPLE_LABELS[l] ?? [`sample_${l}`];
    sets = sets.flatMap((s) => values.map((v) => ({ ...s, [l]: v })));
  }
  return sets;
}

function fmt(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** The exposition text for the `scrape`-th scrape (counters grow with it). */
export function exposition(catalogue: readonly CatalogueMetric[], scrape: number): string {
  const lines: string[] = [];
  for (const m of catalogue) {
    lines.push(`# HELP ${m.name} sample of ${m.name}`, `# TYPE ${m.name} ${m.type}`);
    labelSets(m.labels).forEach((ls, i) => {
      if (m.type === "counter") {
        lines.push(`${m.name}${fmt(ls)} ${(scrape + 1) * (10 + i)}`);
      } else if (m.type === "gauge") {
        // Mailbox size stays below its capacity; build_info is 1 by convention.
        const value = m.name === "pipeline_build_info"
          ? 1
          : m.name.endsWith("_capacity")
          ? 1024
          : 5 + i;
        lines.push(`${m.name}${fmt(ls)} ${value}`);
      } else {
        const count = (scrape + 1) * 10;
        BUCKETS.forEach((le, b) => {
          lines.push(
            `${m.name}_bucket${fmt({ ...ls, le: String(le) })} ${
              Math.round(count * (b + 1) / (BUCKETS.length + 1))
            }`,
          );
        });
        lines.push(`${m.name}_bucket${fmt({ ...ls, le: "+Inf" })} ${count}`);
        lines.push(`${m.name}_sum${fmt(ls)} ${count * 0.05}`, `${m.name}_count${fmt(ls)} ${count}`);
      }
    });
  }
  return lines.join("\n") + "\n";
}

/** A running fake exporter. */
export interface FakeExporter {
  /** `host:port` to put in a scrape config. */
  readonly target: string;
  /** How many times /metrics was scraped. */
  scrapes(): number;
  stop(): Promise<void>;
}

/** Serves the catalogue's metrics on a free loopback port. */
export function startFakeExporter(catalogue: readonly CatalogueMetric[]): FakeExporter {
  let scrapes = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    if (new URL(req.url).pathname !== "/metrics") return new Response("not found", { status: 404 });
    const body = exposition(catalogue, scrapes++);
    return new Response(body, { headers: { "content-type": "text/plain; version=0.0.4" } });
  });
  return {
    target: `127.0.0.1:${server.addr.port}`,
    scrapes: () => scrapes,
    stop: () => server.shutdown(),
  };
}
