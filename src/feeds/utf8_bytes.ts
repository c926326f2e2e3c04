/**
 * Showing untrusted bytes as text: where UTF-8 breaks, and a faithful rendering for a dead
 * letter's `raw` (which is text). Only rejected input comes here, so plain loops suffice.
 * @module
 */

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Offset of the first byte that does not start a valid UTF-8 sequence (WHATWG rules: no overlong
 * forms, no surrogates, nothing above U+10FFFF, no truncated sequence), or -1 when all are valid.
 *
 * @example
 * ```ts
 * import { invalidUtf8Offset } from "./utf8_bytes.ts";
 * invalidUtf8Offset(new Uint8Array([0x78, 0xff])); // 1
 * invalidUtf8Offset(new TextEncoder().encode("x€")); // -1
 * ```
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const n = sequenceLength(bytes, i);
    if (n === 0) return i;
    i += n;
  }
  return -1;
}

/**
 * The bytes as text: valid UTF-8 as itself, every byte of an invalid sequence as `\xHH` (Python's
 * `backslashreplace`), so distinct byte strings stay distinct and the bad bytes are visible. A
 * literal `\x` in valid text is not escaped: read the offset in the dead letter's detail.
 *
 * @example
 * ```ts
 * import { escapeInvalidUtf8 } from "./utf8_bytes.ts";
 * escapeInvalidUtf8(new Uint8Array([0x78, 0xc3])); // "x\\xc3"
 * ```
 */
export function escapeInvalidUtf8(bytes: Uint8Array): string {
  let out = "";
  let run = 0; // start of the current run of valid sequences
  for (let i = 0; i < bytes.length;) {
    const n = sequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += decoder.decode(bytes.subarray(run, i)) + "\\x" + bytes[i].toString(16).padStart(2, "0");
    run = ++i;
  }
  return out + decoder.decode(bytes.subarray(run));
}

/**
 * `bytes[0, end)` where `end` cuts a longer text: a last character that would need bytes past
 * `end` is dropped, so a prefix of valid text stays valid. Only the bytes before `end` are read.
 */
export function utf8Prefix(bytes: Uint8Array, end: number): Uint8Array {
  // Back over up to three continuation bytes to the lead byte of the last character.
  let lead = end - 1;
  while (lead > end - 4 && lead > 0 && (bytes[lead] & 0xc0) === 0x80) lead--;
  const c = bytes[lead];
  const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  return bytes.subarray(0, lead >= 0 && lead + need > end ? lead : end);
}

/** Length of the valid UTF-8 sequence at `i`, or 0 when it is not one. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) need = 1;
  else if (c >= 0xe0 && c <= 0xef) {
    need = 2;
    if (c === 0xe0) lo = 0xa0; // overlong
    else if (c === 0xed) hi = 0x9f; // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3;
    if (c === 0xf0) lo = 0x90; // overlong
    else if (c === 0xf4) hi = 0x8f; // above U+10FFFF
  } else return 0;
  if (i + need >= b.length) return 0; // truncated
  for (let k = 1; k <= need; k++) {
    const x = b[i + k];
    if (x < lo || x > hi) return 0;
    lo = 0x80;
    hi = 0xbf;
  }
  return need + 1;
}
