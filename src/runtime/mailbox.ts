/**
 * The bounded mailbox: a ring buffer with a when-full policy. The send fast path writes one slot and
 * allocates nothing; only a sender that finds the mailbox full under `block` gets a promise, and it
 * is resolved when the consumer frees room (that wait is the backpressure, and it is timed).
 * @module
 */
import { MailboxClosedError } from "./errors.ts";

/** What a full mailbox does with a new message. */
export type FullPolicy = "block" | "drop_oldest" | "drop_newest";

/** Options of a mailbox. */
export interface MailboxOptions {
  /** The bound: messages held at most (blocked senders keep theirs until there is room). */
  capacity: number;
  /** When full: `block` the sender (default), drop the oldest queued message, or drop the new one. */
  policy?: FullPolicy;
  /** Most messages an actor drains per turn before yielding to other actors. Default 256. */
  batchSize?: number;
}

/** Plain counters a mailbox bumps; the actor's telemetry reads them on scrape. */
export interface MailboxCounters {
  dropped: number;
  blockedSeconds: number;
}

/** Hooks of {@linkcode Mailbox}. */
export interface MailboxHooks {
  /** Monotonic milliseconds, to time blocked senders. Default `performance.now`. */
  now?: () => number;
  /** Where drops and blocked time are counted. */
  counters?: MailboxCounters;
  /** The error thrown by sends after {@linkcode Mailbox.close}. */
  closedError?: () => Error;
}

