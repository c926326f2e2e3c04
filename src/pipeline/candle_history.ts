/**
 * Where a new partition owner reads the candle history it warms its indicators and rules from
 * (Kafka mode). ClickHouse when configured — it is shared by every instance — else the embedded
 * SQLite file.
 * @module
 */
import { partitionOf } from "../bus/partitioner.ts";
import type { ClickHouseStore } from "../connectors/clickhouse/clickhouse_store.ts";
import { queryRows, readLatestCandles } from "../connectors/clickhouse/queries.ts";
import { sqlIdentifier } from "../connectors/clickhouse/sql_escape.ts";
import type { ReadApi } from "../http/read_api.ts";
import type { Candle } from "../market/candle.ts";

/** Candles per (symbol, interval) loaded at takeover: plenty for every indicator's memory. */
export const WARMUP_CANDLES = 5000;

/** The stored candles of the symbols of one partition. */
export interface CandleHistory {
  /** Oldest first within each (symbol, interval) series. */
  forPartition(
    partition: number,
    partitions: number,
    intervals: readonly string[],
  ): Promise<Candle[]>;
}

/** History from the embedded store. */
export function sqliteHistory(read: ReadApi): CandleHistory {
  return {
    forPartition(partition, partitions, intervals) {
      const rows: Candle[] = [];
      for (const symbol of read.symbols()) {
        if (partitionOf(symbol, partitions) !== partition) continue;
        for (const interval of intervals) {
          rows.push(...read.candles({ symbol, interval, limit: WARMUP_CANDLES }));
        }
      }
      return Promise.resolve(rows);
    },
  };
}

/** History from ClickHouse (deduplicated by version). */
export function clickhouseHistory(store: ClickHouseStore, database: string): CandleHistory {
  return {
    async forPartition(partition, partitions, intervals) {
      const symbols = (await queryRows(
        store.client,
        `SELECT DISTINCT symbol FROM ${sqlIdentifier(database)}.candles`,
      )).map((r) => String(r.symbol));
      const rows: Candle[] = [];
      for (const symbol of symbols.sort()) {
        if (partitionOf(symbol, partitions) !== partition) continue;
        for (const interval of intervals) {
          const newestFirst = await readLatestCandles(store.client, database, {
            symbol,
            interval,
            limit: WARMUP_CANDLES,
          });
          rows.push(...newestFirst.reverse());
        }
      }
      return rows;
    },
  };
}
