/**
 * The embedded benchmark's limit line: bare `JSON.parse` over the lines of the same NDJSON file,
 * held in memory (read and split before the clock starts), nothing else — what no reader, parser
 * or pipeline in JavaScript can beat. Prints the best of 3 passes in lines/s.
 * @module
 */
const text = new TextDecoder().decode(await Deno.readFile(Deno.args[0]));
const lines = text.split("\n").filter((l) => l.length > 0);
let best = 0;
let checksum = 0;
for (let pass = 0; pass < 3; pass++) {
  const t0 = performance.now();
  for (const line of lines) {
    try {
      checksum += JSON.parse(line).ts & 1;
    } catch {
      // The fixture's bad lines (~0.5 %) count as parsed, as in plain_json_read.ts.
    }
  }
  best = Math.max(best, lines.length / ((performance.now() - t0) / 1000));
}
await Deno.stdout.write(new TextEncoder().encode(`${Math.round(best)} ${checksum}\n`));
