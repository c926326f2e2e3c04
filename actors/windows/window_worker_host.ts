/**
 * What runs inside the window worker: one {@linkcode WindowCore} and tick counts per partition,
 * and one {@linkcode TickParser}. Record batches are decoded and aggregated here, so the consumer
 * thread only copies bytes. Plain logic: the worker's entry (window_worker_main.ts) only wires it
 * to `postMessage`, and tests drive it directly.
 * @module
 */
import { KeyHashes } from "../../src/connectors/kafka/murmur2.ts";
import { decodePacked, recordValue } from "../../src/connectors/kafka/packed_records.ts";
import { TickParser } from "../../src/market/tick_parser.ts";
import type { Tick } from "../../src/market/tick.ts";
import { createTickRules } from "../analytics/analytics_logic.ts";
import { TickLabelBudget } from "../../src/telemetry/label_budget.ts";
import { replyTo } from "../../src/runtime/worker_channel.ts";
import { TickCounts } from "./tick_counts.ts";
import { WindowCore } from "./window_core.ts";
import type {
  RejectedRecord,
  TickTallyRow,
  WindowReply,
  WindowRequest,
  WindowStep,
  WindowWorkerSettings,
} from "./window_worker_protocol.ts";

/** What was counted since the last step, as rows for the consumer thread's TickStats. */
function takeTally(counts: TickCounts): TickTallyRow[] {
  const rows: TickTallyRow[] = [];
  counts.drain((source, symbol, count, price) => {
    if (count > 0) rows.push({ source, symbol, count, price });
  });
  return rows;
}

interface Partition {
  readonly core: WindowCore;
  readonly tally: TickCounts;
  /** The topic's partition count; 0: no routing check. */
  readonly of: number;
}

/** The worker's state and request handling. */
export class WindowWorkerHost {
  readonly #settings: WindowWorkerSettings;
  readonly #partitions = new Map<number, Partition>();
  /** One label budget for every partition this thread counts (see tick_counts.ts). */
  readonly #labels = new TickLabelBudget();
  readonly #parser: TickParser;
  readonly #hashes = new KeyHashes();
  #now = 0;

  constructor(settings: WindowWorkerSettings) {
    this.#settings = settings;
    this.#parser = new TickParser({
      allowList: settings.allowList ? new Set(settings.allowList) : undefined,
      now: () => this.#now,
      idNumbers: true,
    });
  }

  /** Handles one request; never throws (a failure is the reply). */
  handle(request: WindowRequest): WindowReply {
    return replyTo(request, (r) => this.#step(r));
  }

  #step(r: WindowRequest): WindowStep {
    this.#now = r.now;
    if (r.op === "open") {
      const s = this.#settings;
      const tally = new TickCounts(this.#labels);
      const rules = createTickRules({
        anomalies: { staleAfterMs: s.staleAfterMs, maxSymbols: r.maxSymbols },
      });
      const core = new WindowCore({ ...s, maxSymbols: r.maxSymbols }, tally, rules);
      this.#partitions.set(r.partition, { core, tally, of: r.of ?? 0 });
    }
    const p = this.#partitions.get(r.partition);
    if (p === undefined) throw new Error(`partition ${r.partition} is not open`);
    const core = p.core;
    core.now = r.now;
    const latest = new Map<string, Tick>();
    const rejected: RejectedRecord[] = [];
    let count = 0;
    let maxTs = -Infinity;
    let advanced = false;
    switch (r.op) {
      case "records":
        decodePacked(r.records, this.#parser, (t, index) => {
          const home = p.of > 0 ? this.#hashes.partitionOf(t.symbol, p.of) : r.partition;
          if (home !== r.partition) {
            // Another partition owns this symbol's windows: aggregating it here too would give
            // two candles for one (symbol, interval, window), from two owners.
            const original = recordValue(r.records, index).slice();
            const detail = `${t.symbol} belongs to partition ${home} of ${p.of}, ` +
              `not ${r.partition} (record key or partition does not follow the symbol)`;
            rejected.push({
              index,
              offset: r.records.offsets[index],
              reason: "misrouted",
              detail,
              original,
            });
            return;
          }
          if (!core.add(t)) return;
          count++;
          if (t.ts > maxTs) maxTs = t.ts;
          const newest = latest.get(t.symbol);
          if (newest === undefined || t.ts >= newest.ts) latest.set(t.symbol, t);
        }, (index, reason, detail) => {
          const original = recordValue(r.records, index).slice();
          rejected.push({ index, offset: r.records.offsets[index], reason, detail, original });
        });
        break;
      case "restore":
        core.restore(r);
        break;
      case "flush":
        core.flush();
        break;
      case "idle":
        advanced = core.idle(r.quietMs, r.timeoutMs);
        break;
      case "close":
        this.#partitions.delete(r.partition);
        break;
    }
    return {
      output: core.take(),
      count,
      latest: [...latest.values()],
      tally: takeTally(p.tally),
      rejected,
      maxTs,
      advanced,
      watermark: core.watermark,
      lateRejected: core.lateRejected,
      lateRevised: core.lateRevised,
    };
  }
}
