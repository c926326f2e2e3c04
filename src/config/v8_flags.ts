/**
 * V8 flags of the pipeline process (`deno task start` passes them to its child; the embedded
 * benchmark runs the pipeline with them too).
 * @module
 */

/**
 * A ceiling on V8's old generation (default 384 MB, `--heap-limit`). Why: the pipeline's live heap is small (30–60 MB replaying 2 M
 * ticks over 50 symbols), but ticks promoted while queued die in the old generation, and V8 grows
 * its limit from the live size at each full GC by up to 4×; a full GC that lands on a burst of
 * queued ticks then let the heap grow to ~450 MB committed (peak RSS 260–520 MB across identical
 * runs). With a ceiling V8 grows the limit by smaller factors: peak RSS ~195–220 MB over the
 * same runs, at about the same speed. 384 MB leaves a wide margin above the live heap; a
 * deployment with far more live state (many symbols, long warm-up histories) raises it.
 */
export function v8FlagsArg(heapLimitMb = 384): string {
  return `--v8-flags=--max-old-space-size=${heapLimitMb}`;
}
