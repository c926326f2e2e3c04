/**
 * The one error a connector's options validation throws: every problem at once, never retriable.
 * @module
 */

/** Invalid connector options; `problems` lists each one. The subclass names the connector. */
export class OptionsError extends Error {
  readonly retriable = false;
  readonly problems: readonly string[];

  constructor(what: string, problems: readonly string[]) {
    super(`Invalid ${what} options: ${problems.join("; ")}`);
    this.name = new.target.name;
    this.problems = problems;
  }
}
