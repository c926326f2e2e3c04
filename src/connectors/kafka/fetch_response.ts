/**
 * A Fetch response (versions 4 to 17, every version `@platformatic/kafka` speaks) read the way the
 * library reads it, except that each partition's records stay bytes: `records` is null and
 * `recordBytes` holds the partition's record batches as they came (see fetched_batches.ts). The
 * library decodes every record into objects (a `Buffer` per key, value and header); the `process`
 * role needs only each record's value and two headers, which it copies straight from these bytes.
 * The rest of the response has the library's shape, so its fetch-session and read-replica
 * bookkeeping run unchanged; errors are thrown as the library throws them.
 * @module
 */
import type { fetchV17, Reader } from "@platformatic/kafka";
import { platformatic } from "./platformatic_module.ts";

/** A partition of a Fetch response whose records were kept as bytes. */
export interface RawFetchPartition extends fetchV17.FetchResponsePartition {
  /** The partition's record batches, undecoded (null: none). */
  readonly recordBytes: Uint8Array | null;
}

/** The first and last Fetch versions this parser reads. */
export const FETCH_VERSIONS = { min: 4, max: 17 } as const;

const FETCH = 1;

/** Whether {@linkcode parseFetchResponse} reads responses of this API key and version. */
export function readsFetch(apiKey: number, apiVersion: number): boolean {
  return apiKey === FETCH && apiVersion >= FETCH_VERSIONS.min && apiVersion <= FETCH_VERSIONS.max;
}

/**
 * Reads a Fetch response of `apiVersion` from `reader` (the signature of the library's response
 * parsers, which the connection calls with the response body).
 * @throws the library's `ResponseError` (carrying the response) when a partition or the response
 * reports an error, as the library's own parser does.
 */
export function parseFetchResponse(
  _correlationId: number,
  apiKey: number,
  apiVersion: number,
  reader: Reader,
): fetchV17.FetchResponse {
  if (!readsFetch(apiKey, apiVersion)) {
    throw new Error(`parseFetchResponse cannot read API ${apiKey} v${apiVersion}`);
  }
  const v = apiVersion;
  const flexible = v >= 12;
  const errors: [string, [number, null]][] = [];
  const throttleTimeMs = reader.readInt32();
  const errorCode = v >= 7 ? reader.readInt16() : 0;
  if (errorCode !== 0) errors.push([v >= 15 ? "" : "/", [errorCode, null]]); // as the library labels it
  const sessionId = v >= 7 ? reader.readInt32() : 0;
  const response: fetchV17.FetchResponse = {
    throttleTimeMs,
    errorCode,
    sessionId,
    nodeEndpoints: [],
    responses: reader.readArray(
      (r, i) => ({
        topicId: v >= 13 ? r.readUUID() : r.readString(flexible),
        partitions: r.readArray(
          (r, j) => {
            const p = readPartition(r, v);
            if (p.errorCode !== 0) {
              errors.push([`/responses/${i}/partitions/${j}`, [p.errorCode, null]]);
            }
            return p;
          },
          flexible,
          false, // a partition's tagged fields are read with it
        ),
      }),
      flexible,
      flexible,
    ),
  };
  if (flexible) {
    platformatic().readKnownTaggedFields(reader, {
      0: (r) => {
        if (v < 16) return;
        response.nodeEndpoints = r.readArray((r) => ({
          nodeId: r.readInt32(),
          host: r.readString(),
          port: r.readInt32(),
          rack: r.readNullableString(),
        }));
      },
    });
  }
  if (errors.length > 0) {
    const { ResponseError } = platformatic();
    throw new ResponseError(apiKey, apiVersion, Object.fromEntries(errors), response);
  }
  return response;
}

function readPartition(r: Reader, v: number): RawFetchPartition {
  const flexible = v >= 12;
  const partitionIndex = r.readInt32();
  const errorCode = r.readInt16();
  const highWatermark = r.readInt64();
  const lastStableOffset = r.readInt64();
  const logStartOffset = v >= 5 ? r.readInt64() : -1n;
  const abortedTransactions = r.readNullableArray(
    (r) => ({
      producerId: r.readInt64(),
      firstOffset: r.readInt64(),
    }),
    flexible,
    flexible,
  );
  const preferredReadReplica = v >= 11 ? r.readInt32() : -1;
  const bytes = readRecordBytes(r, flexible);
  const p = {
    partitionIndex,
    errorCode,
    highWatermark,
    lastStableOffset,
    logStartOffset,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions,
    preferredReadReplica,
    records: null,
    recordBytes: bytes !== null && bytes.length > 0 ? bytes : null,
  };
  if (flexible) {
    platformatic().readKnownTaggedFields(r, {
      0: (t) => p.divergingEpoch = { epoch: t.readInt32(), endOffset: t.readInt64() },
      1: (t) => p.currentLeader = { leaderId: t.readInt32(), leaderEpoch: t.readInt32() },
      2: (t) => p.snapshotId = { endOffset: t.readInt64(), epoch: t.readInt32() },
    });
  }
  return p;
}

/**
 * A partition's records (nullable bytes) as one plain view: of the response where it lies in one
 * chunk of the socket's data, else copied. The library's `readNullableBytes` copies through
 * `Buffer.allocUnsafe`, which cost a quarter of the consumer thread in a profile.
 */
function readRecordBytes(r: Reader, flexible: boolean): Uint8Array | null {
  const length = flexible ? r.readUnsignedVarInt() - 1 : r.readInt32();
  if (length < 0) return null;
  const parts = r.buffer.subarray(r.position, r.position + length).buffers;
  r.skip(length);
  if (parts.length === 1) return new Uint8Array(parts[0].buffer, parts[0].byteOffset, length);
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
