/**
 * Where a new partition owner reads the candle history it warms its indicators and rules from
 * (Kafka mode). ClickHouse when configured — it is shared by every instance — else the embedded
 * SQLite file.
 * @module
 */
import { partitionOf } from "../connectors/kafka/murmur2.ts";
import type { ClickHouseStore } from "../connectors/clickhouse/clickhouse_store.ts";
import { ClickHouseReadApi } from "../connectors/clickhouse/clickhouse_read_api.ts";
import { readLatestCandles } from "../connectors/clickhouse/queries.ts";
import type { SqliteReader } from "../connectors/sqlite/sqlite_reader.ts";
import { type Candle, COMPOSITE_VENUE, LEGACY_VENUE } from "../market/candle.ts";

/** Candles per (venue, symbol, interval) loaded at takeover: plenty for every indicator's memory. */
export const WARMUP_CANDLES = 5000;

/** The stored candles of the symbols of some partitions. */
export interface CandleHistory {
  /**
   * Partition → its symbols' candles, oldest first within each (venue, symbol, interval) series. One
   * call per assignment, so the symbol list is read once however many partitions arrive.
   */
  forPartitions(
    assigned: readonly number[],
    partitions: number,
    intervals: readonly string[],
  ): Promise<Map<number, Candle[]>>;
}

/** Which venues' candles a history holds. */
export interface HistoryOptions {
  /**
   * Every stored venue's candles besides `venues`' (not `legacy`'s): the forecasts' cross-source
   * spread is computed from them (docs/forecasts.md). Default false.
   */
  readonly everyVenue?: boolean;
}

// `venues`, then the `stored` ones (but `legacy`) not among them.
function venuesToRead(venues: readonly string[], stored: readonly string[]): string[] {
  const all = new Set(venues);
  for (const v of stored) if (v !== LEGACY_VENUE) all.add(v);
  return [...all];
}

/** Groups `symbols` by the assigned partition they hash to; others are dropped. */
function symbolsByPartition(
  symbols: readonly string[],
  assigned: readonly number[],
  partitions: number,
): Map<number, string[]> {
  const out = new Map<number, string[]>(assigned.map((p) => [p, []]));
  for (const symbol of symbols) out.get(partitionOf(symbol, partitions))?.push(symbol);
  return out;
}

/**
 * History from the embedded store: the candles of `venues`, the ones the analytics run on
 * (`--analytics-venue`, the composite by default), and with `everyVenue` every stored venue's.
 */
export function sqliteHistory(
  read: SqliteReader,
  venues: readonly string[] = [COMPOSITE_VENUE],
  options: HistoryOptions = {},
): CandleHistory {
  return {
    forPartitions(assigned, partitions, intervals) {
      const out = new Map<number, Candle[]>();
      const readVenues = venuesToRead(venues, options.everyVenue ? read.venues() : []);
      for (const [p, symbols] of symbolsByPartition(read.symbols(), assigned, partitions)) {
        const rows: Candle[] = [];
        for (const venue of readVenues) {
          for (const symbol of symbols) {
            for (const interval of intervals) {
              rows.push(...read.candles({ venue, symbol, interval, limit: WARMUP_CANDLES }));
            }
          }
        }
        out.set(p, rows);
      }
      return Promise.resolve(out);
    },
  };
}

/** History from ClickHouse (deduplicated by version), of `venues` as for SQLite. */
export function clickhouseHistory(
  store: ClickHouseStore,
  database: string,
  venues: readonly string[] = [COMPOSITE_VENUE],
  options: HistoryOptions = {},
): CandleHistory {
  const read = new ClickHouseReadApi(store.client, database);
  return {
    async forPartitions(assigned, partitions, intervals) {
      const symbols = await read.symbols();
      const stored = options.everyVenue ? await read.venues() : [];
      const out = new Map<number, Candle[]>();
      for (const [p, mine] of symbolsByPartition(symbols, assigned, partitions)) {
        const rows: Candle[] = [];
        for (const venue of venuesToRead(venues, stored)) {
          for (const symbol of mine) {
            for (const interval of intervals) {
              const newestFirst = await readLatestCandles(store.client, database, {
                venue,
                symbol,
                interval,
                limit: WARMUP_CANDLES,
              });
              rows.push(...newestFirst.reverse());
            }
          }
        }
        out.set(p, rows);
      }
      return out;
    },
  };
}
