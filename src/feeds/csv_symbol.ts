/**
 * The symbol of a Binance trade dump, from its file name — shared by the replay feed, which tags
 * every tick with it, and the config loader, which refuses a file it cannot name at start-up.
 * @module
 */
import { normaliseSymbol } from "../market/symbol.ts";

/**
 * The symbol in a trade-dump file name: the text before the first `-`, `_` or `.`, normalised
 * (`BTCUSDT-trades-2024-01-01.csv` → `BTC-USDT`); null when that is no symbol.
 *
 * @example
 * ```ts
 * import { csvSymbolFromFileName } from "./csv_symbol.ts";
 * csvSymbolFromFileName("BTCUSDT-trades-2024-01-01.csv"); // "BTC-USDT"
 * csvSymbolFromFileName("trades.csv"); // null
 * ```
 */
export function csvSymbolFromFileName(fileName: string): string | null {
  return normaliseSymbol(fileName.split(/[-_.]/)[0] ?? "");
}
