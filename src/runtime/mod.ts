/**
 * The actor runtime: supervised actors with bounded mailboxes, domain-free.
 * @module
 */
export * from "./actor.ts";
export * from "./actor_ref.ts";
export * from "./errors.ts";
export * from "./mailbox.ts";
export * from "./props.ts";
export * from "./supervision.ts";
export * from "./system.ts";
