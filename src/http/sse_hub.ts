/**
 * Server-Sent Events to the dashboard's browsers: each event is serialised once, numbered, kept
 * in a bounded ring for resumption (`Last-Event-ID`) and queued to every client. Publishing never
 * waits: a client whose queue would exceed its byte bound is dropped and counted, so a slow or
 * stalled browser costs the pipeline nothing but the bytes it is allowed to queue. At most
 * `maxClients` streams at once; more are refused with 503.
 *
 * What it costs the pipeline (profiled during a replay at ~1300× real time with 20 streams): an
 * event of a topic no client follows — nor followed within the resume window — is not serialised
 * at all (a chart follows one symbol of fifty); the events published in one task reach each
 * client as one chunk, so one socket write per client per batch rather than one per event.
 * @module
 */

/** Bounds of a hub (defaults in {@linkcode SSE_DEFAULTS}). */
export interface SseLimits {
  /** Streams at once; one more is answered 503. */
  readonly maxClients: number;
  /** Events kept for clients resuming with `Last-Event-ID`, at most this many… */
  readonly ringEvents: number;
  /** …and at most this many bytes (a batch of candles can be large). */
  readonly ringBytes: number;
  /** Bytes a client may have queued; one more event and it is dropped. */
  readonly clientBufferBytes: number;
  /** After the last client left, events are still numbered and kept this long for a resume. */
  readonly keepAfterLastClientMs: number;
  /** A comment line is sent this often, so proxies and a departed client's socket notice. */
  readonly heartbeatMs: number;
}

/** The defaults: 20 dashboards, 4096 events or 4 MiB to resume from, 1 MiB per client. */
export const SSE_DEFAULTS: SseLimits = {
  maxClients: 20,
  ringEvents: 4096,
  ringBytes: 4 << 20,
  clientBufferBytes: 1 << 20,
  keepAfterLastClientMs: 60_000,
  heartbeatMs: 15_000,
};

/** What the hub reports (metrics). */
export interface SseObserver {
  clients(n: number): void;
  dropped(reason: "slow"): void;
  refused(): void;
  published(events: number): void;
}

const NO_OBSERVER: SseObserver = {
  clients() {},
  dropped() {},
  refused() {},
  published() {},
};

interface Client {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  /** The topics it asked for besides the untopical events; null: every event. */
  readonly topics: ReadonlySet<string> | null;
  /** Events of the current task not yet handed to the stream (one chunk at the task's end). */
  pending: Uint8Array[];
  pendingBytes: number;
}

interface Stored {
  readonly id: number;
  readonly topic: string | undefined;
  readonly bytes: Uint8Array;
}

const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(": ping\n\n");

/** Fans events out to event-stream clients. */
export class SseHub {
  readonly #limits: SseLimits;
  readonly #observer: SseObserver;
  readonly #now: () => number;
  readonly #clients = new Set<Client>();
  readonly #ring: Stored[] = [];
  #ringStart = 0;
  #ringBytes = 0;
  #nextId = 1;
  #lastClientGoneAt = -Infinity;
  /** Clients wanting every topic, and per topic those that asked for it. */
  #allTopics = 0;
  readonly #topicRefs = new Map<string, number>();
  /** When a client following every topic, and each topic's last follower, left. */
  #allTopicsLeftAt = -Infinity;
  readonly #topicLeftAt = new Map<string, number>();
  /** Clients with pending events, handed on in a microtask at the end of the publishing task. */
  readonly #dirty = new Set<Client>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** A fresh number per process start: ids from another run never resume here. */
  readonly #epoch: string;

  constructor(
    limits: Partial<SseLimits> = {},
    o: { observer?: SseObserver; now?: () => number; epoch?: string } = {},
  ) {
    this.#limits = { ...SSE_DEFAULTS, ...limits };
    this.#observer = o.observer ?? NO_OBSERVER;
    this.#now = o.now ?? Date.now;
    this.#epoch = o.epoch ?? Date.now().toString(36);
  }

  /** Clients connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /**
   * Whether events are wanted: a client is connected, or one left recently enough to resume.
   * Publishers check this first so an instance nobody watches serialises nothing.
   */
  get active(): boolean {
    return this.#clients.size > 0 ||
      this.#now() - this.#lastClientGoneAt < this.#limits.keepAfterLastClientMs;
  }

