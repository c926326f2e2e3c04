import assert from "node:assert/strict";
import { TickCounts } from "../../actors/windows/tick_counts.ts";
import { LabelBudget, TickLabelBudget } from "../../src/telemetry/label_budget.ts";

Deno.test("LabelBudget admits the first keys up to its limit and remembers no more", () => {
  const budget = new LabelBudget(2);
  assert.deepEqual(["a", "b", "c", "a", "d"].map((k) => budget.admit(k)), [
    true,
    true,
    false,
    true,
    false,
  ]);
  assert.equal(budget.size, 2);
});

Deno.test("TickCounts folds pairs beyond the budget into other/other and keeps every count", () => {
  const counts = new TickCounts(new TickLabelBudget({ sources: 2, pairs: 3 }));
  const tick = (source: string, symbol: string) => ({
    source,
    symbol,
    price: 1,
    size: 1,
    ts: 0,
    id: "1",
  });
  for (let i = 0; i < 1000; i++) counts.record(tick(`s${i % 5}`, `X${i % 7}-USD`));
  const rows: [string, string, number][] = [];
  counts.drain((source, symbol, count) => rows.push([source, symbol, count]));
  assert.ok(rows.length <= 4, `at most 3 pairs and other: ${JSON.stringify(rows)}`);
  assert.equal(rows.reduce((n, r) => n + r[2], 0), 1000, "no tick lost from the counts");
  assert.ok(rows.some(([s, y]) => s === "other" && y === "other"));
});
