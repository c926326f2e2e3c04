// Formatting of numbers and times for display. Pure: tested in tests/web/format_test.ts.

/**
 * A price with a precision that suits its size: 4 decimals from 1 to 1000, at least 4
 * significant digits below 1, 2 decimals from 1000;
 * null and non-finite values show as an en dash.
 * @param {number|null|undefined} p
 * @returns {string}
 */
export function formatPrice(p) {
  if (p === null || p === undefined || !Number.isFinite(p)) return "–";
  const abs = Math.abs(p);
  const digits = abs >= 1000
    ? 2
    : abs >= 1
    ? 4
    : abs === 0
    ? 2
    : Math.min(10, 3 - Math.floor(Math.log10(abs)) + 1);
  return p.toLocaleString("en-US", {
    minimumFractionDigits: Math.min(digits, 2),
    maximumFractionDigits: digits,
  });
}

/**
 * A relative change as a signed percentage with two decimals.
 * @param {number|null|undefined} from
 * @param {number|null|undefined} to
 * @returns {string}
 */
export function formatChange(from, to) {
  const c = change(from, to);
  if (c === null) return "–";
  const pct = (c * 100).toFixed(2);
  return c > 0 ? `+${pct} %` : `${pct === "-0.00" ? "0.00" : pct} %`;
}

/**
 * The relative change from `from` to `to`, or null when it cannot be computed.
 * @param {number|null|undefined} from
 * @param {number|null|undefined} to
 * @returns {number|null}
 */
export function change(from, to) {
  if (from === null || from === undefined || to === null || to === undefined) return null;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from === 0) return null;
  return (to - from) / from;
}

/**
 * A volume with a k/M/G suffix.
 * @param {number|null|undefined} v
 * @returns {string}
 */
export function formatVolume(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const abs = Math.abs(v);
  if (abs >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (abs >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (abs >= 1e3) return `${(v / 1e3).toFixed(2)} k`;
  return v.toFixed(abs >= 100 ? 0 : 2);
}

/**
 * An epoch-ms time as `YYYY-MM-DD HH:MM:SS`, in UTC or in the browser's time zone.
 * @param {number} ms
 * @param {boolean} utc
 * @returns {string}
 */
export function formatTime(ms, utc) {
  const d = new Date(ms);
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0");
  const [y, mo, da, h, mi, s] = utc
    ? [
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
    ]
    : [
      d.getFullYear(),
      d.getMonth() + 1,
      d.getDate(),
      d.getHours(),
      d.getMinutes(),
      d.getSeconds(),
    ];
  return `${y}-${p(mo)}-${p(da)} ${p(h)}:${p(mi)}:${p(s)}${utc ? " UTC" : ""}`;
}

/**
 * A chart axis label for `ms`: the time of day, or the date at midnight.
 * @param {number} ms
 * @param {boolean} utc
 * @returns {string}
 */
export function formatTick(ms, utc) {
  const full = formatTime(ms, utc);
  const time = full.slice(11, 16);
  return time === "00:00" ? full.slice(5, 10) : time;
}