  /**
   * Whether a connected client wants events of `topic`: publishers skip work for topics nobody
   * follows when what they would publish is only a preview (a resuming client may miss it).
   */
  wants(topic: string): boolean {
    return this.#allTopics > 0 || this.#topicRefs.has(topic);
  }

  /**
   * The topics connected clients follow, for a per-record check without a call per record:
   * null when a client follows every topic.
   */
  get followedTopics(): { has(topic: string): boolean; readonly size: number } | null {
    return this.#allTopics > 0 ? null : this.#topicRefs;
  }

  /**
   * Publishes one event of `type` carrying `data` as JSON; returns its id (0: nobody watches).
   * With a `topic` (a symbol), only the clients that subscribed to it get the event.
   */
  publish(type: string, data: unknown, topic?: string): number {
    if (!this.active || (topic !== undefined && !this.#followed(topic))) return 0;
    const id = this.#nextId++;
    // Non-finite numbers become null (JSON.stringify's own rule; a replacer would cost a call
    // per value).
    const json = JSON.stringify(data);
    const bytes = encoder.encode(`id: ${this.#epoch}-${id}\nevent: ${type}\ndata: ${json}\n\n`);
    this.#ring.push({ id, topic, bytes });
    this.#ringBytes += bytes.length;
    while (
      this.#ring.length - this.#ringStart > this.#limits.ringEvents ||
      (this.#ringBytes > this.#limits.ringBytes && this.#ring.length - this.#ringStart > 1)
    ) {
      this.#ringBytes -= this.#ring[this.#ringStart].bytes.length;
      // Dropped from the ring: no longer held in memory while waiting for compaction.
      (this.#ring as Array<Stored | undefined>)[this.#ringStart++] = undefined;
    }
    // Compact now and then rather than shift() per event.
    if (this.#ringStart > this.#limits.ringEvents) {
      this.#ring.splice(0, this.#ringStart);
      this.#ringStart = 0;
    }
    for (const c of this.#clients) if (wants(c, topic)) this.#queue(c, bytes);
    this.#observer.published(1);
    return id;
  }

  /**
   * Whether an event of `topic` may reach anyone: a client follows it (or every topic), or one
   * that did left recently enough to resume.
   */
  #followed(topic: string): boolean {
    if (this.wants(topic)) return true;
    const since = this.#now() - this.#limits.keepAfterLastClientMs;
    return this.#allTopicsLeftAt > since || (this.#topicLeftAt.get(topic) ?? -Infinity) > since;
  }

  /**
   * A response streaming events to one client, or 503 at the cap. With `lastEventId` of this run
   * still in the ring, the events after it come first; otherwise (an id the ring no longer holds,
   * or from another run) a `reset` event tells the client to reload what it shows. `topics`:
   * the topical events it wants (null: all of them).
   */
  connect(lastEventId: string | null, topics: ReadonlySet<string> | null = null): Response {
    if (this.#clients.size >= this.#limits.maxClients) {
      this.#observer.refused();
      const body = encoder.encode(JSON.stringify({
        error: `too many dashboard clients (at most ${this.#limits.maxClients})`,
      }));
      return new Response(body, {
        status: 503,
        headers: {
          "content-type": "application/json; charset=utf-8",
          "content-length": String(body.length),
          "retry-after": "10",
        },
      });
    }
    let client: Client | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        client = { controller, topics, pending: [], pendingBytes: 0 };
        this.#clients.add(client);
        this.#follow(topics, +1);
        this.#observer.clients(this.#clients.size);
        this.#startHeartbeat();
        controller.enqueue(encoder.encode("retry: 2000\n\n"));
        this.#resume(client, lastEventId);
      },
      cancel: () => {
        if (client) this.#remove(client);
      },
      // Sized in bytes with no high-water mark: -desiredSize is what the client has queued.
    }, { highWaterMark: 0, size: (chunk) => chunk.byteLength });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    this.#handOn();
    for (const c of [...this.#clients]) {
      try {
        c.controller.close();
      } catch {
        // Already errored.
      }
      this.#remove(c);
    }
  }

  #resume(client: Client, lastEventId: string | null): void {
    if (lastEventId === null || lastEventId === "") return;
    const m = /^([0-9a-z]+)-([0-9]{1,15})$/.exec(lastEventId);
    const first = this.#ring[this.#ringStart]?.id ?? this.#nextId;
    const after = m && m[1] === this.#epoch ? Number(m[2]) : -1;
    if (after < first - 1 || after >= this.#nextId) {
      this.#send(client, encoder.encode(`event: reset\ndata: {}\n\n`));
      return;
    }
    for (let i = this.#ringStart + (after + 1 - first); i < this.#ring.length; i++) {
      const e = this.#ring[i];
      if (wants(client, e.topic)) this.#send(client, e.bytes);
    }
  }

  /**
   * Adds `bytes` to what `c` gets at the end of this task. The byte bound counts what is queued
   * and what is pending, so a client is dropped at the event that passes it, as with one write
   * per event.
   */
  #queue(c: Client, bytes: Uint8Array): void {
    if (!this.#fits(c, bytes.length)) return;
    if (this.#dirty.size === 0) queueMicrotask(() => this.#handOn());
    this.#dirty.add(c);
    c.pending.push(bytes);
    c.pendingBytes += bytes.length;
  }

  /** Each client's pending events as one chunk. */
  #handOn(): void {
    for (const c of this.#dirty) {
      const parts = c.pending;
      let chunk = parts[0];
      if (parts.length > 1) {
        chunk = new Uint8Array(c.pendingBytes);
        let at = 0;
        for (const p of parts) {
          chunk.set(p, at);
          at += p.length;
        }
      }
      c.pending = [];
      c.pendingBytes = 0;
      try {
        if (chunk) c.controller.enqueue(chunk);
      } catch {
        // The stream ended meanwhile: nothing may throw out of this microtask.
        this.#remove(c);
      }
    }
    this.#dirty.clear();
  }

  #send(c: Client, bytes: Uint8Array): void {
    if (this.#fits(c, bytes.length)) c.controller.enqueue(bytes);
  }

  /** Whether `n` more bytes stay within `c`'s bound; if not, `c` is dropped and counted. */
  #fits(c: Client, n: number): boolean {
    const queued = -(c.controller.desiredSize ?? 0) + c.pendingBytes;
    if (queued + n <= this.#limits.clientBufferBytes) return true;
    this.#observer.dropped("slow");
    try {
      c.controller.error(new Error("the client fell behind its event buffer"));
    } catch {
      // Already closed.
    }
    this.#remove(c);
    return false;
  }

  #remove(c: Client): void {
    if (!this.#clients.delete(c)) return;
    this.#dirty.delete(c);
    c.pending = [];
    c.pendingBytes = 0;
    this.#left(c.topics);
    this.#follow(c.topics, -1);
    this.#observer.clients(this.#clients.size);
    if (this.#clients.size === 0) {
      this.#lastClientGoneAt = this.#now();
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }

  /** Notes when `topics` were last followed, for a resume within the keep window. */
  #left(topics: ReadonlySet<string> | null): void {
    const now = this.#now();
    if (topics === null) {
      this.#allTopicsLeftAt = now;
      return;
    }
    // Forget topics whose window has passed: the map holds at most the recent leavers' topics.
    const since = now - this.#limits.keepAfterLastClientMs;
    for (const [t, at] of this.#topicLeftAt) if (at <= since) this.#topicLeftAt.delete(t);
    for (const t of topics) this.#topicLeftAt.set(t, now);
  }

  #follow(topics: ReadonlySet<string> | null, by: 1 | -1): void {
    if (topics === null) {
      this.#allTopics += by;
      return;
    }
    for (const t of topics) {
      const n = (this.#topicRefs.get(t) ?? 0) + by;
      if (n > 0) this.#topicRefs.set(t, n);
      else this.#topicRefs.delete(t);
    }
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined) return;
    this.#heartbeat = setInterval(() => {
      for (const c of this.#clients) this.#send(c, HEARTBEAT);
    }, this.#limits.heartbeatMs);
    Deno.unrefTimer(this.#heartbeat);
  }
}

function wants(c: Client, topic: string | undefined): boolean {
  return topic === undefined || c.topics === null || c.topics.has(topic);
}
