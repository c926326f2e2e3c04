/**
 * Reads a text file as lines in large chunks: the replay's hot loop, so no stream-of-strings
 * plumbing, one decode per chunk and a split.
 * @module
 */

/** A batch of complete lines and how far into the file they reach. */
export interface LineChunk {
  readonly lines: string[];
  /** 1-based number of the first line in `lines`. */
  readonly firstLine: number;
  /** Bytes consumed so far. */
  readonly bytesRead: number;
}

/** Yields the file's lines in chunks of about `chunkBytes`. A final line without `\n` counts. */
export async function* readLines(
  path: string,
  chunkBytes = 1 << 20,
): AsyncGenerator<LineChunk> {
  using file = await Deno.open(path, { read: true });
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(chunkBytes);
  let carry = "";
  let lineNo = 1;
  let bytesRead = 0;
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    bytesRead += n;
    // The carried partial line joins the chunk's first line, not the chunk: `carry + text` would
    // copy the whole chunk into a second large string on every read.
    const lines = decoder.decode(buffer.subarray(0, n), { stream: true }).split("\n");
    const last = lines.pop() ?? "";
    if (lines.length === 0) {
      carry += last;
      continue;
    }
    if (carry.length > 0) lines[0] = carry + lines[0];
    carry = last;
    yield { lines, firstLine: lineNo, bytesRead };
    lineNo += lines.length;
  }
  carry += decoder.decode();
  if (carry.length > 0) yield { lines: [carry], firstLine: lineNo, bytesRead };
}
