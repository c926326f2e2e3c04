/**
 * Props: the recipe for an actor, everything needed to (re)create it.
 * @module
 */
import type { Actor } from "./actor.ts";
import type { MailboxOptions } from "./mailbox.ts";
import type { SupervisionOptions } from "./supervision.ts";

/** How to build and run an actor. */
export interface Props<M> {
  /** Unique among its siblings; a child's full name is `parent/name`. */
  name: string;
  /** Makes a fresh instance; called on spawn and on every restart, so state never leaks across. */
  factory: () => Actor<M>;
  /** The mailbox bound and when-full policy. */
  mailbox: MailboxOptions;
  /** Defaults: see `DEFAULT_SUPERVISION`. */
  supervision?: SupervisionOptions;
}
