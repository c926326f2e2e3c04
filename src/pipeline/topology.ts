/**
 * What the pipeline needs of the bus between its sources and its partition stages, in either
 * mode: the memory bus (memory_topology.ts) or Kafka's roles (kafka/kafka_roles.ts).
 * @module
 */
import type { TickOutput } from "../feeds/source.ts";

/** A running topology. */
export interface Topology {
  /** Where sources deliver. */
  readonly output: TickOutput;
  /** Every finite source ended: flush (memory bus) or mark the end of every partition (Kafka). */
  endOfInput(): Promise<void>;
  /** Stop taking input from outside the process (leave the consumer groups), before the stages drain. */
  stopInputs(): Promise<void>;
  /** Close what is left (the Kafka producer), after the stages drained. */
  close(): Promise<void>;
}
