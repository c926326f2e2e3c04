/**
 * Results a store could not take before a stop ran out of time, kept on local disk and sent to
 * that store again at the next start (embedded mode). In Kafka mode nothing is spooled: the
 * offsets of undelivered results stay uncommitted (the barrier fails), and the next owner rebuilds
 * them from the log.
 *
 * One NDJSON file beside the SQLite database (`<database>-spool.ndjson`), a line per row:
 * `{"store":"clickhouse","kind":"candles","row":{…}}`. Appended synchronously when rows are given
 * up (the stop is ending; nothing else runs), bounded by {@linkcode MAX_SPOOL_BYTES}. At start,
 * before anything flows, each configured store is sent its rows; what it takes leaves the file,
 * what it does not (still down, or no longer configured) stays for the next start. Re-sending is
 * safe because every store upserts idempotently: a candle's higher version wins, so a spooled
 * older version never replaces a newer one written since.
 * @module
 */
import type { RecordKind } from "../../actors/sinks/sink_message.ts";
import { WRITERS } from "../../actors/sinks/store_sink.ts";
import type { Store } from "../connectors/store.ts";
import type { Logger } from "../logger.ts";
import { recordJson } from "../market/record_json.ts";

/** The spool stops growing here; rows beyond are only dead letters and counted as given up. */
export const MAX_SPOOL_BYTES = 256 * 1024 * 1024;

interface SpoolLine {
  readonly store: string;
  readonly kind: RecordKind;
  readonly row: unknown;
}

const KINDS: readonly RecordKind[] = ["dead_letters", "ticks", "candles", "indicators", "alerts"];

/** A spool file; see the module documentation. */
export class DeliverySpool {
  readonly path: string;
  readonly #log: Logger;
  readonly #maxBytes: number;

  constructor(path: string, log: Logger, maxBytes = MAX_SPOOL_BYTES) {
    this.path = path;
    this.#log = log;
    this.#maxBytes = maxBytes;
  }

  /** Appends `rows` for `store`; false when they could not be kept (logged). */
  keep(store: string, kind: RecordKind, rows: readonly unknown[]): boolean {
    if (rows.length === 0) return true;
    let text = "";
    for (const row of rows) text += recordJson({ store, kind, row }) + "\n";
    const bytes = new TextEncoder().encode(text);
    try {
      const size = this.#size();
      if (size + bytes.length > this.#maxBytes) {
        this.#log.error("delivery spool full; rows not kept for re-sending", {
          path: this.path,
          store,
          kind,
          rows: rows.length,
          bytes: size,
        });
        return false;
      }
      Deno.writeFileSync(this.path, bytes, { append: true, create: true, mode: 0o600 });
      this.#log.warn("rows spooled; they are sent again at the next start", {
        path: this.path,
        store,
        kind,
        rows: rows.length,
      });
      return true;
    } catch (error) {
      this.#log.error("delivery spool not written; rows not kept for re-sending", {
        path: this.path,
        store,
        kind,
        rows: rows.length,
        error,
      });
      return false;
    }
  }

  /**
   * Sends each store its spooled rows; rows a store did not take (or of stores not configured)
   * stay. Returns how many rows were sent and how many remain.
   */
  async redeliver(stores: readonly Store[]): Promise<{ sent: number; left: number }> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { sent: 0, left: 0 };
      throw error;
    }
    const byStore = new Map<string, Map<RecordKind, unknown[]>>();
    const kept: string[] = [];
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const parsed = parseLine(line);
      if (parsed === null) {
        // A torn last line (the process died while appending): nothing to send.
        this.#log.warn("delivery spool: unreadable line skipped", { path: this.path });
        continue;
      }
      const kinds = byStore.get(parsed.store) ?? new Map<RecordKind, unknown[]>();
      byStore.set(parsed.store, kinds);
      const rows = kinds.get(parsed.kind) ?? [];
      kinds.set(parsed.kind, rows);
      rows.push(parsed.row);
    }
    let sent = 0;
    for (const [name, kinds] of byStore) {
      const store = stores.find((s) => s.name === name);
      for (const kind of KINDS) {
        const rows = kinds.get(kind);
        if (!rows) continue;
        const write = store?.[WRITERS[kind]] as ((rows: unknown[]) => Promise<void>) | undefined;
        try {
          if (!store || !write) throw new Error(`store ${name} is not configured`);
          await write.call(store, rows);
          sent += rows.length;
        } catch (error) {
          this.#log.warn("spooled rows not sent; kept for the next start", {
            store: name,
            kind,
            rows: rows.length,
            error,
          });
          for (const row of rows) kept.push(recordJson({ store: name, kind, row }));
        }
      }
    }
    if (kept.length === 0) await Deno.remove(this.path);
    else {
      // A new file, then a rename: a crash in between leaves the old spool (re-sent again).
      const tmp = `${this.path}.tmp`;
      await Deno.writeTextFile(tmp, kept.join("\n") + "\n", { mode: 0o600 });
      await Deno.rename(tmp, this.path);
    }
    if (sent > 0 || kept.length > 0) {
      this.#log.info("delivery spool re-sent", { path: this.path, sent, left: kept.length });
    }
    return { sent, left: kept.length };
  }

  #size(): number {
    try {
      return Deno.statSync(this.path).size;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return 0;
      throw error;
    }
  }
}

function parseLine(line: string): SpoolLine | null {
  try {
    const v = JSON.parse(line) as Partial<SpoolLine>;
    if (typeof v?.store !== "string" || !KINDS.includes(v.kind as RecordKind)) return null;
    return { store: v.store, kind: v.kind as RecordKind, row: v.row };
  } catch {
    return null;
  }
}
