import assert from "node:assert/strict";
import { type LineRead, LineReader, LineSplitter } from "../../src/feeds/line_reader.ts";
import { escapeInvalidUtf8, invalidUtf8Offset } from "../../src/feeds/utf8_bytes.ts";

const encoder = new TextEncoder();

/** Lines as text, faults as `<kind line bytes raw>`, line numbers checked along the way. */
function flatten(items: LineRead[]): string[] {
  const out: string[] = [];
  let next = 1;
  for (const item of items) {
    if (item.kind === "lines") {
      assert.equal(item.firstLine, next, "line numbers run on");
      out.push(...item.lines);
      next += item.lines.length;
    } else {
      assert.equal(item.line, next, "a fault takes its line's number");
      out.push(`<${item.kind} ${item.line} ${item.byteLength} ${item.raw.slice(0, 12)}>`);
      next++;
    }
  }
  return out;
}

function split(chunks: Uint8Array[], maxLineBytes: number): string[] {
  const s = new LineSplitter(maxLineBytes);
  const items: LineRead[] = [];
  let read = 0;
  for (const c of chunks) items.push(...s.push(c, read += c.length));
  items.push(...s.end(read));
  return flatten(items);
}

function bytes(...parts: (string | number[])[]): Uint8Array {
  const all = parts.flatMap((p) => typeof p === "string" ? [...encoder.encode(p)] : p);
  return new Uint8Array(all);
}

