/**
 * The composite's constituents and exclusions as the text columns stores keep them in, JSON so
 * any venue name survives: `["coinbase","kraken"]` and
 * `[{"venue":"binance","reason":"outlier"}]`. Null for a venue candle.
 * @module
 */
import type { Candle } from "./candle.ts";

/** The constituents column: a JSON array of venues; null for a venue candle. */
export function constituentsText(c: Candle): string | null {
  return c.constituents === undefined ? null : JSON.stringify(c.constituents);
}

/** The exclusions column: a JSON array of `{venue, reason}`; null for a venue candle. */
export function excludedText(c: Candle): string | null {
  return c.excluded === undefined ? null : JSON.stringify(c.excluded);
}

/** The candle fields back from the two columns (nothing for a venue candle's nulls). */
export function compositeFields(
  constituents: string | null | undefined,
  excluded: string | null | undefined,
): Pick<Candle, "constituents" | "excluded"> {
  if (constituents === null || constituents === undefined || constituents === "") return {};
  return {
    constituents: JSON.parse(constituents),
    excluded: excluded ? JSON.parse(excluded) : [],
  };
}
