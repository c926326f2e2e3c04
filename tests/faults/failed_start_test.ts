/**
 * A start that fails after the actors are up stops what it started before reporting the cause.
 * @module
 */
import assert from "node:assert/strict";

Deno.test("pipeline: a start that fails (its HTTP port taken) leaves nothing running, the forecast worker included", async () => {
  const probe = new URL("../helpers/failed_start_probe.ts", import.meta.url);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", probe.href],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The probe returns without Deno.exit: anything left running keeps it alive past this deadline.
  const deadline = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const out = await child.output();
  clearTimeout(deadline);
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.signal, null, `the probe did not end by itself: ${text}`);
  assert.equal(out.code, 0, text);
  assert.match(text, /start failed: .*(in use|AddrInUse)/i);
});
