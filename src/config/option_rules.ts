/**
 * Rules that span options (a replay needs a file, a role needs Kafka…). A rule whose options were
 * already reported invalid is skipped: one mistake, one message.
 * @module
 */
import { type OptionName, OPTIONS, SASL_MECHANISMS } from "./options.ts";
import type { ParsedOptions } from "./parsed_options.ts";

/** Every rule the parsed options break. */
export function optionRuleErrors(p: ParsedOptions): string[] {
  const v = p.values;
  const errors: string[] = [];
  const known = (...names: OptionName[]) => names.every((n) => !p.invalid.has(n));
  const sources = v["source"] ?? ["simulator"];
  if (known("source", "replay-file")) {
    if (sources.includes("replay") && !v["replay-file"]) {
      errors.push("--source replay needs --replay-file (REPLAY_FILE)");
    }
    if (v["replay-file"] && !sources.includes("replay")) {
      errors.push("--replay-file is set but --source does not include replay");
    }
  }
  if (known("source", "exit-at-end") && v["exit-at-end"] && sources.some((s) => s !== "replay")) {
    errors.push("--exit-at-end needs finite sources: use it with --source replay only");
  }
  const brokers = v["kafka-brokers"];
  if (brokers !== undefined && brokers.length === 0) {
    errors.push("--kafka-brokers is set but empty");
  }
  const role = v["role"] ?? "all";
  if (known("role") && role !== "all" && !brokers) {
    errors.push(`--role ${role} needs --kafka-brokers: roles split work across a Kafka bus`);
  }
  if (known("source", "coincap-api-key") && sources.includes("coincap") && !v["coincap-api-key"]) {
    errors.push(
      "--source coincap needs --coincap-api-key (COINCAP_API_KEY): CoinCap v3 requires a key",
    );
  }
  errors.push(...kafkaSecurityErrors(p), ...storeTlsErrors(p), ...forecastErrors(p));
  return errors;
}

/** SASL needs a mechanism and both credentials; TLS files need TLS; a certificate needs its key. */
function kafkaSecurityErrors(p: ParsedOptions): string[] {
  const v = p.values;
  const errors: string[] = [];
  const known = (...names: OptionName[]) => names.every((n) => !p.invalid.has(n));
  if (known("kafka-sasl-mechanism", "kafka-sasl-username", "kafka-sasl-password")) {
    const mechanism = v["kafka-sasl-mechanism"];
    if (mechanism) {
      const missing = (["kafka-sasl-username", "kafka-sasl-password"] as const)
        .filter((n) => !v[n]).map((n) => `${OPTIONS[n].env} (or ${OPTIONS[n].env}_FILE)`);
      if (missing.length) {
        errors.push(`--kafka-sasl-mechanism ${mechanism} needs ${missing.join(" and ")}`);
      }
    } else {
      for (const n of ["kafka-sasl-username", "kafka-sasl-password"] as const) {
        if (v[n]) {
          errors.push(
            `${p.origin(n)} is set but --kafka-sasl-mechanism (KAFKA_SASL_MECHANISM) is not: ` +
              `say which of ${SASL_MECHANISMS.join(", ")}`,
          );
        }
      }
    }
  }
  if (known("kafka-tls") && !v["kafka-tls"]) {
    for (const n of ["kafka-tls-ca-file", "kafka-tls-cert-file", "kafka-tls-key-file"] as const) {
      if (v[n]) errors.push(`${p.origin(n)} needs --kafka-tls (KAFKA_TLS=true)`);
    }
    if (v["kafka-tls-reject-unauthorized"] === false) {
      errors.push(
        `${p.origin("kafka-tls-reject-unauthorized")} needs --kafka-tls (KAFKA_TLS=true)`,
      );
    }
  }
  if (known("kafka-tls-cert-file", "kafka-tls-key-file")) {
    if (!v["kafka-tls-cert-file"] !== !v["kafka-tls-key-file"]) {
      errors.push(
        "--kafka-tls-cert-file and --kafka-tls-key-file go together (a client certificate and its key)",
      );
    }
  }
  return errors;
}

/**
 * PostgreSQL's CA file needs verify-full; ClickHouse credentials may not say two things. (A
 * ClickHouse or Redis CA file without an https:// or rediss:// URL is the connectors' own check.)
 */
function storeTlsErrors(p: ParsedOptions): string[] {
  const v = p.values;
  const errors: string[] = [];
  const known = (...names: OptionName[]) => names.every((n) => !p.invalid.has(n));
  if (known("postgres-ca-file", "postgres-ssl") && v["postgres-ca-file"]) {
    if (v["postgres-ssl"] !== "verify-full") {
      errors.push(
        `${p.origin("postgres-ca-file")} is only used with --postgres-ssl verify-full ` +
          "(POSTGRES_SSL): set it, or drop the CA file",
      );
    }
  }
  const url = v["clickhouse-url"];
  if (url && known("clickhouse-url", "clickhouse-user", "clickhouse-password")) {
    const inUrl = new URL(url.trim());
    const user = decodeURIComponent(inUrl.username);
    const password = decodeURIComponent(inUrl.password);
    if (user && v["clickhouse-user"] && v["clickhouse-user"] !== user) {
      errors.push(
        `${p.origin("clickhouse-user")} "${v["clickhouse-user"]}" differs from the user in ` +
          `${p.origin("clickhouse-url")} "${user}": give it once`,
      );
    }
    if (password && v["clickhouse-password"] && v["clickhouse-password"] !== password) {
      errors.push(
        `${p.origin("clickhouse-password")} differs from the password in ` +
          `${p.origin("clickhouse-url")}: give it once`,
      );
    }
  }
  return errors;
}

/** The refit block must be shorter than the forecast window (models are fitted inside it). */
function forecastErrors(p: ParsedOptions): string[] {
  const v = p.values;
  if (p.invalid.has("forecast-window") || p.invalid.has("forecast-refit-every")) return [];
  const window = v["forecast-window"] ?? 500;
  const refit = v["forecast-refit-every"] ?? 60;
  if (refit < window) return [];
  const name = (n: OptionName) => p.origin(n) === "default" ? `--${n} (default)` : p.origin(n);
  return [
    `${name("forecast-refit-every")} ${refit} must be below ${name("forecast-window")} ` +
    `${window}: models are fitted on the window's candles before each refit block`,
  ];
}
