/**
 * Rules that span options (a replay needs a file, a role needs Kafka…). A rule whose options were
 * already reported invalid is skipped: one mistake, one message.
 * @module
 */
import type { OptionName } from "./options.ts";
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
  return errors;
}
