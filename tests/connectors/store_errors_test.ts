import assert from "node:assert/strict";
import { isNetworkError, StoreError } from "../../src/connectors/store_error.ts";
import { postgresErrorKind } from "../../src/connectors/postgres/postgres_errors.ts";
import { clickHouseErrorKind } from "../../src/connectors/clickhouse/clickhouse_errors.ts";
import { redisErrorKind } from "../../src/connectors/redis/redis_errors.ts";

const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

Deno.test("StoreError is retriable unless fatal, and keeps its cause", () => {
  const cause = new Error("boom");
  for (const kind of ["transient", "timeout", "fatal"] as const) {
    const err = new StoreError("redis", "write price", kind, cause);
    assert.equal(err.retriable, kind !== "fatal");
    assert.equal(err.cause, cause);
    assert.match(err.message, /Cannot write price in redis \(\w+\): boom/);
  }
});

Deno.test("isNetworkError() recognises socket failures, also in the cause chain", () => {
  assert.ok(isNetworkError(withCode("ECONNREFUSED")));
  assert.ok(isNetworkError(Object.assign(new Error("x"), { name: "ConnectionReset" })));
  assert.ok(isNetworkError(new Error("wrapped", { cause: withCode("EPIPE") })));
  assert.ok(!isNetworkError(new Error("syntax error")));
  assert.ok(!isNetworkError(undefined));
});

Deno.test("postgresErrorKind() separates SQLSTATE classes", () => {
  const cases: [string, string][] = [
    ["08006", "transient"], // connection failure
    ["57P01", "transient"], // admin shutdown
    ["53300", "transient"], // too many connections
    ["40001", "transient"], // serialization failure
    ["40P01", "transient"], // deadlock
    ["57014", "timeout"], // statement timeout
    ["CONNECT_TIMEOUT", "timeout"],
    ["CONNECTION_CLOSED", "transient"],
    ["42601", "fatal"], // syntax error
    ["42P01", "fatal"], // undefined table
    ["22P02", "fatal"], // invalid text representation
    ["23505", "fatal"], // unique violation
  ];
  for (const [code, kind] of cases) assert.equal(postgresErrorKind(withCode(code)), kind, code);
  assert.equal(postgresErrorKind(withCode("ECONNRESET")), "transient");
});

Deno.test("clickHouseErrorKind() reads codes from errors and 18.16-style messages", () => {
  assert.equal(clickHouseErrorKind(withCode("62")), "fatal"); // syntax
  assert.equal(
    clickHouseErrorKind(new Error("Code: 60, e.displayText() = Table x doesn't exist")),
    "fatal",
  );
  assert.equal(
    clickHouseErrorKind(new Error("Code: 252, e.displayText() = Too many parts")),
    "transient",
  );
  assert.equal(
    clickHouseErrorKind(new Error("Code: 159, e.displayText() = Timeout exceeded")),
    "timeout",
  );
  assert.equal(clickHouseErrorKind(new Error("Timeout error.")), "timeout");
  assert.equal(clickHouseErrorKind(withCode("ECONNREFUSED", "connect ECONNREFUSED")), "transient");
  assert.equal(clickHouseErrorKind(new Error("Unexpected response 503")), "transient");
});

Deno.test("redisErrorKind() separates connection trouble from command errors", () => {
  assert.equal(redisErrorKind(new Error("Connection is closed.")), "transient");
  assert.equal(
    redisErrorKind(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
    "transient",
  );
  assert.equal(
    redisErrorKind(new Error("LOADING Redis is loading the dataset in memory")),
    "transient",
  );
  assert.equal(redisErrorKind(new Error("Command timed out")), "timeout");
  assert.equal(
    redisErrorKind(new Error("WRONGTYPE Operation against a key holding the wrong kind of value")),
    "fatal",
  );
  assert.equal(redisErrorKind(new Error("ERR syntax error")), "fatal");
});
