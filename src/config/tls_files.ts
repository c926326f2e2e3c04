/**
 * The TLS files the options name (CA bundles, a Kafka client certificate and key), read once by
 * the loader so that a missing file, or one that is not PEM, is a configuration error reported with
 * the others (exit 2) rather than a TLS failure after start-up. Contents are never echoed: a key is
 * a secret, and a wrong file might be one too.
 * @module
 */
import type { OptionName } from "./options.ts";
import type { ParsedOptions, ReadTextFile } from "./parsed_options.ts";

/** PEM contents of the configured TLS files; null when not configured (or unreadable). */
export interface TlsMaterial {
  readonly kafkaCa: string | null;
  readonly kafkaCert: string | null;
  readonly kafkaKey: string | null;
  readonly postgresCa: string | null;
  readonly clickhouseCa: string | null;
  readonly redisCa: string | null;
}

const FILES = {
  kafkaCa: { option: "kafka-tls-ca-file", holds: "certificate" },
  kafkaCert: { option: "kafka-tls-cert-file", holds: "certificate" },
  kafkaKey: { option: "kafka-tls-key-file", holds: "key" },
  postgresCa: { option: "postgres-ca-file", holds: "certificate" },
  clickhouseCa: { option: "clickhouse-ca-file", holds: "certificate" },
  redisCa: { option: "redis-ca-file", holds: "certificate" },
} as const satisfies Record<keyof TlsMaterial, { option: OptionName; holds: string }>;

const PEM = {
  certificate: /-----BEGIN CERTIFICATE-----/,
  key: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/,
} as const;

/** Reads every configured TLS file; each problem adds one error. */
export function readTlsFiles(
  p: ParsedOptions,
  readFile: ReadTextFile = Deno.readTextFileSync,
): { material: TlsMaterial; files: string[]; errors: string[] } {
  const material: Record<string, string | null> = {};
  const files: string[] = [];
  const errors: string[] = [];
  for (const [key, { option, holds }] of Object.entries(FILES)) {
    material[key] = null;
    const path = p.values[option];
    if (!path) continue;
    let text: string;
    try {
      text = readFile(path);
    } catch (e) {
      errors.push(`invalid ${p.origin(option)}: cannot read "${path}" (${(e as Error).message})`);
      continue;
    }
    files.push(path);
    if (!PEM[holds].test(text)) {
      errors.push(`invalid ${p.origin(option)}: "${path}" holds no PEM ${holds}`);
      continue;
    }
    material[key] = text;
  }
  return { material: material as unknown as TlsMaterial, files, errors };
}
