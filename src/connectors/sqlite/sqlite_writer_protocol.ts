/**
 * What the SQLite store and its writer thread (sqlite_writer_main.ts) say to each other. Every
 * request is answered once, in order, with its id; a reply without `error` means done (a write:
 * committed).
 * @module
 */
import type { WriteBatch } from "./sqlite_writes.ts";

/** A request to the writer thread. */
export type WriterRequest =
  | { readonly op: "open"; readonly id: number; readonly path: string }
  | { readonly op: "write"; readonly id: number; readonly batch: WriteBatch }
  | { readonly op: "close"; readonly id: number };

/** A `node:sqlite` failure as it crosses threads: what classifies it (sqlite_errors.ts) kept. */
export interface WriterFailure {
  readonly message: string;
  readonly errcode?: number;
  readonly errstr?: string;
  readonly code?: string;
}

/** The writer thread's answer to request `id`. */
export interface WriterReply {
  readonly id: number;
  readonly error?: WriterFailure;
}
