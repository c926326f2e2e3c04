/**
 * Checks of the replay file at load time, so a missing file, a directory or a CSV dump without a
 * symbol in its name is a configuration error (exit 2) reported with the others, before any
 * database is created — not a failure after start-up.
 * @module
 */
import { csvSymbolFromFileName } from "../feeds/csv_symbol.ts";
import type { ParsedOptions } from "./parsed_options.ts";

/**
 * What {@linkcode FileProbe} finds at a path. `stream`: a pipe, a FIFO or a character device
 * (`--replay-file /dev/stdin` replays what is piped in).
 */
export type FileKind = "file" | "directory" | "stream" | "missing" | "unreadable";

/** Looks at a path: injected so the loader stays pure (tests pass a fake). */
export type FileProbe = (path: string) => { readonly kind: FileKind; readonly detail?: string };

/** The real file system: follows symlinks; a regular file must also open for reading. */
export const probeFileSystem: FileProbe = (path) => {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { kind: "missing" };
    return { kind: "unreadable", detail: (e as Error).message };
  }
  if (info.isDirectory) return { kind: "directory" };
  if (!info.isFile) return { kind: "stream" };
  try {
    Deno.openSync(path, { read: true }).close();
    return { kind: "file" };
  } catch (e) {
    return { kind: "unreadable", detail: (e as Error).message };
  }
};

const PROBLEM: Record<Exclude<FileKind, "file" | "stream">, (file: string) => string> = {
  missing: (file) => `no such file "${file}"`,
  directory: (file) => `"${file}" is a directory, not a file`,
  unreadable: (file) => `cannot read "${file}"`,
};

/**
 * Problems of the replay file when `--source` includes replay: a CSV dump's name must yield a
 * symbol (as the replay feed derives it); with `probe`, the file must exist and be readable, and
 * not be a directory (a pipe is fine: it replays what is written into it).
 */
export function replayFileErrors(p: ParsedOptions, probe?: FileProbe): string[] {
  const file = p.values["replay-file"];
  if (file === undefined || p.invalid.has("source")) return [];
  if (!(p.values["source"] ?? []).includes("replay")) return [];
  const origin = p.origin("replay-file");
  const errors: string[] = [];
  const fileName = file.replace(/^.*[/\\]/, "");
  if (file.toLowerCase().endsWith(".csv") && !csvSymbolFromFileName(fileName)) {
    errors.push(
      `invalid ${origin}: a trade-dump CSV is named after its symbol ` +
        `(like BTCUSDT-trades-2024-01-01.csv), no symbol in "${fileName}"`,
    );
  }
  const found = probe?.(file);
  if (found && found.kind !== "file" && found.kind !== "stream") {
    const detail = found.detail ? ` (${found.detail})` : "";
    errors.push(`invalid ${origin}: ${PROBLEM[found.kind](file)}${detail}`);
  }
  return errors;
}
