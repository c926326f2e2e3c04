// The dashboard's entry point: header controls, the hash router and the live stream.
import { instanceInfo } from "./api.js";
import { el, replace } from "./dom.js";
import { onState, startLive } from "./live.js";
import { setTheme, setUtc, theme, utc } from "./prefs.js";
import { alertsView } from "./alerts_view.js";
import { healthView } from "./health_view.js";
import { overviewView } from "./overview.js";
import { symbolView } from "./symbol_view.js";

/** @typedef {{ node: HTMLElement, dispose: () => void }} View */

const main = /** @type {HTMLElement} */ (document.getElementById("view"));
/** @type {View|null} */
let current = null;

async function boot() {
  document.documentElement.dataset.theme = theme();
  const themeButton = /** @type {HTMLButtonElement} */ (document.getElementById("theme"));
  const utcBox = /** @type {HTMLInputElement} */ (document.getElementById("utc"));
  const status = /** @type {HTMLElement} */ (document.getElementById("status"));
  themeButton.addEventListener("click", () => setTheme(theme() === "dark" ? "light" : "dark"));
  utcBox.checked = utc();
  utcBox.addEventListener("change", () => setUtc(utcBox.checked));
  onState((s) => {
    status.textContent = s;
    status.dataset.state = s;
  });
  try {
    const info = await instanceInfo();
    startLive(info.stream);
    document.body.dataset.role = info.role;
  } catch (err) {
    replace(main, el("p", { class: "error" }, `Cannot reach the pipeline: ${err}`));
    return;
  }
  addEventListener("hashchange", route);
  await route();
}

/** Shows the view the location's hash names. */
async function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query ?? "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  current?.dispose();
  current = null;
  for (const a of document.querySelectorAll("nav a")) {
    const section = (a.getAttribute("href") ?? "").replace(/^#\//, "");
    const current = section === (parts[0] ?? "") || (section === "" && parts[0] === "symbol");
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const info = await instanceInfo();
  /** @type {View} */
  let view;
  if (parts[0] === "symbol" && parts[1]) view = symbolView(parts[1], params, info);
  else if (parts[0] === "alerts") view = alertsView(params, info);
  else if (parts[0] === "health") view = healthView(info);
  else view = overviewView(params, info);
  current = view;
  replace(main, view.node);
  main.focus({ preventScroll: true });
}

void boot();
