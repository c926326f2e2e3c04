/**
 * The sink routes with the dashboard's tap in front (src/http/market_stream.ts): every record the
 * stages send to the stores is shown to the tap first, which returns at once, so the stream adds
 * no wait and no backpressure to the flow. Ticks are tapped where the window stages hand them on
 * (`allTicks` in embedded mode, `latestPrices` in the Kafka process role), not on the archive
 * role's raw-tick route.
 * @module
 */
import type { MarketTap } from "../http/market_stream.ts";
import type { SinkRoutes } from "./sink_routes.ts";

/** `routes`, with `tap` seeing each record kind the dashboard shows. */
export function tapRoutes(routes: SinkRoutes, tap: MarketTap): SinkRoutes {
  return {
    ...routes,
    allTicks: (rows) => {
      tap.ticks(rows);
      return routes.allTicks(rows);
    },
    latestPrices: (rows) => {
      tap.ticks(rows);
      return routes.latestPrices(rows);
    },
    candles: (rows) => {
      tap.candles(rows);
      return routes.candles(rows);
    },
    indicators: (rows) => {
      tap.indicators(rows);
      return routes.indicators(rows);
    },
    alerts: (rows) => {
      tap.alerts(rows);
      return routes.alerts(rows);
    },
    deadLetters: (rows) => {
      tap.deadLetters(rows);
      return routes.deadLetters(rows);
    },
  };
}
