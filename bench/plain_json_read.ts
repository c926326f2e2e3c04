/**
 * The embedded benchmark's reference: read an NDJSON file in 1 MiB chunks and JSON.parse every
 * line, nothing else. The pipeline's replay reads the same way.
 * @module
 */
import { readLines } from "../src/feeds/line_reader.ts";

let parsed = 0;
let checksum = 0;
for await (const chunk of readLines(Deno.args[0])) {
  if (chunk.kind !== "lines") continue; // a line too long or not UTF-8
  for (const line of chunk.lines) {
    if (line.length === 0) continue;
    try {
      const o = JSON.parse(line);
      checksum += o.ts & 1;
      parsed++;
    } catch {
      // Bad lines count as read.
    }
  }
}
await Deno.stdout.write(new TextEncoder().encode(`${parsed} ${checksum}\n`));
