/**
 * Running the command-line tools the monitoring tests need (docker-compose, promtool, prometheus),
 * with the suite's rule: under CI=true a missing tool fails, elsewhere the test is skipped.
 * @module
 */
import { requireService } from "../helpers/services.ts";

/** The repository root, so tools run with the paths compose.yaml and the configs expect. */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** What a finished command printed. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cmd args` in the repository root and collects its output. */
export async function run(cmd: string, args: readonly string[]): Promise<CommandResult> {
  const out = await new Deno.Command(cmd, {
    args: [...args],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * True when `tool` is on PATH and runs with `probeArgs`. Under CI a missing tool throws; elsewhere
 * a skip reason is printed and false returned.
 */
export function requireTool(tool: string, probeArgs: readonly string[] = ["--version"]) {
  return requireService(tool, async () => {
    const r = await run(tool, probeArgs);
    if (r.code !== 0) throw new Error(`${tool} ${probeArgs.join(" ")} exited ${r.code}`);
  });
}
