import assert from "node:assert/strict";
import { findHeadEnd, parseRequestHead, RequestHeadError } from "../../src/http/http1_head.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("findHeadEnd() finds the blank line however the head was split, CRLF or bare LF", () => {
  const head = "GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /next";
  const buf = bytes(head);
  const end = head.indexOf("GET /next");
  // Fed one byte at a time, resuming where the previous search stopped.
  let found = -1;
  for (let len = 1, from = 0; len <= buf.length && found < 0; from = len++) {
    found = findHeadEnd(buf, len, from);
  }
  assert.equal(found, end);
  assert.equal(findHeadEnd(bytes("GET / HTTP/1.1\nHost: t\n\nrest"), 24), 24);
  assert.equal(findHeadEnd(bytes("GET / HTTP/1.1\r\nHost: t\r\n"), 25), -1);
  assert.equal(
    findHeadEnd(bytes("GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 26),
    -1,
    "bytes past length",
  );
});

Deno.test("parseRequestHead() reads method, target, version and headers; keep-alive and body flags", () => {
  const h = parseRequestHead(bytes("GET /api?x=1 HTTP/1.1\r\nHost: t\r\nX-A:  v \r\n\r\n"));
  assert.deepEqual(
    { ...h, headers: [...h.headers] },
    {
      method: "GET",
      target: "/api?x=1",
      version: "HTTP/1.1",
      headers: [["host", "t"], ["x-a", "v"]],
      keepAlive: true,
      hasBody: false,
    },
  );
  const parse = (s: string) => parseRequestHead(bytes(s + "\r\n"));
  assert.equal(
    parse("GET / HTTP/1.1\r\nHost: t\r\nConnection: Keep-Alive, close\r\n").keepAlive,
    false,
  );
  assert.equal(parse("GET / HTTP/1.0\r\n").keepAlive, false, "HTTP/1.0 closes");
  assert.equal(parse("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n").hasBody, false);
  assert.equal(parse("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n").hasBody, true);
  assert.equal(parse("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n").hasBody, true);
  assert.equal(parse("\r\nGET / HTTP/1.1\r\nHost: t\r\n").method, "GET", "leading empty line");
});

Deno.test("parseRequestHead() refuses malformed heads with 400 and other major versions with 505", () => {
  for (
    const [head, status] of [
      ["GET / HTTP/1.1 extra", 400],
      ["GET  / HTTP/1.1", 400],
      ["GET / HTTP/1.1\r\nHost: t\r\nBad Name: x", 400],
      ["GET / HTTP/1.1\r\nHost: t\r\n folded", 400],
      ["GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2", 400],
      ["GET / HTTP/1.1\r\nHost: t\r\nContent-Length: -1", 400],
      ["GET / HTTP/1.1", 400],
      ["GET / HTTP/1.1\r\nHost: a\r\nHost: b", 400],
      ["GET * HTTP/1.1\r\nHost: t", 400],
      ["GET / HTTX/1.1", 400],
      ["GET / HTTP/2.0", 505],
    ] as const
  ) {
    assert.throws(
      () => parseRequestHead(bytes(head + "\r\n\r\n")),
      (e) => e instanceof RequestHeadError && e.status === status,
      JSON.stringify(head),
    );
  }
});
