/**
 * Copies the browser build of the chart library, pinned in deno.json ("lightweight-charts"), to
 * web/vendor/ where the dashboard's assets are embedded from (src/http/dashboard_assets.ts). The
 * pipeline then serves it with no npm package, node_modules or read permission at run time, and
 * no CDN. tests/web/vendored_chart_test.ts fails when the copy differs from the pinned package, so
 * bumping the version means running `deno task web:vendor` and committing the result.
 * @module
 */
import { version } from "lightweight-charts";

/** The package's self-contained ES module (fancy-canvas bundled in). */
export const VENDORED_FROM = new URL(
  "../node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.mjs",
  import.meta.url,
);
/** Where the dashboard takes it from. */
export const VENDORED_TO = new URL("../web/vendor/lightweight-charts.mjs", import.meta.url);

if (import.meta.main) {
  await Deno.copyFile(VENDORED_FROM, VENDORED_TO);
  // deno-lint-ignore no-console
  console.log(`web/vendor/lightweight-charts.mjs: lightweight-charts ${version()}`);
}
