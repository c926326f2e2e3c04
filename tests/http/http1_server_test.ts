import assert from "node:assert/strict";
import {
  type Http1Handler,
  type Http1Limits,
  type Http1Server,
  type RejectReason,
  serveHttp1,
} from "../../src/http/http1_server.ts";
import { RawHttpClient } from "../helpers/raw_http.ts";
import { pollUntil } from "../helpers/services.ts";

interface Harness {
  server: Http1Server;
  rejected: RejectReason[];
  statuses: number[];
  clients: RawHttpClient[];
  connect(): Promise<RawHttpClient>;
  [Symbol.asyncDispose](): Promise<void>;
}

const hello: Http1Handler = (req) => {
  const body = new TextEncoder().encode(`hello ${new URL(req.url).pathname}`);
  return new Response(body, { headers: { "content-length": String(body.length) } });
};

function start(limits: Http1Limits = {}, handler: Http1Handler = hello): Harness {
  const rejected: RejectReason[] = [];
  const statuses: number[] = [];
  const clients: RawHttpClient[] = [];
  const server = serveHttp1(handler, {
    hostname: "127.0.0.1",
    port: 0,
    ...limits,
    observer: { rejected: (r) => rejected.push(r), responded: (s) => statuses.push(s) },
  });
  return {
    server,
    rejected,
    statuses,
    clients,
    async connect() {
      const c = await RawHttpClient.connect(server.port);
      clients.push(c);
      return c;
    },
    async [Symbol.asyncDispose]() {
      for (const c of clients) c.close();
      await server.close();
    },
  };
}

/** Fails instead of hanging when `p` does not settle within `ms` (a guard, not a measurement). */
async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("serveHttp1() answers several requests on one keep-alive connection, pipelined too", async () => {
  await using h = start();
  const c = await h.connect();
  for (const path of ["/a", "/b"]) {
    await c.request(path);
    const res = await c.response();
    assert.equal(res?.status, 200);
    assert.equal(res?.body, `hello ${path}`);
    assert.equal(res?.headers.get("connection"), undefined, "no Connection: close");
  }
  await c.send("GET /c HTTP/1.1\r\nHost: t\r\n\r\nGET /d HTTP/1.1\r\nHost: t\r\n\r\n");
  assert.equal((await c.response())?.body, "hello /c");
  assert.equal((await c.response())?.body, "hello /d");
  assert.equal(h.server.connections, 1);
  await c.request("/e", { headers: "Connection: close\r\n" });
  assert.equal((await c.response())?.headers.get("connection"), "close");
  assert.ok(await within(5000, c.closedByServer(), "the server to close after Connection: close"));
});

Deno.test("serveHttp1() answers HEAD with the headers of GET and no body", async () => {
  await using h = start();
  const c = await h.connect();
  await c.request("/x", { method: "HEAD" });
  const head = await c.response({ head: true });
  assert.equal(head?.status, 200);
  assert.equal(head?.headers.get("content-length"), String("hello /x".length));
  // Had the server sent a body, it would be read here as the start of the next response.
  await c.request("/y");
  const next = await c.response();
  assert.equal(next?.status, 200);
  assert.equal(next?.body, "hello /y");
});

Deno.test("serveHttp1() refuses connections over the cap while the open ones still get answers", async () => {
  await using h = start({ maxConnections: 2 });
  const a = await h.connect();
  const b = await h.connect();
  await pollUntil("two connections served", () => h.server.connections === 2);
  const over = await h.connect();
  const refused = await within(5000, over.response(), "the over-cap answer");
  // Either the 503 arrives or the close overtakes it (a reset drops unread data): both refuse.
  if (refused) assert.equal(refused.status, 503);
  assert.ok(await within(5000, over.closedByServer(), "the over-cap connection to close"));
  assert.deepEqual(h.rejected, ["cap"]);
  for (const c of [a, b]) {
    await c.request("/still");
    assert.equal((await c.response())?.body, "hello /still");
  }
  a.close();
  await pollUntil("a slot freed", () => h.server.connections === 1);
  const fresh = await h.connect();
  await fresh.request("/fresh");
  assert.equal((await fresh.response())?.status, 200);
});

