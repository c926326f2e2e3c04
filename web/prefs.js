// User preferences kept in localStorage: theme and UTC display. Views follow changes.

/** @type {Set<() => void>} */
const watchers = new Set();

/** @returns {boolean} times shown in UTC rather than the browser's time zone */
export function utc() {
  return localStorage.getItem("dashboard.utc") === "1";
}

/** @param {boolean} on */
export function setUtc(on) {
  localStorage.setItem("dashboard.utc", on ? "1" : "0");
  for (const fn of watchers) fn();
}

/** @returns {"light"|"dark"} */
export function theme() {
  const t = localStorage.getItem("dashboard.theme");
  if (t === "light" || t === "dark") return t;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** @param {"light"|"dark"} t */
export function setTheme(t) {
  localStorage.setItem("dashboard.theme", t);
  document.documentElement.dataset.theme = t;
  for (const fn of watchers) fn();
}

/**
 * Calls `fn` whenever a preference changes; returns the function that stops it.
 * @param {() => void} fn
 * @returns {() => void}
 */
export function watchPrefs(fn) {
  watchers.add(fn);
  return () => watchers.delete(fn);
}

/**
 * A CSS custom property of the current theme (charts take colours from the stylesheet).
 * @param {string} name
 * @returns {string}
 */
export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
