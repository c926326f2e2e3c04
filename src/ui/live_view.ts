/**
 * The live terminal view, redrawn about once a second: per symbol and analytics venue
 * (`--analytics-venue`) the last price, 1-minute change, latest closed 1m candle, EMA and RSI,
 * alert count, the next window's forecast (return, P(up), σ; the first venue's); plus ticks/s
 * and mailbox pressure.
 * @module
 */
import { dashboardUrl } from "../http/http_server.ts";
import type { Candle } from "../market/candle.ts";
import type { LatestForecast, SymbolSnapshot } from "../http/latest_view.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";

const encoder = new TextEncoder();

/** A running view. */
export interface LiveView {
  stop(): void;
}

/** Starts redrawing; call `stop()` before exiting to restore the cursor. */
export function startLiveView(
  pipeline: Pipeline,
  write = (s: string) => Deno.stderr.writeSync(encoder.encode(s)),
): LiveView {
  let lastTicks = pipeline.latest.tickCount;
  let lastTime = performance.now();
  write("\x1b[?25l");
  const timer = setInterval(async () => {
    const now = performance.now();
    const ticks = pipeline.latest.tickCount;
    const rate = (ticks - lastTicks) / ((now - lastTime) / 1000);
    lastTicks = ticks;
    lastTime = now;
    const pressure = await mailboxPressure(pipeline);
    write("\x1b[H\x1b[2J" + render(pipeline.latest.snapshot(), rate, pressure, pipeline));
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      write("\x1b[?25h\n");
    },
  };
}

/** Renders one frame (exported for tests). */
export function render(
  symbols: SymbolSnapshot[],
  ticksPerSecond: number,
  pressure: number,
  pipeline: Pick<Pipeline, "http" | "config">,
): string {
  const interval = pipeline.config.intervals[0];
  const venues = pipeline.config.analyticsVenues;
  const head = [
    "symbol",
    "price",
    "venue",
    `${interval} chg`,
    `last ${interval} candle (o/h/l/c)`,
    "ema",
    "rsi",
    "alerts",
    "forecast r",
    "P(up)",
    "forecast σ",
    "venues (left out)",
  ];
  // One row per analytics venue of each symbol; the latest view keeps the first one's forecasts.
  const rows = symbols.flatMap((s) =>
    venues.map((venue, i) => {
      const c = s.venues[venue]?.[interval];
      const ind = s.venue_indicators[venue]?.[interval];
      const change = c ? ((s.price - c.close) / c.close) * 100 : NaN;
      return [
        s.symbol,
        fmt(s.price),
        venue,
        Number.isFinite(change) ? `${change >= 0 ? "+" : ""}${change.toFixed(2)}%` : "-",
        c ? `${fmt(c.open)}/${fmt(c.high)}/${fmt(c.low)}/${fmt(c.close)}` : "-",
        ind?.ema_fast == null ? "-" : fmt(ind.ema_fast),
        ind?.rsi == null ? "-" : ind.rsi.toFixed(1),
        String(s.venue_alerts[venue] ?? 0),
        ...forecastColumns(i === 0 ? s.forecasts[interval] : undefined),
        c ? venuesOf(c) : Object.keys(s.venues).sort().join(","),
      ];
    })
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ");
  const url = pipeline.http ? dashboardUrl(pipeline.http) : "off";
  return [
    `crypto-pipeline  ${new Date().toISOString().slice(11, 19)}Z  ` +
    `${Math.round(ticksPerSecond)} ticks/s  mailbox pressure ${(pressure * 100).toFixed(0)}%  ` +
    `dashboard ${url}`,
    "",
    line(head),
    ...rows.map(line),
    "",
    "Ctrl-C stops gracefully.",
    "",
  ].join("\n");
}

// The next window's forecast: ridge's return and P(up), GARCH's (or EWMA's) σ, in percent.
function forecastColumns(f: LatestForecast | undefined): string[] {
  const pct = (x: number | null | undefined, digits: number) =>
    x == null ? "-" : `${(x * 100).toFixed(digits)}%`;
  return [pct(f?.predicted_return, 3), pct(f?.prob_up, 0), pct(f?.predicted_vol, 3)];
}

// The composite's constituents, and the venues it left out with why; a venue candle: its venue.
function venuesOf(c: Candle): string {
  if (c.constituents === undefined) return c.venue;
  const out = c.excluded!.map((e) => `${e.venue}:${e.reason}`);
  return c.constituents.join(",") + (out.length ? ` (${out.join(",")})` : "");
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return "-";
  return x >= 1000 ? x.toFixed(2) : x >= 1 ? x.toFixed(4) : x.toPrecision(4);
}

/** The fullest mailbox's fill ratio, read from the metrics registry. */
async function mailboxPressure(pipeline: Pipeline): Promise<number> {
  const metrics = await pipeline.registry.getMetricsAsJSON();
  const size = metrics.find((m) => m.name === "pipeline_actor_mailbox_size");
  const cap = metrics.find((m) => m.name === "pipeline_actor_mailbox_capacity");
  if (!size || !cap) return 0;
  const capacity = new Map(cap.values.map((v) => [String(v.labels.actor), v.value]));
  let worst = 0;
  for (const v of size.values) {
    const c = capacity.get(String(v.labels.actor));
    if (c) worst = Math.max(worst, v.value / c);
  }
  return worst;
}
