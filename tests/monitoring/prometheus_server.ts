/**
 * Starts a throw-away Prometheus (Debian's `prometheus`) on a free loopback port in a temp dir,
 * scraping given targets as the `pipeline` job every second with the repository's alert rules
 * loaded, and stops it.
 * @module
 */
import { startServerProcess } from "../helpers/server_process.ts";
import { freePort, pollUntil } from "../helpers/services.ts";

/** The repository's alerting rules, loaded by every test Prometheus. */
export const ALERT_RULES = new URL("../../monitoring/alerts.yml", import.meta.url).pathname;

/** The JSON body of a Prometheus HTTP API answer. */
export interface ApiResponse<T = unknown> {
  readonly status: "success" | "error";
  readonly data?: T;
  readonly errorType?: string;
  readonly error?: string;
}

/** An instant-query result. */
export interface QueryData {
  readonly resultType: string;
  readonly result: unknown[] | unknown;
}

/** A rule as /api/v1/rules reports it. */
export interface RuleState {
  readonly name: string;
  readonly query: string;
  readonly health: string;
  readonly lastError?: string;
  readonly lastEvaluation: string;
}

/** A running test Prometheus. */
export interface PrometheusServer {
  readonly url: string;
  /** Runs an instant query; never throws on a PromQL error, returns the API's answer. */
  query(expr: string): Promise<ApiResponse<QueryData>>;
  /** Every loaded rule and its evaluation state. */
  rules(): Promise<RuleState[]>;
  /** Resolves once every target has been scraped successfully at least `n` times. */
  waitForScrapes(n: number, timeoutMs?: number): Promise<void>;
  /** Kills Prometheus and removes its directory; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts Prometheus scraping `targets` (`host:port`, path /metrics) as job `pipeline` with the
 * label `service` (the compose service the real scrape config derives from DNS).
 */
export async function startPrometheus(options: {
  targets: readonly string[];
  service?: string;
  timeoutMs?: number;
  /**
   * A whole configuration instead of the generated one, written as `prometheus.yml` with `files`
   * (name → text) beside it, for a config whose relative `rule_files` must resolve. `{{PORT}}`
   * is replaced with Prometheus's own port.
   */
  config?: { yaml: string; files?: Record<string, string> };
}): Promise<PrometheusServer> {
  const dir = await Deno.makeTempDir({ prefix: "promtest_" });
  const port = freePort();
  for (const [name, text] of Object.entries(options.config?.files ?? {})) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  const config = options.config?.yaml.replaceAll("{{PORT}}", String(port)) ?? [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "rule_files:",
    `  - ${JSON.stringify(ALERT_RULES)}`,
    "scrape_configs:",
    "  - job_name: pipeline",
    "    static_configs:",
    `      - targets: ${JSON.stringify(options.targets)}`,
    "        labels:",
    `          service: ${JSON.stringify(options.service ?? "process")}`,
  ].join("\n");
  await Deno.writeTextFile(`${dir}/prometheus.yml`, config + "\n");
  const url = `http://127.0.0.1:${port}`;
  const server = await startServerProcess({
    command: "prometheus",
    args: [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    dir,
    readyUrl: `${url}/-/ready`,
    what: "Prometheus /-/ready",
    exitedEarly: "prometheus exited early (bad flags or config?)",
    timeoutMs: options.timeoutMs ?? 20_000,
  });
  const get = async <T>(path: string): Promise<ApiResponse<T>> => {
    const res = await fetch(`${url}${path}`);
    return await res.json() as ApiResponse<T>;
  };
  const query = (expr: string) => get<QueryData>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  return {
    url,
    query,
    async rules() {
      const r = await get<{ groups: { rules: RuleState[] }[] }>("/api/v1/rules");
      return r.data?.groups.flatMap((g) => g.rules) ?? [];
    },
    async waitForScrapes(n, timeoutMs = 20_000) {
      const want = options.targets.length;
      await pollUntil(
        `${n} successful scrapes of ${want} target(s)`,
        async () => {
          const r = await query(`count(count_over_time(up{job="pipeline"}[5m]) >= ${n}) == ${want}
          and count(up{job="pipeline"} == 1) == ${want}`);
          return Array.isArray(r.data?.result) && r.data.result.length > 0;
        },
        timeoutMs,
        100,
      );
    },
    stop: server.stop,
  };
}