interface Waiter<M> {
  messages: readonly M[];
  next: number;
  since: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const POLICIES: readonly FullPolicy[] = ["block", "drop_oldest", "drop_newest"];

/** Validates mailbox options, reporting every bad field at once. */
export function validateMailboxOptions(options: MailboxOptions): Required<MailboxOptions> {
  const policy = options.policy ?? "block";
  const batchSize = options.batchSize ?? 256;
  const errors: string[] = [];
  if (!Number.isInteger(options.capacity) || options.capacity < 1) {
    errors.push(`capacity must be a positive integer, received ${options.capacity}`);
  }
  if (!POLICIES.includes(policy)) {
    errors.push(`policy must be one of ${POLICIES.join(", ")}, received ${policy}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    errors.push(`batchSize must be a positive integer, received ${batchSize}`);
  }
  if (errors.length > 0) throw new RangeError(`Cannot create mailbox: ${errors.join("; ")}`);
  return { capacity: options.capacity, policy, batchSize };
}

/**
 * A bounded FIFO with a when-full policy.
 *
 * @example
 * ```ts
 * import { Mailbox } from "./mailbox.ts";
 * const box = new Mailbox<number>({ capacity: 2, policy: "drop_oldest" });
 * box.offer(1); box.offer(2); box.offer(3);
 * box.shift(); // 2
 * ```
 */
export class Mailbox<M> {
  /** The bound. */
  readonly capacity: number;
  /** The when-full policy. */
  readonly policy: FullPolicy;
  /** Most messages drained per turn. */
  readonly batchSize: number;
  /** Drops and blocked time. */
  readonly counters: MailboxCounters;
  #buf: (M | undefined)[];
  #head = 0;
  #size = 0;
  #waiters: Waiter<M>[] = [];
  #closed = false;
  #limit: number;
  readonly #now: () => number;
  readonly #closedError: () => Error;

  constructor(options: MailboxOptions, hooks: MailboxHooks = {}) {
    const o = validateMailboxOptions(options);
    this.capacity = o.capacity;
    this.policy = o.policy;
    this.batchSize = o.batchSize;
    this.#buf = new Array(o.capacity).fill(undefined);
    this.#limit = o.capacity;
    this.#now = hooks.now ?? (() => performance.now());
    this.counters = hooks.counters ?? { dropped: 0, blockedSeconds: 0 };
    this.#closedError = hooks.closedError ?? (() => new MailboxClosedError());
  }

  /** Messages held (not counting those of blocked senders). */
  get size(): number {
    return this.#size;
  }

  /** Messages still held by blocked senders. */
  get waiting(): number {
    let n = 0;
    for (const w of this.#waiters) n += w.messages.length - w.next;
    return n;
  }

  /** True once {@linkcode Mailbox.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True when nothing is held and no sender is blocked. */
  get empty(): boolean {
    return this.#size === 0 && this.#waiters.length === 0;
  }

  /**
   * Enqueues one message. Returns undefined when it was taken (or dropped by policy) at once, a
   * promise under `block` when full: it resolves once the message is in. Throws after close.
   */
  offer(message: M): void | Promise<void> {
    const size = this.#size;
    // #limit is the capacity while open and -1 once closed: one comparison guards both.
    if (size < this.#limit) {
      const buf = this.#buf;
      let tail = this.#head + size;
      if (tail >= buf.length) tail -= buf.length;
      buf[tail] = message;
      this.#size = size + 1;
      return;
    }
    if (this.#closed) throw this.#closedError();
    return this.#full([message]);
  }

  /** Enqueues messages in order; like {@linkcode Mailbox.offer}, a promise only when it must wait. */
  offerAll(messages: readonly M[]): void | Promise<void> {
    if (this.#closed) throw this.#closedError();
    const n = messages.length;
    let i = 0;
    while (i < n && this.#size < this.#buf.length) this.#push(messages[i++]);
    if (i === n) return;
    return this.#full(i === 0 ? messages : messages.slice(i));
  }

  /** Takes the oldest message; call only when `size > 0`. Frees room for blocked senders. */
  shift(): M {
    const buf = this.#buf;
    const head = this.#head;
    const message = buf[head] as M;
    buf[head] = undefined;
    this.#head = head + 1 === buf.length ? 0 : head + 1;
    this.#size--;
    if (this.#waiters.length > 0) this.#admit();
    return message;
  }

  /** Takes up to `max` messages, oldest first. */
  take(max: number): M[] {
    const n = Math.min(max, this.#size);
    const out = new Array<M>(n);
    for (let i = 0; i < n; i++) out[i] = this.shift();
    return out;
  }

  /** Stops accepting sends. Blocked senders keep their place and are admitted as room frees. */
  close(): void {
    this.#closed = true;
    this.#limit = -1;
  }

  /**
   * Empties the mailbox for good: closes it, rejects blocked senders with `error` and returns every
   * message that was held or still waiting, oldest first.
   */
  discard(error: unknown): M[] {
    this.close();
    const out: M[] = [];
    while (this.#size > 0) {
      const head = this.#head;
      out.push(this.#buf[head] as M);
      this.#buf[head] = undefined;
      this.#head = head + 1 === this.#buf.length ? 0 : head + 1;
      this.#size--;
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      for (let i = w.next; i < w.messages.length; i++) out.push(w.messages[i]);
      this.counters.blockedSeconds += (this.#now() - w.since) / 1000;
      w.reject(error);
    }
    return out;
  }

  #push(message: M): void {
    let tail = this.#head + this.#size;
    if (tail >= this.#buf.length) tail -= this.#buf.length;
    this.#buf[tail] = message;
    this.#size++;
  }

  #full(messages: readonly M[]): void | Promise<void> {
    switch (this.policy) {
      case "drop_newest":
        this.counters.dropped += messages.length;
        return;
      case "drop_oldest":
        for (const m of messages) {
          if (this.#size === this.#buf.length) {
            this.#buf[this.#head] = undefined;
            this.#head = this.#head + 1 === this.#buf.length ? 0 : this.#head + 1;
            this.#size--;
            this.counters.dropped++;
          }
          this.#push(m);
        }
        return;
      case "block":
        return new Promise<void>((resolve, reject) => {
          this.#waiters.push({ messages, next: 0, since: this.#now(), resolve, reject });
        });
    }
  }

  /** Moves blocked senders' messages in, in arrival order, while there is room. */
  #admit(): void {
    const waiters = this.#waiters;
    while (waiters.length > 0 && this.#size < this.#buf.length) {
      const w = waiters[0];
      while (w.next < w.messages.length && this.#size < this.#buf.length) {
        this.#push(w.messages[w.next++]);
      }
      if (w.next < w.messages.length) return;
      waiters.shift();
      this.counters.blockedSeconds += (this.#now() - w.since) / 1000;
      w.resolve();
    }
  }
}
