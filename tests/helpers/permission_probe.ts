/**
 * Run under the permissions the launcher computes: tries each operation named on the command line
 * (`read:<path>`, `write:<path>`) and prints `{ "<op>": "ok" | "<error name>" }` as JSON.
 * @module
 */
const results: Record<string, string> = {};
for (const op of Deno.args) {
  const [kind, path] = [op.slice(0, op.indexOf(":")), op.slice(op.indexOf(":") + 1)];
  try {
    if (kind === "read") await Deno.readFile(path);
    else await Deno.writeTextFile(path, "probe", { append: true });
    results[op] = "ok";
  } catch (e) {
    results[op] = (e as Error).name;
  }
}
await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(results)));
