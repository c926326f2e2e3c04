/**
 * The window stage's metrics, published on each scrape from plain fields the stage updates:
 * `pipeline_candles_total{interval,kind}`, `pipeline_late_events_total{outcome}` and
 * `pipeline_watermark_delay_seconds{partition}`.
 * @module
 */
import type { Candle } from "../../src/market/candle.ts";
import {
  counter,
  gauge,
  onCollect,
  publishCounts,
  type Registry,
} from "../../src/telemetry/metrics.ts";

/** What the metrics read from a partition's window state at each scrape. */
export interface WindowProgress {
  readonly watermark: number;
  readonly lateRejected: number;
  readonly lateRevised: number;
}

/** The metrics of one partition's window stage. */
export interface WindowMetrics {
  /** Counts emitted candles by interval and kind (final or revision). */
  countCandles(candles: readonly Candle[]): void;
  /** Stops publishing (the stage stopped); what was counted stays in the metrics. */
  unregister(): void;
}

/** Publishes the metrics of `partition`, reading `progress` at each scrape. */
export function publishWindowMetrics(
  registry: Registry,
  partition: number,
  progress: WindowProgress,
  now: () => number,
): WindowMetrics {
  const counts = new Map<string, number>();
  // The core counts its late ticks itself; only their growth is published here.
  const published = { rejected: 0, revised: 0 };
  const candles = counter(registry, {
    name: "pipeline_candles_total",
    help: "Candles emitted, by interval and kind (final or revision)",
    labelNames: ["interval", "kind"],
  });
  const late = counter(registry, {
    name: "pipeline_late_events_total",
    help: "Late ticks: revised a candle, or rejected past the late-update window",
    labelNames: ["outcome"],
  });
  const delay = gauge(registry, {
    name: "pipeline_watermark_delay_seconds",
    help: "Processing time minus the partition's watermark",
    labelNames: ["partition"],
  });
  const unpublishCandles = publishCounts(registry, candles, counts, (key) => {
    const [interval, kind] = key.split("|");
    return { interval, kind };
  });
  const unpublishRest = onCollect(registry, () => {
    if (progress.lateRejected > published.rejected) {
      late.inc({ outcome: "rejected" }, progress.lateRejected - published.rejected);
      published.rejected = progress.lateRejected;
    }
    if (progress.lateRevised > published.revised) {
      late.inc({ outcome: "revised" }, progress.lateRevised - published.revised);
      published.revised = progress.lateRevised;
    }
    const wm = progress.watermark;
    if (Number.isFinite(wm)) delay.set({ partition: String(partition) }, (now() - wm) / 1000);
  });
  return {
    countCandles(list) {
      for (const c of list) {
        const key = `${c.interval}|${c.version === 1 ? "final" : "revision"}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    },
    unregister: () => (unpublishCandles(), unpublishRest()),
  };
}
