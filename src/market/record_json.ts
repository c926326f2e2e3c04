/**
 * A record as JSON text for people and other programs (a dead letter's `raw`, the delivery
 * spool): its own fields, without those the pipeline derives for its own use (a tick's `idNum`).
 * @module
 */

// Keys the pipeline adds to records for itself: the value of `idNum` is `id` read as a number.
function omitDerived(key: string, value: unknown): unknown {
  return key === "idNum" ? undefined : value;
}

/**
 * `JSON.stringify(record)` without derived fields (undefined where `JSON.stringify` gives it).
 *
 * @example
 * ```ts
 * import { recordJson } from "./record_json.ts";
 * recordJson({ id: "7", idNum: 7 }); // '{"id":"7"}'
 * ```
 */
export function recordJson(record: unknown): string {
  return JSON.stringify(record, omitDerived);
}
