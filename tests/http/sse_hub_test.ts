import assert from "node:assert/strict";
import { SseHub, type SseObserver } from "../../src/http/sse_hub.ts";

interface Parsed {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
}

/** Reads a stream and parses its events as an EventSource would (comments skipped). */
class EventReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #text = "";

  constructor(res: Response) {
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    this.#reader = res.body!.getReader();
  }

  /** The next `n` events (blocks of fields), reading as much as needed. */
  async next(n: number): Promise<Parsed[]> {
    const out: Parsed[] = [];
    while (out.length < n) {
      const end = this.#text.indexOf("\n\n");
      if (end < 0) {
        const r = await this.#reader.read();
        if (r.done) throw new Error(`stream ended after ${out.length} of ${n} events`);
        this.#text += this.#decoder.decode(r.value);
        continue;
      }
      const block = this.#text.slice(0, end);
      this.#text = this.#text.slice(end + 2);
      if (block.startsWith(":")) continue;
      const e: Parsed = {};
      for (const line of block.split("\n")) {
        const at = line.indexOf(": ");
        (e as Record<string, string>)[line.slice(0, at)] = line.slice(at + 2);
      }
      out.push(e);
    }
    return out;
  }

  /** Reads until the stream fails or ends; returns the error (null when it ended cleanly). */
  async failure(): Promise<unknown> {
    try {
      while (!(await this.#reader.read()).done) { /* drain */ }
      return null;
    } catch (err) {
      return err;
    }
  }

  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

function counting(): SseObserver & { counts: Record<string, number> } {
  const counts = { clients: 0, dropped: 0, refused: 0, published: 0 };
  return {
    counts,
    clients: (n) => (counts.clients = n),
    dropped: () => counts.dropped++,
    refused: () => counts.refused++,
    published: (n) => (counts.published += n),
  };
}

Deno.test("sse hub: nothing is serialised while no client is or was connected", () => {
  const observer = counting();
  const hub = new SseHub({}, { observer });
  assert.equal(hub.active, false);
  assert.equal(hub.publish("candles", [{ a: 1 }]), 0);
  assert.equal(observer.counts.published, 0);
});

Deno.test("sse hub: a client gets retry, then every event in order with its type and JSON", async () => {
  const hub = new SseHub({}, { epoch: "e1" });
  const reader = new EventReader(hub.connect(null));
  const [hello] = await reader.next(1);
  assert.equal(hello.retry, "2000");
  hub.publish("candles", [{ close: 1.5 }]);
  hub.publish("alerts", { x: Infinity, s: "<img src=x onerror=alert(1)>\nnext" });
  const events = await reader.next(2);
  assert.deepEqual(events.map((e) => [e.id, e.event]), [["e1-1", "candles"], ["e1-2", "alerts"]]);
  assert.deepEqual(JSON.parse(events[0].data!), [{ close: 1.5 }]);
  // A newline in data stays inside the JSON string: one data line per event.
  assert.deepEqual(JSON.parse(events[1].data!), {
    x: null,
    s: "<img src=x onerror=alert(1)>\nnext",
  });
  await reader.cancel();
  assert.equal(hub.clients, 0);
});

Deno.test("sse hub: beyond the client cap a connection is answered 503 and counted", async () => {
  const observer = counting();
  const hub = new SseHub({ maxClients: 2 }, { observer });
  const a = new EventReader(hub.connect(null));
  const b = new EventReader(hub.connect(null));
  const refused = hub.connect(null);
  assert.equal(refused.status, 503);
  assert.match((await refused.json()).error, /at most 2/);
  assert.equal(observer.counts.refused, 1);
  assert.equal(observer.counts.clients, 2);
  await a.cancel();
  // A place came free.
  const c = hub.connect(null);
  assert.equal(c.status, 200);
  await c.body!.cancel();
  await b.cancel();
  assert.equal(observer.counts.clients, 0);
});

Deno.test("sse hub: a client that does not read is dropped at its byte bound; others go on", async () => {
  const observer = counting();
  const hub = new SseHub({ clientBufferBytes: 1000 }, { observer, epoch: "e" });
  const stalled = new EventReader(hub.connect(null));
  const reading = new EventReader(hub.connect(null));
  await reading.next(1); // retry
  const payload = "x".repeat(200);
  // Each event is ~220 bytes: the stalled client's queue would pass 1000 bytes at the 5th.
  const ids: (string | undefined)[] = [];
  for (let i = 1; i <= 4; i++) {
    hub.publish("t", payload);
    ids.push(...(await reading.next(1)).map((e) => e.id));
  }
  assert.equal(observer.counts.dropped, 0);
  assert.equal(hub.clients, 2);
  hub.publish("t", payload);
  assert.equal(observer.counts.dropped, 1);
  assert.equal(hub.clients, 1);
  assert.match(String(await stalled.failure()), /fell behind/);
  ids.push(...(await reading.next(1)).map((e) => e.id));
  assert.deepEqual(ids, ["e-1", "e-2", "e-3", "e-4", "e-5"]);
  await reading.cancel();
});

Deno.test("sse hub: a reader that keeps up is never dropped however many events pass", async () => {
  const observer = counting();
  const hub = new SseHub({ clientBufferBytes: 1000 }, { observer });
  const reader = new EventReader(hub.connect(null));
  await reader.next(1);
  for (let i = 0; i < 200; i++) {
    hub.publish("t", "y".repeat(200));
    await reader.next(1);
  }
  assert.equal(observer.counts.dropped, 0);
  await reader.cancel();
});

Deno.test("sse hub: Last-Event-ID resumes after that event from the ring", async () => {
  let now = 0;
  const hub = new SseHub({ ringEvents: 10 }, { epoch: "r", now: () => now });
  const first = new EventReader(hub.connect(null));
  await first.next(1);
  for (let i = 1; i <= 5; i++) hub.publish("n", i);
  await first.next(5);
  await first.cancel();
  // Gone for a while, but within the keep window: events go on being numbered and kept.
  now += 1000;
  assert.equal(hub.active, true);
  hub.publish("n", 6);
  const again = new EventReader(hub.connect("r-3"));
  const events = await again.next(4);
  assert.deepEqual(events.slice(1).map((e) => [e.id, e.data]), [
    ["r-4", "4"],
    ["r-5", "5"],
    ["r-6", "6"],
  ]);
  hub.publish("n", 7);
  assert.deepEqual((await again.next(1)).map((e) => e.id), ["r-7"]);
  await again.cancel();
});

Deno.test("sse hub: an id the ring no longer holds, or from another run, gets a reset", async () => {
  const hub = new SseHub({ ringEvents: 3 }, { epoch: "q" });
  const keep = new EventReader(hub.connect(null));
  for (let i = 1; i <= 10; i++) hub.publish("n", i);
  for (const id of ["q-2", "old-5", "q-99", "garbage"]) {
    const r = new EventReader(hub.connect(id));
    const [, reset] = await r.next(2);
    assert.equal(reset.event, "reset", id);
    await r.cancel();
  }
  // The last three are held: resuming from 7 gets 8, 9, 10.
  const r = new EventReader(hub.connect("q-7"));
  const events = await r.next(4);
  assert.deepEqual(events.slice(1).map((e) => e.id), ["q-8", "q-9", "q-10"]);
  await r.cancel();
  await keep.cancel();
});

Deno.test("sse hub: after the keep window with no client, publishing stops", async () => {
  let now = 0;
  const hub = new SseHub({ keepAfterLastClientMs: 5000 }, { now: () => now });
  const r = new EventReader(hub.connect(null));
  await r.cancel();
  now = 4999;
  assert.equal(hub.active, true);
  now = 5000;
  assert.equal(hub.active, false);
  assert.equal(hub.publish("n", 1), 0);
});

Deno.test("sse hub: close ends every stream", async () => {
  const hub = new SseHub();
  const r = new EventReader(hub.connect(null));
  await r.next(1);
  hub.close();
  assert.equal(await r.failure(), null);
  assert.equal(hub.clients, 0);
});

Deno.test("sse hub: the ring is bounded in bytes too: large events leave fewer to resume from", async () => {
  const hub = new SseHub({ ringEvents: 100, ringBytes: 1000 }, { epoch: "b" });
  const keep = new EventReader(hub.connect(null));
  // ~230 bytes each: four fit in 1000 bytes.
  for (let i = 1; i <= 10; i++) hub.publish("n", "z".repeat(200));
  const gone = new EventReader(hub.connect("b-5"));
  const [, reset] = await gone.next(2);
  assert.equal(reset.event, "reset", "event 6 is no longer held");
  await gone.cancel();
  const held = new EventReader(hub.connect("b-6"));
  const events = await held.next(5);
  assert.deepEqual(events.slice(1).map((e) => e.id), ["b-7", "b-8", "b-9", "b-10"]);
  await held.cancel();
  await keep.cancel();
});

Deno.test("sse hub: topical events reach only their subscribers, live and on resume", async () => {
  const hub = new SseHub({}, { epoch: "t" });
  const all = new EventReader(hub.connect(null));
  const btc = new EventReader(hub.connect(null, new Set(["BTC-USD"])));
  await all.next(1);
  await btc.next(1);
  hub.publish("candles", 1, "BTC-USD");
  hub.publish("candles", 2, "ETH-USD");
  hub.publish("alerts", 3);
  assert.deepEqual((await all.next(3)).map((e) => e.data), ["1", "2", "3"]);
  assert.deepEqual((await btc.next(2)).map((e) => e.data), ["1", "3"]);
  const eth = new EventReader(hub.connect("t-0", new Set(["ETH-USD"])));
  assert.deepEqual((await eth.next(3)).slice(1).map((e) => e.data), ["2", "3"]);
  await Promise.all([all.cancel(), btc.cancel(), eth.cancel()]);
});

Deno.test("sse hub: wants a topic while a client follows it or every topic", async () => {
  const hub = new SseHub();
  assert.equal(hub.wants("BTC-USD"), false);
  const a = new EventReader(hub.connect(null, new Set(["BTC-USD"])));
  const b = new EventReader(hub.connect(null, new Set(["BTC-USD", "ETH-USD"])));
  assert.equal(hub.wants("BTC-USD"), true);
  assert.equal(hub.wants("SOL-USD"), false);
  await b.cancel();
  assert.equal(hub.wants("BTC-USD"), true);
  assert.equal(hub.wants("ETH-USD"), false);
  await a.cancel();
  assert.equal(hub.wants("BTC-USD"), false);
  const all = new EventReader(hub.connect(null));
  assert.equal(hub.wants("SOL-USD"), true);
  await all.cancel();
  assert.equal(hub.wants("SOL-USD"), false);
});

Deno.test("sse hub: an event of a topic nobody follows is not serialised, unless a follower may resume", async () => {
  let now = 0;
  const observer = counting();
  const hub = new SseHub({ keepAfterLastClientMs: 5000 }, { epoch: "f", now: () => now, observer });
  const overview = new EventReader(hub.connect(null, new Set()));
  await overview.next(1);
  assert.equal(hub.publish("candles", 1, "BTC-USD"), 0);
  assert.equal(observer.counts.published, 0);
  const btc = new EventReader(hub.connect(null, new Set(["BTC-USD"])));
  await btc.next(1);
  const id = hub.publish("candles", 2, "BTC-USD");
  assert.equal(id, 1);
  assert.deepEqual((await btc.next(1)).map((e) => e.data), ["2"]);
  await btc.cancel();
  // Its follower left 4999 ms ago: it may come back and resume, so the event is kept for it.
  now = 4999;
  assert.equal(hub.publish("candles", 3, "BTC-USD"), 2);
  const back = new EventReader(hub.connect("f-1", new Set(["BTC-USD"])));
  assert.deepEqual((await back.next(2)).slice(1).map((e) => e.data), ["3"]);
  await back.cancel();
  now = 4999 + 5000;
  assert.equal(hub.publish("candles", 4, "BTC-USD"), 0);
  assert.equal(hub.publish("candles", 5, "ETH-USD"), 0);
  assert.equal(observer.counts.published, 2);
  await overview.cancel();
});

Deno.test("sse hub: the events published in one task reach a client as one chunk", async () => {
  const hub = new SseHub({}, { epoch: "c" });
  const res = hub.connect(null);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  assert.equal(decoder.decode((await reader.read()).value), "retry: 2000\n\n");
  hub.publish("a", 1);
  hub.publish("b", 2);
  hub.publish("c", 3, "X-USD");
  const { value } = await reader.read();
  assert.equal(
    decoder.decode(value),
    "id: c-1\nevent: a\ndata: 1\n\nid: c-2\nevent: b\ndata: 2\n\nid: c-3\nevent: c\ndata: 3\n\n",
  );
  await reader.cancel();
});
