/**
 * Reading a test's metrics from its registry.
 * @module
 */
import type { Registry } from "../../src/telemetry/metrics.ts";

/** The value of metric `name` with exactly these labels (0 when absent). */
export async function metric(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  const keys = Object.keys(labels);
  const hit = values.find((v) =>
    !String((v as { metricName?: unknown }).metricName ?? "").endsWith("_bucket") &&
    keys.every((k) => String((v.labels as Record<string, unknown>)[k]) === labels[k]) &&
    Object.keys(v.labels).filter((k) => k !== "le").length === keys.length
  );
  return hit?.value ?? 0;
}
