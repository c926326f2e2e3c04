/**
 * Bounding per-symbol state: when a map outgrows its limit, the entry whose newest event is
 * oldest goes. Only hostile or unusually wide input ever reaches a limit, so the O(n) scan runs
 * rarely; ties go to the smallest key, so the same input always evicts the same entries.
 * @module
 */

/**
 * Deletes entries of `map` while it holds more than `limit`, oldest `age` first (ties: smallest
 * key first). Returns the keys deleted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evictOldest } from "./evict_oldest.ts";
 * const m = new Map([["a", 3], ["b", 1], ["c", 2]]);
 * assert.deepEqual(evictOldest(m, 2, (v) => v), ["b"]);
 * ```
 */
export function evictOldest<V>(
  map: Map<string, V>,
  limit: number,
  age: (value: V) => number,
): string[] {
  const gone: string[] = [];
  while (map.size > limit) {
    let oldestKey: string | undefined;
    let oldest = Infinity;
    for (const [key, value] of map) {
      const a = age(value);
      if (oldestKey === undefined || a < oldest || (a === oldest && key < oldestKey)) {
        oldestKey = key;
        oldest = a;
      }
    }
    map.delete(oldestKey!);
    gone.push(oldestKey!);
  }
  return gone;
}
