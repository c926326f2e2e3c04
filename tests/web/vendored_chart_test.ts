// The chart library the dashboard serves is exactly the pinned npm package's browser build, and
// every file under web/ is embedded and served with the strict policy.
import assert from "node:assert/strict";
import { version } from "lightweight-charts";
import { VENDORED_FROM, VENDORED_TO } from "../../tools/vendor_web.ts";
import {
  assetResponse,
  CONTENT_SECURITY_POLICY,
  dashboardAssets,
} from "../../src/http/dashboard_assets.ts";

const WEB = new URL("../../web/", import.meta.url);

Deno.test("web/vendor holds the pinned lightweight-charts build, byte for byte", async () => {
  const pinned = await Deno.readFile(VENDORED_FROM);
  const vendored = await Deno.readFile(VENDORED_TO);
  assert.ok(
    pinned.length === vendored.length && pinned.every((b, i) => b === vendored[i]),
    `web/vendor/lightweight-charts.mjs is not lightweight-charts ${version()}'s: run deno task web:vendor`,
  );
  assert.match(new TextDecoder().decode(vendored.slice(0, 200)), new RegExp(`v${version()}`));
});

Deno.test("every file under web/ is embedded and served at its path", async () => {
  const assets = dashboardAssets();
  const files: string[] = [];
  for await (const e of Deno.readDir(WEB)) if (e.isFile) files.push(e.name);
  for await (const e of Deno.readDir(new URL("vendor/", WEB))) files.push(`vendor/${e.name}`);
  for (const name of files) {
    const path = name === "index.html" ? "/" : `/assets/${name}`;
    const asset = assets.get(path);
    assert.ok(asset, `${name} embedded`);
    assert.deepEqual(asset.body, await Deno.readFile(new URL(name, WEB)), `${name} up to date`);
  }
  assert.equal(assets.size, files.length);
});

Deno.test("assets: strict CSP, nosniff, and 304 for a known ETag", async () => {
  const assets = dashboardAssets();
  const page = assets.get("/")!;
  const res = assetResponse(page, null);
  assert.equal(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|\*/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'/);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  await res.body?.cancel();
  assert.equal(assetResponse(page, page.etag).status, 304);
  assert.equal(assets.get("/assets/app.js")!.contentType, "text/javascript; charset=utf-8");
});

Deno.test("web/: no inline script or style, no HTML built from strings", async () => {
  const html = await Deno.readTextFile(new URL("index.html", WEB));
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, "inline <script>");
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, "inline style or handler");
  for await (const e of Deno.readDir(WEB)) {
    if (!e.name.endsWith(".js")) continue;
    const js = await Deno.readTextFile(new URL(e.name, WEB));
    assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, e.name);
    assert.doesNotMatch(js, /\beval\(|new Function\(|\.style\b/, e.name);
  }
});
