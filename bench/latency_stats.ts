/**
 * Quantiles for the latency bench: exact ones of samples, and the bucket bound of a Prometheus
 * histogram's quantile between two scrapes of the text exposition format.
 * @module
 */

/** p50, p99 and max of `values` (nearest rank); NaN for none. */
export function quantiles(values: readonly number[]): { p50: number; p99: number; max: number } {
  if (values.length === 0) return { p50: NaN, p99: NaN, max: NaN };
  const s = [...values].sort((a, b) => a - b);
  const rank = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { p50: rank(0.5), p99: rank(0.99), max: s[s.length - 1] };
}

/** Cumulative bucket counts (`le` → count) of `metric`'s series matching `filter`, summed. */
export function buckets(text: string, metric: string, filter = ""): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}_bucket{`) || !line.includes(filter)) continue;
    const m = /le="([^"]+)"/.exec(line);
    if (!m) continue;
    const le = m[1] === "+Inf" ? Infinity : Number(m[1]);
    out.set(le, (out.get(le) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return out;
}

/**
 * The upper bound of the bucket holding quantile `q` of the observations made between the scrapes
 * `before` and `after`; null when none were made.
 */
export function bucketQuantile(
  before: string,
  after: string,
  metric: string,
  q: number,
  filter = "",
): number | null {
  const a = buckets(after, metric, filter);
  const b = buckets(before, metric, filter);
  const les = [...a.keys()].sort((x, y) => x - y);
  const total = (a.get(Infinity) ?? 0) - (b.get(Infinity) ?? 0);
  if (total <= 0) return null;
  for (const le of les) {
    if ((a.get(le) ?? 0) - (b.get(le) ?? 0) >= q * total) return le;
  }
  return Infinity;
}

/** The sum of every series of counter `metric`. */
export function counterSum(text: string, metric: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(metric) || line.startsWith(`${metric}_`)) continue;
    const rest = line.slice(metric.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
