import assert from "node:assert/strict";
import { watchLauncher } from "../../src/process/launcher_watch.ts";
import { pollUntil } from "../helpers/services.ts";

Deno.test("watchLauncher() resolves once the parent pid is no longer the launcher's", async () => {
  let ppid = 4242;
  let checks = 0;
  const watch = watchLauncher(4242, { intervalMs: 5, ppid: () => (checks++, ppid) });
  let gone = false;
  watch.gone.then(() => (gone = true));
  // Still the launcher's child after a few polls.
  await pollUntil("three polls", () => checks >= 3, 5000, 5);
  assert.equal(gone, false);
  ppid = 1; // re-parented to init (or a subreaper)
  await watch.gone;
  const after = checks;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(checks, after, "polling stops once the launcher is gone");
});

Deno.test("watchLauncher() notices at once a launcher that died before the watch began", async () => {
  const watch = watchLauncher(4242, { intervalMs: 60_000, ppid: () => 1 });
  await watch.gone; // the 60 s interval never had to fire
});

Deno.test("watchLauncher() works with the real parent pid and stops on request", () => {
  const watch = watchLauncher(Deno.ppid, { intervalMs: 5 });
  watch.stop();
});
