import assert from "node:assert/strict";
import process from "node:process";
import { createLogger } from "../../src/logger.ts";
import { routeRuntimeWarnings } from "../../src/process/runtime_warnings.ts";
import { pollUntil } from "../helpers/services.ts";

Deno.test("runtime warnings become structured log lines: kafkajs' negative timeout at debug, others at warn", async () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "debug",
    pretty: false,
    write: (l) => lines.push(JSON.parse(l)),
  });
  const before = process.listenerCount("warning");
  const restore = routeRuntimeWarnings(log.child("runtime"));
  try {
    assert.equal(process.listenerCount("warning"), 1, "the runtime's own printer is replaced");
    // What the runtime emits, once per process, when kafkajs' request queue sets a negative
    // timeout (runtime_warnings.ts): emitted here directly, since an earlier one in this process
    // would have used up the runtime's own.
    process.emitWarning(
      "-1796609874338 is a negative number.\nTimeout duration was set to 1.",
      "TimeoutNegativeWarning",
    );
    process.emitWarning("something to look at", "PipelineTestWarning");
    await pollUntil("both warnings logged", () => lines.length === 2, {
      timeoutMs: 5000,
      describe: () => lines,
    });
    const byWarning = new Map(lines.map((l) => [l.warning, l]));
    assert.equal(byWarning.get("TimeoutNegativeWarning")?.level, "debug");
    assert.match(String(byWarning.get("TimeoutNegativeWarning")?.detail), /negative number/);
    assert.equal(byWarning.get("PipelineTestWarning")?.level, "warn");
    assert.equal(byWarning.get("PipelineTestWarning")?.detail, "something to look at");
    assert.ok(lines.every((l) => l.name === "runtime" && l.msg === "runtime warning"));
  } finally {
    restore();
  }
  assert.equal(process.listenerCount("warning"), before, "restored");
});
