/**
 * URLs fit for logs, error messages and dead letters: connection URLs carry passwords
 * (`postgres://user:password@host/db`, `?password=`), and webhook URLs are secrets as a whole
 * (a Slack incoming webhook's path is its credential).
 * @module
 */

// The `//` is optional: `postgres:user:pw@host` is malformed, and must not leak either.
const USERINFO = /^([a-z][a-z0-9+.-]*:(?:\/\/)?)([^/?#@]*)@/i;
const SECRET_PARAM = /([?&](?:password|pass|pwd|secret|token|key|api_?key|sslpassword)=)[^&#]*/gi;

/** Options of {@linkcode redactUrl}. */
export interface RedactOptions {
  /** Keep the path (a database name: yes; a webhook's token path: no). Default true. */
  readonly path?: boolean;
}

/**
 * `url` with its password and secret-looking query values replaced by `***` (the user name
 * stays: it helps and is no secret); without its path and query when `options.path` is false.
 * Works on text that does not parse as a URL too.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./redact_url.ts";
 * redactUrl("postgres://app:s3cret@db:5432/crypto"); // "postgres://app:***@db:5432/crypto"
 * redactUrl("https://hooks.slack.com/services/T0/B0/XYZ", { path: false }); // "https://hooks.slack.com/***"
 * ```
 */
export function redactUrl(url: string, options: RedactOptions = {}): string {
  let out = url.replace(USERINFO, (_, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(":");
    return `${scheme}${colon < 0 ? userinfo : `${userinfo.slice(0, colon)}:***`}@`;
  });
  if (options.path === false) {
    const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)[/?#]/i.exec(out);
    // Without `//` there is no telling host from path: keep the scheme only.
    const scheme = /^[a-z][a-z0-9+.-]*:(?!\/\/)/i.exec(out);
    if (m) out = `${m[1]}/***`;
    else if (scheme) out = `${scheme[0]}***`;
  }
  return out.replace(SECRET_PARAM, "$1***");
}

/** `text` with every occurrence of `secret` (a URL) replaced by its redacted form. */
export function redactIn(text: string, secret: string, options: RedactOptions = {}): string {
  return secret === "" ? text : text.replaceAll(secret, redactUrl(secret, options));
}

/** A URL option's value as an error message shows it: redacted and quoted. */
export function shownUrl(value: unknown, options: RedactOptions = {}): string {
  return JSON.stringify(typeof value === "string" ? redactUrl(value, options) : value);
}
