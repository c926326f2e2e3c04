/**
 * The PostgreSQL store: raw ticks, alerts and dead letters, written idempotently in one statement
 * per batch (column arrays through `unnest`, so a batch of any size binds 7 parameters and never
 * approaches the 65,534-parameter limit).
 * @module
 */
import postgres, { type Sql } from "postgres";
import type { Alert } from "../../market/alert.ts";
import type { DeadLetter } from "../../market/dead_letter.ts";
import type { Tick } from "../../market/tick.ts";
import type { Logger } from "../../logger.ts";
import { silentLogger } from "../../logger.ts";
import { SinkMetrics } from "../sink_metrics.ts";
import type { Store } from "../store.ts";
import {
  type PostgresStoreConfig,
  type PostgresStoreOptions,
  resolvePostgresConfig,
} from "./postgres_config.ts";
import { toPostgresError, WriteTimeoutError } from "./postgres_errors.ts";
import { applyMigrations } from "./migrations.ts";

const EPOCH_MS = `timestamptz 'epoch' + interval '1 millisecond' *`;

/**
 * Writes ticks, alerts and dead letters to PostgreSQL. Each write is one statement (one implicit
 * transaction): it resolves once committed, and throws a {@linkcode StoreError} whose `retriable`
 * says whether the same batch may be retried.
 *
 * @example
 * ```ts ignore
 * const store = new PostgresStore({ url: "postgres://root@127.0.0.1:5432/test" });
 * await store.migrate();
 * await store.writeTicks([{ source: "sim", symbol: "BTC-USD", id: "1", price: 1, size: 1, ts: 0 }]);
 * await store.close();
 * ```
 */
export class PostgresStore implements Store {
  readonly name = "postgres";
  readonly config: PostgresStoreConfig;
  /** The underlying postgres.js pool (for read queries and tests). */
  readonly sql: Sql;
  readonly #metrics: SinkMetrics;
  readonly #log: Logger;
  readonly #q: string;
  readonly #insertTicks: string;
  readonly #insertAlerts: string;
  readonly #insertDeadLetters: string;