Deno.test("serveHttp1() closes a connection whose request head is not complete within the header timeout", async () => {
  await using h = start({ headerTimeoutMs: 100 });
  const half = await h.connect();
  await half.send("GET /slow HTTP/1.1\r\nHost: t\r\nX-Slow: ");
  const silent = await h.connect();
  assert.ok(await within(5000, half.closedByServer(), "the half-sent head to be closed"));
  assert.ok(await within(5000, silent.closedByServer(), "the silent connection to be closed"));
  assert.deepEqual(h.rejected, ["header_timeout", "header_timeout"]);
  assert.deepEqual(h.statuses, [], "no request reached the handler");
  await pollUntil("no connection left", () => h.server.connections === 0);
});

Deno.test("serveHttp1() closes a keep-alive connection idle for the idle timeout, without counting it", async () => {
  await using h = start({ idleTimeoutMs: 100 });
  const c = await h.connect();
  await c.request("/once");
  assert.equal((await c.response())?.status, 200);
  assert.ok(await within(5000, c.closedByServer(), "the idle connection to be closed"));
  assert.deepEqual(h.rejected, []);
});

Deno.test("serveHttp1() answers an oversized request head 431 and closes", async () => {
  await using h = start({ maxHeadBytes: 1024 });
  const c = await h.connect();
  await c.send(`GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${"a".repeat(2000)}\r\n\r\n`);
  const res = await within(5000, c.response(), "the 431");
  assert.equal(res?.status, 431);
  assert.match(res!.body, /exceeds 1024 bytes/);
  assert.ok(await within(5000, c.closedByServer(), "the close after 431"));
  assert.deepEqual(h.rejected, ["head_too_large"]);
});

Deno.test("serveHttp1() answers a malformed request 400 and an unknown major version 505", async () => {
  await using h = start();
  for (
    const [head, status] of [
      ["GET /\r\n\r\n", 400],
      ["GET / HTTP/1.1\r\n\r\n", 400], // HTTP/1.1 without Host
      ["GET / HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n", 400],
      ["GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505],
    ] as const
  ) {
    const c = await h.connect();
    await c.send(head);
    assert.equal((await within(5000, c.response(), head))?.status, status, JSON.stringify(head));
  }
  assert.deepEqual(h.rejected, ["bad_request", "bad_request", "bad_request", "bad_request"]);
});

Deno.test("serveHttp1() streams a body chunk by chunk and cancels it when the client goes away", async () => {
  const first = Promise.withResolvers<void>();
  let cancelled = false;
  const handler: Http1Handler = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("data: one\n\n"));
          first.resolve();
          // No more chunks and no end: like an event stream between events.
        },
        cancel() {
          cancelled = true;
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  await using h = start({}, handler);
  const c = await h.connect();
  await c.request("/events");
  await first.promise;
  const res = await within(5000, c.response({ head: true }), "the stream's head");
  assert.equal(res?.headers.get("transfer-encoding"), "chunked");
  assert.equal(res?.headers.get("connection"), "close");
  assert.equal(await within(5000, c.chunk(), "the first chunk"), "data: one\n\n");
  c.close();
  await pollUntil("the stream to be cancelled", () => cancelled);
  await pollUntil("the connection to be released", () => h.server.connections === 0);
});

Deno.test("serveHttp1() drops a client that stops reading after the write timeout", async () => {
  let cancelled = false;
  const big = new Uint8Array(1 << 20);
  const handler: Http1Handler = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull: (controller) => controller.enqueue(big),
        cancel: () => void (cancelled = true),
      }),
    );
  await using h = start({ writeTimeoutMs: 200 }, handler);
  const c = await h.connect();
  await c.request("/firehose");
  // The client never reads: the socket buffers fill and a write stalls.
  await pollUntil("the stream to be cancelled", () => cancelled);
  assert.deepEqual(h.rejected, ["write_timeout"]);
  await pollUntil("the connection to be released", () => h.server.connections === 0);
});

Deno.test("Http1Server.close() ends idle and streaming connections and stops accepting", async () => {
  let cancelled = false;
  const handler: Http1Handler = (req) =>
    new URL(req.url).pathname === "/events"
      ? new Response(new ReadableStream({ cancel: () => void (cancelled = true) }))
      : hello(req);
  const h = start({}, handler);
  const idle = await h.connect();
  const streaming = await h.connect();
  await streaming.request("/events");
  assert.equal((await streaming.response({ head: true }))?.status, 200);
  await within(5000, h.server.close(), "close()");
  assert.ok(cancelled, "the stream was cancelled");
  assert.ok(await within(5000, idle.closedByServer(), "the idle connection to close"));
  await assert.rejects(RawHttpClient.connect(h.server.port));
  idle.close();
  streaming.close();
});
