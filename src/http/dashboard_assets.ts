/**
 * The dashboard's files (web/), embedded in the program when it is loaded: the pipeline serves
 * them with no read permission and no path from a request ever reaching the file system. The
 * chart library is the copy in web/vendor/ (tools/vendor_web.ts; tests/web/vendored_chart_test.ts
 * checks it is the pinned package's). Each is served with its type, an ETag and a strict
 * Content-Security-Policy.
 * @module
 */
import alerts_view_js from "../../web/alerts_view.js" with { type: "text" };
import api_js from "../../web/api.js" with { type: "text" };
import app_css from "../../web/app.css" with { type: "text" };
import app_js from "../../web/app.js" with { type: "text" };
import candle_book_js from "../../web/candle_book.js" with { type: "text" };
import chart_setup_js from "../../web/chart_setup.js" with { type: "text" };
import dom_js from "../../web/dom.js" with { type: "text" };
import favicon_svg from "../../web/favicon.svg" with { type: "text" };
import format_js from "../../web/format.js" with { type: "text" };
import health_view_js from "../../web/health_view.js" with { type: "text" };
import index_html from "../../web/index.html" with { type: "text" };
import indicators_js from "../../web/indicators.js" with { type: "text" };
import live_js from "../../web/live.js" with { type: "text" };
import overview_js from "../../web/overview.js" with { type: "text" };
import prefs_js from "../../web/prefs.js" with { type: "text" };
import sparkline_js from "../../web/sparkline.js" with { type: "text" };
import symbol_view_js from "../../web/symbol_view.js" with { type: "text" };
import lightweightCharts from "../../web/vendor/lightweight-charts.mjs" with { type: "text" };

/** One file, ready to send. */
export interface Asset {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
  readonly etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
};

const SOURCES: ReadonlyArray<readonly [string, string]> = [
  ["alerts_view.js", alerts_view_js],
  ["api.js", api_js],
  ["app.css", app_css],
  ["app.js", app_js],
  ["candle_book.js", candle_book_js],
  ["chart_setup.js", chart_setup_js],
  ["dom.js", dom_js],
  ["favicon.svg", favicon_svg],
  ["format.js", format_js],
  ["health_view.js", health_view_js],
  ["index.html", index_html],
  ["indicators.js", indicators_js],
  ["live.js", live_js],
  ["overview.js", overview_js],
  ["prefs.js", prefs_js],
  ["sparkline.js", sparkline_js],
  ["symbol_view.js", symbol_view_js],
  ["vendor/lightweight-charts.mjs", lightweightCharts],
];

/**
 * Served with every dashboard file: scripts, styles, images and connections from this origin
 * only — no inline script or style, no eval, no framing, no plugins.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Every asset by the path it is served at (`/` is index.html). Synchronous, so the server listens
 * at once even while a replay at full speed keeps the event loop busy.
 */
export function dashboardAssets(): ReadonlyMap<string, Asset> {
  const out = new Map<string, Asset>();
  const encoder = new TextEncoder();
  for (const [name, text] of SOURCES) {
    const body = encoder.encode(text);
    const ext = name.slice(name.lastIndexOf(".") + 1);
    const asset = {
      body,
      contentType: TYPES[ext] ?? "application/octet-stream",
      etag: `"${fnv1a(body, 0x811c9dc5)}${fnv1a(body, 0x050c5d1f)}-${body.length.toString(16)}"`,
    };
    out.set(name === "index.html" ? "/" : `/assets/${name}`, asset);
  }
  return out;
}

/** 32-bit FNV-1a of `bytes` from `seed`, as 8 hex digits: enough to tell versions apart. */
function fnv1a(bytes: Uint8Array, seed: number): string {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** The response for `asset`: 304 when the client holds this version. */
export function assetResponse(asset: Asset, ifNoneMatch: string | null): Response {
  const headers = {
    "content-type": asset.contentType,
    "cache-control": "no-cache",
    etag: asset.etag,
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
  };
  if (ifNoneMatch === asset.etag) return new Response(null, { status: 304, headers });
  return new Response(asset.body, {
    headers: { ...headers, "content-length": String(asset.body.length) },
  });
}