  constructor(options: PostgresStoreOptions) {
    this.config = resolvePostgresConfig(options);
    this.#metrics = new SinkMetrics(options.registry, "postgres");
    this.#log = (options.logger ?? silentLogger).child("postgres");
    const c = this.config;
    this.sql = postgres(c.url, {
      max: c.poolSize,
      connect_timeout: Math.ceil(c.connectTimeoutMs / 1000),
      ...(c.ssl === undefined ? {} : { ssl: c.ssl as never }),
      connection: { statement_timeout: c.statementTimeoutMs, application_name: "crypto-pipeline" },
      onnotice: (notice) => this.#log.debug("notice", { message: notice.message }),
    });
    const q = this.#q = `"${c.schema}"`;
    this.#insertTicks = `INSERT INTO ${q}.ticks (source, symbol, id, price, size, ts, side)
      SELECT s, y, i, p, z, ${EPOCH_MS} t, d
      FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::int8[], $7::text[])
        AS u(s, y, i, p, z, t, d)
      ON CONFLICT DO NOTHING`;
    this.#insertAlerts = `INSERT INTO ${q}.alerts
        (id, symbol, interval, rule, severity, value, threshold, window_start, message, venue)
      SELECT i, y, n, r, v, x, h, ${EPOCH_MS} w, m, e
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[],
        $7::float8[], $8::int8[], $9::text[], $10::text[]) AS u(i, y, n, r, v, x, h, w, m, e)
      ON CONFLICT DO NOTHING`;
    this.#insertDeadLetters =
      `INSERT INTO ${q}.dead_letters (reason, detail, raw, source, ts, raw_md5)
      SELECT r, d, w, s, ${EPOCH_MS} t, md5(w)
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[]) AS u(r, d, w, s, t)
      ON CONFLICT DO NOTHING`;
  }

  /** Applies pending migrations under an advisory lock; safe when instances start together. */
  async migrate(): Promise<void> {
    try {
      const applied = await applyMigrations(this.sql, this.config.schema);
      if (applied.length) this.#log.info("migrated", { schema: this.config.schema, applied });
    } catch (err) {
      throw toPostgresError("apply migrations", err);
    }
  }

  /** Inserts ticks; ticks already stored (same source, symbol, id) are skipped. */
  writeTicks(ticks: readonly Tick[]): Promise<void> {
    if (ticks.length === 0) return Promise.resolve();
    const n = ticks.length;
    const cols = [[], [], [], [], [], [], []] as unknown[][];
    for (let k = 0; k < n; k++) {
      const t = ticks[k];
      cols[0].push(pgText(t.source));
      cols[1].push(pgText(t.symbol));
      cols[2].push(pgText(t.id));
      cols[3].push(t.price);
      cols[4].push(t.size);
      cols[5].push(t.ts);
      cols[6].push(t.side ?? null);
    }
    return this.#run("ticks", n, this.#insertTicks, cols);
  }

  /** Inserts alerts; an alert id already stored is skipped. */
  writeAlerts(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return Promise.resolve();
    const cols = [[], [], [], [], [], [], [], [], [], []] as unknown[][];
    for (const a of alerts) {
      cols[0].push(pgText(a.id));
      cols[1].push(pgText(a.symbol));
      cols[2].push(pgText(a.interval));
      cols[3].push(a.rule);
      cols[4].push(a.severity);
      cols[5].push(a.value);
      cols[6].push(a.threshold);
      cols[7].push(a.window_start);
      cols[8].push(pgText(a.message));
      cols[9].push(pgText(a.venue));
    }
    return this.#run("alerts", alerts.length, this.#insertAlerts, cols);
  }

  /** Inserts dead letters; the same letter (source, reason, raw) written twice is kept once. */
  writeDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return Promise.resolve();
    const cols = [[], [], [], [], []] as unknown[][];
    for (const l of letters) {
      cols[0].push(l.reason);
      cols[1].push(pgText(l.detail));
      cols[2].push(pgText(l.raw));
      cols[3].push(pgText(l.source));
      cols[4].push(l.ts);
    }
    return this.#run("dead_letters", letters.length, this.#insertDeadLetters, cols);
  }

  /**
   * Retention: deletes ticks with event time before `beforeMs`; returns how many. Run it
   * periodically (the ticks table is not partitioned; the BRIN index on ts keeps this cheap).
   */
  async deleteTicksBefore(beforeMs: number): Promise<number> {
    try {
      const res = await this.sql.unsafe(
        `DELETE FROM ${this.#q}.ticks WHERE ts < ${EPOCH_MS} $1::int8`,
        [beforeMs],
      );
      return res.count;
    } catch (err) {
      throw toPostgresError("delete old ticks", err);
    }
  }

  /** Closes the pool, letting running queries finish for up to `timeoutSeconds`. */
  async close(timeoutSeconds = 5): Promise<void> {
    await this.sql.end({ timeout: timeoutSeconds });
  }

  #run(table: string, rows: number, text: string, params: unknown[][]): Promise<void> {
    return this.#metrics.track(
      table,
      rows,
      () => this.#bounded(this.sql.unsafe(text, params as never, { prepare: true }).execute()),
      (err) => toPostgresError(`write ${table}`, err),
    );
  }

  /**
   * postgres.js retries a connection that closes during its handshake forever and keeps the query
   * queued, so without this bound a write to a half-dead endpoint would never settle.
   */
  async #bounded(query: { cancel(): unknown } & PromiseLike<unknown>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // The cancel request may itself fail on a dead network; nothing waits for it.
        Promise.resolve(query.cancel()).catch(() => {});
        reject(new WriteTimeoutError(this.config.writeTimeoutMs));
      }, this.config.writeTimeoutMs);
    });
    try {
      await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * PostgreSQL text cannot hold U+0000; it is stored as the six characters `\u0000` instead of
 * failing the whole batch forever (a dead letter's raw payload may well contain it).
 */
function pgText(s: string): string {
  return s.includes("\u0000") ? s.replaceAll("\u0000", "\\u0000") : s;
}
