/**
 * The one error a connector's options validation throws: every problem at once, never retriable.
 * @module
 */
import { ConfigError } from "../errors.ts";

/** Invalid connector options; `problems` lists each one. The subclass names the connector. */
export class OptionsError extends ConfigError {
  constructor(what: string, problems: readonly string[]) {
    super(`${what} connector`, problems);
  }
}
