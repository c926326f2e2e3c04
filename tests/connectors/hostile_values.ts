/**
 * Strings that break naive escaping, shared by the store round-trip tests.
 * @module
 */

/** Quotes, backslashes, SQL injection, control characters, unicode and a very long string. */
export const HOSTILE_STRINGS: readonly string[] = [
  "x'); DROP TABLE candles; --",
  `it's "quoted" \`back\``,
  "back\\slash\\\\double \\' \\n",
  "line\nbreak\ttab\rreturn",
  "ünïcödé 日本語 🚀 \u{1F4A9} \u200B zero-width",
  '{"json": [1, 2, {"a": null}]}',
  "${not_a_template} {p:String} $1 %s",
  "x".repeat(100_000),
];

/** Field-sized hostile strings (identity columns stay reasonably short). */
export function hostile(i: number): string {
  return HOSTILE_STRINGS[i % HOSTILE_STRINGS.length];
}
