/**
 * Starts the embedded pipeline (simulator, forecasts on, so the forecast worker starts) with its
 * HTTP port already taken, prints the start's error and returns without `Deno.exit`: the process
 * ends by itself only if the failed start left nothing running (actors, timers, the worker).
 * @module
 */
import { startTestPipeline } from "./test_pipeline.ts";

using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (held.addr as Deno.NetAddr).port;
try {
  await startTestPipeline([
    "--source=simulator",
    "--sim-warmup=10m",
    "--sqlite=",
    "--forecast-models=ewma",
    `--http=127.0.0.1:${port}`,
  ]);
  await Deno.stdout.write(new TextEncoder().encode("started, which it should not have\n"));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  await Deno.stdout.write(new TextEncoder().encode(`start failed: ${message}\n`));
}
