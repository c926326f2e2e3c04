/**
 * The one place values and identifiers are put into ClickHouse SQL text. ClickHouse 18.16 has no
 * server-side query parameters (`{p:Type}`), so every value in a query goes through
 * {@linkcode sqlValue}; identifiers are validated, never escaped.
 * @module
 */
import { PipelineError } from "../../errors.ts";

/** A value that may appear in SQL text. */
export type SqlScalar = string | number | bigint | boolean | null;

/** Thrown for a value or identifier that cannot be put into SQL safely. */
export class SqlEscapeError extends PipelineError {}

const ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "'": "\\'",
  "\0": "\\0",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};
// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE = /[\\'\u0000-\u001f\u007f]/g;

function escapeChar(ch: string): string {
  return ESCAPES[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
}

/**
 * Renders `value` as a ClickHouse literal: strings single-quoted with backslash escapes (valid on
 * 18.16 and current releases), finite numbers as numbers, booleans as 1/0, null as NULL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sqlValue } from "./sql_escape.ts";
 * assert.equal(sqlValue("x'); DROP TABLE candles; --"), "'x\\'); DROP TABLE candles; --'");
 * ```
 */
export function sqlValue(value: SqlScalar): string {
  switch (typeof value) {
    case "string":
      return `'${value.replace(NEEDS_ESCAPE, escapeChar)}'`;
    case "number":
      if (!Number.isFinite(value)) {
        throw new SqlEscapeError(`Cannot put ${value} into SQL: only finite numbers are allowed`);
      }
      return Object.is(value, -0) ? "0" : String(value);
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "1" : "0";
    default:
      if (value === null) return "NULL";
      throw new SqlEscapeError(`Cannot put a ${typeof value} into SQL`);
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Returns `name` back-quoted after checking it is a plain identifier; throws otherwise. */
export function sqlIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new SqlEscapeError(
      `Cannot use ${JSON.stringify(name)} as a ClickHouse identifier: it must match ${IDENTIFIER}`,
    );
  }
  return `\`${name}\``;
}
