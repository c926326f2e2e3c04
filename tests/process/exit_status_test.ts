import assert from "node:assert/strict";
import { exitReport, LINUX_SIGNAL_NUMBERS } from "../../src/process/exit_status.ts";

const died = (signal: Deno.Signal): Deno.CommandStatus => ({ success: false, code: 1, signal });

Deno.test("exitReport() mirrors a plain exit code and logs nothing", () => {
  for (const code of [0, 1, 2, 129]) {
    assert.deepEqual(exitReport({ success: code === 0, code, signal: null }, 384), {
      code,
      message: null,
      outOfMemory: false,
    });
  }
});

Deno.test("exitReport() gives 128 + the signal's number, not 143 for every signal", () => {
  const expected: [Deno.Signal, number][] = [
    ["SIGHUP", 129],
    ["SIGINT", 130],
    ["SIGQUIT", 131],
    ["SIGABRT", 134],
    ["SIGKILL", 137],
    ["SIGSEGV", 139],
    ["SIGPIPE", 141],
    ["SIGTERM", 143],
    ["SIGUSR1", 138],
    ["SIGXCPU", 152],
  ];
  for (const [signal, code] of expected) {
    const report = exitReport(died(signal), 384);
    assert.equal(report.code, code, signal);
    assert.equal(report.message, `pipeline died of ${signal} (exit ${code})`);
  }
});

Deno.test("exitReport() maps every Linux signal name Deno knows to its number", async () => {
  // Deno's own status for a killed child carries 128 + signal in `code`: the table must agree.
  for (const signal of ["SIGKILL", "SIGTERM", "SIGUSR2", "SIGALRM"] as const) {
    const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
    child.kill(signal);
    const status = await child.status;
    assert.equal(status.signal, signal);
    assert.equal(exitReport(status, 384).code, status.code, signal);
  }
  const numbers = Object.values(LINUX_SIGNAL_NUMBERS);
  assert.equal(numbers.length, 33, "every Deno.Signal but SIGBREAK, SIGEMT and SIGINFO");
  assert.ok(numbers.every((n) => Number.isInteger(n) && n >= 1 && n <= 31));
});

Deno.test("exitReport() names out of memory for V8's SIGTRAP, with the heap limit", () => {
  const report = exitReport(died("SIGTRAP"), 64);
  assert.equal(report.code, 133);
  assert.equal(report.outOfMemory, true);
  assert.match(report.message!, /ran out of memory .*heap limit 64 MB, raise --heap-limit/);
});

Deno.test("exitReport() falls back to Deno's code for a signal Linux does not name", () => {
  const report = exitReport({ success: false, code: 158, signal: "SIGINFO" }, 384);
  assert.equal(report.code, 158);
});
