/**
 * Symbol normalisation: every feed's spelling of a trading pair becomes one `BASE-QUOTE` form.
 * @module
 */

/**
 * Quote currencies recognised at the end of a concatenated symbol (`btcusdt`), longest first so
 * `USDT` wins over `USD`. A concatenated symbol whose quote is not listed cannot be split safely.
 */
export const KNOWN_QUOTES: readonly string[] = [
  "FDUSD",
  "USDT",
  "USDC",
  "BUSD",
  "TUSD",
  "USD",
  "EUR",
  "GBP",
  "JPY",
  "AUD",
  "CAD",
  "CHF",
  "TRY",
  "BRL",
  "DAI",
  "BTC",
  "XBT",
  "ETH",
  "BNB",
];

/** Exchange-specific asset codes mapped to their common code (Kraken calls bitcoin `XBT`). */
const ALIASES: Readonly<Record<string, string>> = { XBT: "BTC", XDG: "DOGE" };

const ASSET = /^[A-Z0-9]{2,12}$/;
const SEPARATED = /^([A-Z0-9]+)[-/_:]([A-Z0-9]+)$/;
// Kraken's legacy pair names: X-prefixed crypto, Z-prefixed fiat, e.g. XXBTZUSD, XETHXXBT.
const KRAKEN_LEGACY = /^X([A-Z]{3})[XZ]([A-Z]{3})$/;

function asset(code: string): string | null {
  const c = ALIASES[code] ?? code;
  return ASSET.test(c) ? c : null;
}

function pair(base: string, quote: string): string | null {
  const b = asset(base);
  const q = asset(quote);
  return b !== null && q !== null && b !== q ? `${b}-${q}` : null;
}

/**
 * Normalises a trading-pair symbol to upper-case `BASE-QUOTE`, or returns null when it cannot.
 *
 * Accepted: separated forms (`BTC-USD`, `btc/usd`, `ETH_USDT`, `sol:usdc`); concatenated forms
 * whose quote is in {@linkcode KNOWN_QUOTES} (`btcusdt`, `ETHBTC`; the longest quote leaving a
 * base of 3+ characters wins, else one leaving 2); Kraken's legacy names
 * (`XXBTZUSD`); surrounding whitespace and any letter case. Aliases `XBT`→`BTC` and
 * `XDG`→`DOGE` are applied. Asset codes must be 2–12 letters or digits and base ≠ quote.
 *
 * @example
 * ```ts
 * import { normaliseSymbol } from "./symbol.ts";
 * normaliseSymbol("btcusdt"); // "BTC-USDT"
 * normaliseSymbol("XBT/USD"); // "BTC-USD"
 * normaliseSymbol("bitcoin"); // null
 * ```
 */
export function normaliseSymbol(raw: string): string | null {
  const s = raw.trim().toUpperCase();
  const sep = SEPARATED.exec(s);
  if (sep !== null) return pair(sep[1], sep[2]);
  const kraken = KRAKEN_LEGACY.exec(s);
  if (kraken !== null) return pair(kraken[1], kraken[2]);
  // Prefer a base of 3+ characters: "XBTUSD" is XBT-USD, not XB-TUSD; "OPUSD" still splits.
  return splitConcatenated(s, 3) ?? splitConcatenated(s, 2);
}

function splitConcatenated(s: string, minBase: number): string | null {
  for (const quote of KNOWN_QUOTES) {
    if (s.length >= quote.length + minBase && s.endsWith(quote)) {
      const p = pair(s.slice(0, s.length - quote.length), quote);
      if (p !== null) return p;
    }
  }
  return null;
}