async function readAll(content: Uint8Array, options: ConstructorParameters<typeof LineReader>[1]) {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/f`, content);
    const items: LineRead[] = [];
    for await (const item of new LineReader(`${dir}/f`, options)) items.push(item);
    return items;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("LineSplitter gives the same lines wherever a chunk ends, inside a character too", () => {
  const text = "\uFEFFé€😀\r\n\n" + "a\u00e9b€c😀d\uFFFDe\n" + "last 😀";
  const want = ["é€😀\r", "", "a\u00e9b€c😀d\uFFFDe", "last 😀"];
  const b = encoder.encode(text);
  assert.deepEqual(split([b], 1024), want);
  for (let cut = 1; cut < b.length; cut++) {
    assert.deepEqual(split([b.subarray(0, cut), b.subarray(cut)], 1024), want, `cut at ${cut}`);
  }
  for (let cut = 1; cut < b.length - 1; cut++) {
    const three = [b.subarray(0, cut), b.subarray(cut, cut + 1), b.subarray(cut + 1)];
    assert.deepEqual(split(three, 1024), want, `one-byte chunk at ${cut}`);
  }
  const single = Array.from(b, (x) => new Uint8Array([x]));
  assert.deepEqual(split(single, 1024), want, "one byte at a time");
});

Deno.test("LineSplitter reports a line over the limit as too_long and reads the next normally", () => {
  const long = "x".repeat(300);
  const b = bytes("a\n", long, "\nb\n", "é".repeat(60), "\nc");
  const want = ["a", "<too_long 2 300 xxxxxxxxxxxx>", "b", "<too_long 4 120 éééééééééééé>", "c"];
  assert.deepEqual(split([b], 100), want, "one chunk");
  for (const size of [1, 7, 64, 100, 101, 250]) {
    const chunks = [];
    for (let i = 0; i < b.length; i += size) chunks.push(b.subarray(i, i + size));
    assert.deepEqual(split(chunks, 100), want, `chunks of ${size}`);
  }
  // Exactly the limit is allowed, one more byte is not.
  assert.deepEqual(split([bytes("y".repeat(100), "\n", "z".repeat(101))], 100), [
    "y".repeat(100),
    "<too_long 2 101 zzzzzzzzzzzz>",
  ]);
});

Deno.test("LineSplitter keeps at most the limit of a long line, and its raw prefix cut cleanly", () => {
  const s = new LineSplitter(1000);
  const piece = encoder.encode("€".repeat(100)); // 300 bytes
  let read = 0;
  for (let i = 0; i < 20; i++) {
    assert.deepEqual(s.push(piece, read += piece.length).map((x) => x.kind), ["lines"]);
    assert.ok(s.pendingBytes <= 1000, `holds ${s.pendingBytes} bytes`);
  }
  const [fault] = s.push(encoder.encode("\n"), ++read);
  assert.equal(fault.kind, "too_long");
  if (fault.kind !== "too_long") return;
  assert.equal(fault.byteLength, 6000);
  assert.equal(fault.raw, "€".repeat(333), "1000 bytes cut before a character that did not fit");
  assert.equal(s.pendingBytes, 0);
});

Deno.test("LineSplitter turns lines that are not UTF-8 into faults; valid neighbours stay lines", () => {
  const b = bytes(
    '{"id":"x',
    [0xff],
    '"}\n',
    '{"id":"ok"}\n',
    '{"id":"x',
    [0xfe],
    '"}\n',
    "U+FFFD itself is fine: \uFFFD\n",
    '{"id":"x',
    [0xc3],
    '"}\n',
    [0xed, 0xa0, 0x80],
    " a surrogate\n",
    [0xc0, 0xaf],
    " overlong\n",
    "end",
  );
  const want = [
    '<bad_utf8 1 11 {"id":"x\\xff>',
    '{"id":"ok"}',
    '<bad_utf8 3 11 {"id":"x\\xfe>',
    "U+FFFD itself is fine: \uFFFD",
    '<bad_utf8 5 11 {"id":"x\\xc3>',
    "<bad_utf8 6 15 \\xed\\xa0\\x80>",
    "<bad_utf8 7 11 \\xc0\\xaf ove>",
    "end",
  ];
  assert.deepEqual(split([b], 1024), want);
  for (let cut = 1; cut < b.length; cut++) {
    assert.deepEqual(split([b.subarray(0, cut), b.subarray(cut)], 1024), want, `cut at ${cut}`);
  }
});

Deno.test("escapeInvalidUtf8() keeps distinct bytes distinct and marks the first bad one", () => {
  const ids = [[0xff], [0xfe], [0xc3]].map((x) => bytes("x", x));
  assert.deepEqual(ids.map(escapeInvalidUtf8), ["x\\xff", "x\\xfe", "x\\xc3"]);
  assert.deepEqual(ids.map(invalidUtf8Offset), [1, 1, 1]);
  assert.equal(escapeInvalidUtf8(bytes("a", [0xf0, 0x9f, 0x98], "b")), "a\\xf0\\x9f\\x98b");
  assert.equal(escapeInvalidUtf8(bytes("é€😀")), "é€😀");
  assert.equal(invalidUtf8Offset(bytes("é€😀")), -1);
  assert.equal(invalidUtf8Offset(bytes("ab", [0xf4, 0x90, 0x80, 0x80])), 2, "above U+10FFFF");
});

Deno.test("LineReader reads a file's lines and faults in order, whatever the chunk size", async () => {
  const content = bytes(
    "\uFEFFfirst\n",
    "x".repeat(5000),
    "\nsecond\n",
    [0x7b, 0xff, 0x7d],
    "\nthird",
  );
  const want = [
    "first",
    "<too_long 2 5000 xxxxxxxxxxxx>",
    "second",
    "<bad_utf8 4 3 {\\xff}>",
    "third",
  ];
  for (const chunkBytes of [16, 1000, 4096, 1 << 20]) {
    const items = await readAll(content, { chunkBytes, maxLineBytes: 4096 });
    assert.deepEqual(flatten(items), want, `chunks of ${chunkBytes}`);
    assert.equal(items.at(-1)!.bytesRead, content.length);
    const fault = items.find((i) => i.kind === "too_long");
    assert.equal(fault?.kind === "too_long" && fault.raw.length, 4096, "raw is the first 4 KiB");
  }
});

Deno.test("LineReader over /dev/zero holds at most the limit and stops when aborted", async () => {
  const abort = new AbortController();
  const stopping = new LineReader("/dev/zero", {
    chunkBytes: 65_536,
    maxLineBytes: 4096,
    signal: abort.signal,
  });
  let items = 0;
  let bytesRead = 0;
  for await (const item of stopping) {
    assert.equal(item.kind, "lines");
    assert.equal(item.kind === "lines" && item.lines.length, 0, "no line ever ends");
    assert.ok(stopping.pendingBytes <= 4096, `holds ${stopping.pendingBytes} bytes`);
    bytesRead = item.bytesRead;
    if (++items === 200) abort.abort();
  }
  assert.equal(items, 200);
  assert.equal(bytesRead, 200 * 65_536, "13 MB read, 4 KiB held");
});
