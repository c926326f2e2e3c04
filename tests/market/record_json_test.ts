import assert from "node:assert/strict";
import { recordJson } from "../../src/market/record_json.ts";
import { TickParser } from "../../src/market/tick_parser.ts";

Deno.test("recordJson() writes a parsed tick without the idNum the pipeline derives, at any depth", () => {
  const line =
    '{"source":"s","symbol":"BTC-USD","price":1.5,"size":2,"ts":1700000000000,"id":"42"}';
  const tick = new TickParser({ idNumbers: true }).parseTick(line);
  assert.equal((tick as { idNum?: number }).idNum, 42);
  assert.equal(recordJson(tick), line);
  assert.equal(
    recordJson({ store: "x", kind: "ticks", row: tick }),
    `{"store":"x","kind":"ticks","row":${line}}`,
  );
  // Everything else as JSON.stringify gives it.
  for (const v of [null, 1, "a", [1, { a: 2 }], { id: "7", nested: { b: [true] } }]) {
    assert.equal(recordJson(v), JSON.stringify(v));
  }
});
