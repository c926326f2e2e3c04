/**
 * Runs a probe script under exactly the permission flags the launcher gives the pipeline for
 * `config` (src/config/permissions.ts): what a worker thread can load there, the probe can.
 * @module
 */
import { permissionFlags } from "../../src/config/permissions.ts";
import type { PipelineConfig } from "../../src/config/pipeline_config.ts";

/** The probe's exit code and everything it printed; `args` are the probe's own. */
export async function runUnderLauncherPermissions(
  config: PipelineConfig,
  probe: URL,
  args: readonly string[] = [],
): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...permissionFlags(config), probe.href, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}
