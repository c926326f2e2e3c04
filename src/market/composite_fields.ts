/**
 * The composite's constituents and exclusions as the text columns stores keep them in:
 * `coinbase,kraken` and `binance:outlier,coincap:stale` (venue names have no `,` or `:`).
 * @module
 */
import type { Candle, ExclusionReason } from "./candle.ts";

/** The constituents column: comma-separated venues; null for a venue candle. */
export function constituentsText(c: Candle): string | null {
  return c.constituents === undefined ? null : c.constituents.join(",");
}

/** The exclusions column: comma-separated `venue:reason`; null for a venue candle. */
export function excludedText(c: Candle): string | null {
  return c.excluded === undefined
    ? null
    : c.excluded.map((e) => `${e.venue}:${e.reason}`).join(",");
}

/** The candle fields back from the two columns (nothing for a venue candle's nulls). */
export function compositeFields(
  constituents: string | null | undefined,
  excluded: string | null | undefined,
): Pick<Candle, "constituents" | "excluded"> {
  if (constituents === null || constituents === undefined) return {};
  const list = (s: string) => (s === "" ? [] : s.split(","));
  return {
    constituents: list(constituents),
    excluded: list(excluded ?? "").map((e) => {
      const [venue, reason] = e.split(":");
      return { venue, reason: reason as ExclusionReason };
    }),
  };
}
