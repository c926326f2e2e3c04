/**
 * `deno task bench`: runs every `bench/*_bench.ts` in its own process, one after another, so one
 * benchmark's garbage and JIT state never colour another's. Each prints one JSON line per result:
 * `{"bench":…,"msgs_per_s":…,"baseline":…,"ratio":…}`. Pass names to run a subset:
 * `deno task bench runtime analytics`.
 * @module
 */

const dir = new URL(".", import.meta.url);
const only = Deno.args;
const files: string[] = [];
for await (const entry of Deno.readDir(dir)) {
  if (!entry.isFile || !entry.name.endsWith("_bench.ts")) continue;
  const name = entry.name.slice(0, -"_bench.ts".length);
  if (only.length === 0 || only.includes(name)) files.push(entry.name);
}
files.sort();

let failed = 0;
for (const file of files) {
  const path = new URL(file, dir).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--v8-flags=--expose-gc", path],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const status = await child.status;
  if (!status.success) {
    failed++;
    // deno-lint-ignore no-console
    console.error(JSON.stringify({ bench: file, error: `exited with code ${status.code}` }));
  }
}
Deno.exit(failed === 0 ? 0 : 1);
