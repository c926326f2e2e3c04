/**
 * A one-line replay progress bar on stderr (terminals only): percent, lines, lines per second.
 * @module
 */

/** A progress bar; `update` matches the replay's progress callback. */
export interface ProgressBar {
  update(bytesRead: number, totalBytes: number, lines: number): void;
  done(): void;
}

const encoder = new TextEncoder();

/** Creates a progress bar that redraws at most ~10 times a second. */
export function createProgressBar(write = (s: string) => {
  Deno.stderr.writeSync(encoder.encode(s));
}): ProgressBar {
  const started = performance.now();
  let lastDraw = 0;
  let drawn = false;
  return {
    update(bytesRead, totalBytes, lines) {
      const now = performance.now();
      if (now - lastDraw < 100 && bytesRead < totalBytes) return;
      lastDraw = now;
      drawn = true;
      const fraction = totalBytes > 0 ? Math.min(1, bytesRead / totalBytes) : 1;
      const width = 30;
      const full = Math.round(fraction * width);
      const rate = lines / Math.max(0.001, (now - started) / 1000);
      write(
        `\r[${"#".repeat(full)}${"-".repeat(width - full)}] ${(fraction * 100).toFixed(1)}%  ` +
          `${lines.toLocaleString("en-US")} lines  ${Math.round(rate).toLocaleString("en-US")}/s `,
      );
    },
    done() {
      if (drawn) write("\n");
    },
  };
}
