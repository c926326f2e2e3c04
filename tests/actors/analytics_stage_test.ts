import assert from "node:assert/strict";
import {
  type AnalyticsMessage,
  candleAnalyticsProps,
} from "../../actors/analytics/analytics_stage.ts";
import { barrier } from "../../actors/barrier.ts";
import type { Alert } from "../../src/market/alert.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { IndicatorRow } from "../../src/market/indicator_row.ts";
import type { PredictionRow } from "../../src/market/forecast/prediction_row.ts";
import { createActorSystem } from "../../src/runtime/system.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";

Deno.test("analytics stage: hands on a candle only after the predictions, indicator rows and alerts made from it", async () => {
  // A new owner warms up from the stored candles and takes a replayed candle it finds there for a
  // redelivery, computing nothing for it again: whatever was made from a candle must reach the
  // stores first, so that a kill between two writes can only leave the candle itself unwritten.
  const handed: string[] = [];
  const record = (kind: string) => (rows: unknown[]) => void handed.push(`${kind} ${rows.length}`);
  const registry = createRegistry();
  const system = createActorSystem({ registry });
  const ref = system.spawn<AnalyticsMessage>(candleAnalyticsProps({ partition: 0, capacity: 8 }, {
    registry,
    analytics: () => ({
      // Answered later, as the forecast worker does.
      onCandles: () =>
        Promise.resolve({
          rows: [{} as IndicatorRow],
          alerts: [{ rule: "price_spike", severity: "warning" } as unknown as Alert],
          predictions: [{} as PredictionRow, {} as PredictionRow],
        }),
      warmUp: () => {},
      close: () => {},
    }),
    downstream: {
      candles: record("candles"),
      indicators: record("indicators"),
      alerts: record("alerts"),
      predictions: record("predictions"),
      barrier: () => Promise.resolve(),
    },
  }));
  await ref.tell({ kind: "candles", rows: [{} as Candle] });
  await barrier(ref, "sync");
  assert.deepEqual(handed, ["predictions 2", "indicators 1", "alerts 1", "candles 1"]);
  await system.shutdown();
});
