/**
 * Assertion helpers for {@linkcode StoreError}s, shared by the store tests.
 * @module
 */
import assert from "node:assert/strict";
import { StoreError, type StoreErrorKind } from "../../src/connectors/store_error.ts";

/** Asserts `err` is a StoreError with the expected retriability (and kind, when given). */
export function isStoreError(
  err: unknown,
  expected: { retriable: boolean; kind?: StoreErrorKind },
): true {
  if (!(err instanceof StoreError)) {
    assert.fail(`expected a StoreError, got ${err instanceof Error ? err.stack : String(err)}`);
  }
  assert.equal(err.retriable, expected.retriable, err.message);
  if (expected.kind) assert.equal(err.kind, expected.kind, err.message);
  return true;
}
