/**
 * Test helpers for the feeds: a manual clock (fake time), an output that collects, a source run
 * against a fake venue, a backoff or poll interval let pass, a reconnect, and metric reads.
 * @module
 */
import type { Clock, TimerHandle } from "../../src/clock.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import type { Tick } from "../../src/market/tick.ts";
import { TickParser } from "../../src/market/tick_parser.ts";
import { createLogger, type Logger } from "../../src/logger.ts";
import { createRegistry, type Registry } from "../../src/telemetry/metrics.ts";
import type { FeedDeps } from "../../src/feeds/feed_context.ts";
import type { Source, TickOutput } from "../../src/feeds/source.ts";
import type { FakeWsServer } from "../helpers/fake_venues/ws_server.ts";
import { pollUntil } from "../helpers/services.ts";

export { metric } from "../helpers/metrics.ts";

/** 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock whose time moves only when the test calls {@linkcode ManualClock.advance}. */
export class ManualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  #nextId = 1;
  /** Durations of every `sleep` requested, in order. */
  readonly sleeps: number[] = [];

  constructor(start = T0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(t);
    return t.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.clearTimeout(id);
        reject(signal?.reason);
      };
      const id = this.setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Moves time forward by `ms`, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) =>
        a.at - b.at || a.id - b.id
      );
      if (due.length === 0) break;
      const t = due[0];
      this.#timers = this.#timers.filter((x) => x !== t);
      this.#now = Math.max(this.#now, t.at);
      t.fn();
    }
    this.#now = end;
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.length;
  }
}

/** An output that keeps everything it receives. */
export interface Collected {
  readonly output: TickOutput;
  readonly ticks: Tick[];
  readonly deadLetters: DeadLetter[];
}

/** Creates an output that collects ticks and dead letters. */
export function collect(): Collected {
  const ticks: Tick[] = [];
  const deadLetters: DeadLetter[] = [];
  return {
    ticks,
    deadLetters,
    output: {
      tick: (t) => {
        ticks.push(t);
      },
      deadLetter: (d) => {
        deadLetters.push(d);
      },
    },
  };
}

/** Log lines captured by {@linkcode testDeps}. */
export interface TestDeps extends FeedDeps {
  readonly clock: ManualClock;
  readonly lines: string[];
}

/** Deps with a manual clock, a capturing logger, a fresh registry, the real parser, no jitter. */
export function testDeps(options: { random?: () => number } = {}): TestDeps {
  const lines: string[] = [];
  const clock = new ManualClock();
  const logger: Logger = createLogger({
    level: "debug",
    pretty: false,
    write: (l) => lines.push(l),
    now: () => clock.now(),
  });
  return {
    clock,
    logger,
    lines,
    registry: createRegistry(),
    parser: new TickParser(),
    random: options.random ?? (() => 0),
  };
}

/** Runs `source.run` in the background; `stop()` aborts and awaits it. */
export function runInBackground(
  run: (output: TickOutput, signal: AbortSignal) => Promise<void>,
  output: TickOutput,
): { stop(): Promise<void>; done: Promise<void> } {
  const ac = new AbortController();
  const done = run(output, ac.signal);
  return {
    done,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

/** A source under test: its deps (fake clock, captured log, registry) and what it produced. */
export interface FeedRun {
  readonly deps: TestDeps;
  readonly out: Collected;
}

/** Options of {@linkcode withFeed}. */
export interface WithFeedOptions {
  /** The fake venue; closed once the source stopped. */
  readonly venue: { close(): Promise<void> };
  /** Builds the source under test from the test's deps. */
  readonly source: (deps: TestDeps) => Source;
  /** Deps prepared beforehand (e.g. a clock already advanced); default fresh {@linkcode testDeps}. */
  readonly deps?: TestDeps;
}

/**
 * Runs the source in the background while `body` runs, then stops it and closes the venue (also
 * when `body` failed). Returns the deps, for the metrics and log lines a test asserts after the
 * stop.
 */
export async function withFeed(
  options: WithFeedOptions,
  body: (feed: FeedRun) => Promise<void>,
): Promise<TestDeps> {
  const deps = options.deps ?? testDeps();
  const out = collect();
  const run = runInBackground(options.source(deps).run, out.output);
  try {
    await body({ deps, out });
  } finally {
    await run.stop();
    await options.venue.close();
  }
  return deps;
}

/** How long feed tests wait for the source to act on real I/O or a timer that fired. */
export const FEED_WAIT = { timeoutMs: 5000, intervalMs: 5 } as const;

/**
 * Waits until the source asked the clock for its `n`-th sleep (1-based: a backoff or a poll
 * interval). Returns the sleep's length.
 */
export async function waitForSleep(clock: ManualClock, n: number): Promise<number> {
  await pollUntil(`sleep ${n} on the fake clock`, () => clock.sleeps.length === n, {
    ...FEED_WAIT,
    describe: () => clock.sleeps,
  });
  return clock.sleeps[n - 1];
}

/** Waits for the clock's `n`-th sleep and moves time past it. Returns the sleep's length. */
export async function passSleep(clock: ManualClock, n: number): Promise<number> {
  const ms = await waitForSleep(clock, n);
  clock.advance(ms);
  return ms;
}

/**
 * Drops every connection of `venue`, lets the source's next backoff pass and waits for its next
 * connection. Returns the backoff.
 */
export async function reconnect(venue: FakeWsServer, clock: ManualClock): Promise<number> {
  const next = venue.connections.length + 1;
  venue.dropAll();
  const ms = await passSleep(clock, clock.sleeps.length + 1);
  await pollUntil(`connection ${next}`, () => venue.connections.length === next, FEED_WAIT);
  return ms;
}

/** The observation count of histogram `name` for `source`. */
export async function histogramCount(
  registry: Registry,
  name: string,
  source: string,
): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  const hit = values.find((v) =>
    (v as { metricName?: string }).metricName === `${name}_count` &&
    (v.labels as Record<string, unknown>).source === source
  );
  return hit?.value ?? 0;
}
