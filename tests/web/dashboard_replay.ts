/**
 * The replay the dashboard's browser test runs: ten minutes of history, written to the store
 * before the page opens, then a live part replayed in real time while the page watches — new
 * windows closing, a late tick revising a closed one, two sources diverging (an alert), and
 * hostile text in a symbol and a source.
 * @module
 */

/** Event time of the live part's first tick (a minute boundary). */
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
export const SYMBOLS = ["BTC-USD", "ETH-USD", "SOL-USD"] as const;
export const HOSTILE = "<img src=x onerror=alert(1)>";
export const HOSTILE_SYMBOL = `${HOSTILE}-USD`;
/** The 1 s window the late tick revises, and the price it sets as the window's high. */
export const REVISED_WINDOW = T0 + 20_000;
export const LATE_PRICE = 150_000;
/** When BTC-USD from a second source diverges: a `source_divergence` alert. */
export const DIVERGENCE_AT = T0 + 30_000;
/** The page opens during this real-time gap after the live part's first tick. */
export const OPENING_GAP_MS = 8_000;

const BASE: Record<string, number> = { "BTC-USD": 100_000, "ETH-USD": 3_500, "SOL-USD": 200 };

interface Line {
  source: string;
  symbol: string;
  price: string;
  size: number;
  ts: number;
  id: string;
}

/** A small deterministic walk: price of `symbol` at step `i`. */
function priceAt(symbol: string, i: number): number {
  const wave = Math.sin(i / 7) * 0.004 + Math.sin(i / 31 + symbol.length) * 0.006;
  return Math.round(BASE[symbol] * (1 + wave) * 100) / 100;
}

function tick(symbol: string, ts: number, i: number, source = "coinbase"): Line {
  return {
    source,
    symbol,
    price: String(priceAt(symbol, i)),
    size: 1 + (i % 5) / 10,
    ts,
    id: `${source}-${symbol}-${ts}`,
  };
}

/** History: every 500 ms for ten minutes before T0, each symbol. */
export function historyLines(): string[] {
  const out: string[] = [];
  for (let i = 0, ts = T0 - 600_000; ts < T0; ts += 500, i++) {
    for (const s of SYMBOLS) out.push(JSON.stringify(tick(s, ts + SYMBOLS.indexOf(s), i)));
  }
  return out;
}

/** The live part, in file order (replayed at speed 1). */
export function liveLines(): string[] {
  const out: string[] = [];
  const push = (l: unknown) => out.push(JSON.stringify(l));
  for (const s of SYMBOLS) push(tick(s, T0 + SYMBOLS.indexOf(s), 1200));
  let i = 1201;
  for (let ts = T0 + OPENING_GAP_MS; ts <= T0 + 45_000; ts += 250, i++) {
    for (const s of SYMBOLS) push(tick(s, ts + SYMBOLS.indexOf(s), i));
    if (ts === T0 + 9_000) {
      push({ ...tick("SOL-USD", ts + 5, i), symbol: HOSTILE_SYMBOL, id: "hostile-symbol" });
      push({ ...tick("SOL-USD", ts + 6, i, HOSTILE), id: "hostile-source" });
    }
    if (ts === T0 + 28_000) {
      // Five seconds after its window closed (2 s lateness), within the late-update window.
      push({ ...tick("BTC-USD", REVISED_WINDOW + 500, i), price: String(LATE_PRICE), id: "late" });
    }
    if (ts === DIVERGENCE_AT) {
      const p = priceAt("BTC-USD", i) * 1.05;
      push({ ...tick("BTC-USD", ts + 7, i, "kraken"), price: p.toFixed(2), id: "diverging" });
    }
  }
  return out;
}
