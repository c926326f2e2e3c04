/**
 * The in-process bus used when no Kafka broker is configured: ticks keyed by symbol go to one of N
 * partitions (Kafka's partitioner, so the mapping matches a topic with the same count), and each
 * partition delivers, in order, to the one consumer attached to it — in the pipeline the bounded
 * mailbox of that partition's window aggregator, so a full partition makes `publish` wait.
 * @module
 */
import { PipelineError } from "../errors.ts";
import type { Tick } from "../market/tick.ts";
import { KeyHashes } from "../connectors/kafka/murmur2.ts";

/** What a partition delivers to: `tell` returns a promise only when the consumer is full. */
export interface PartitionConsumer<T> {
  tell(message: T): void | Promise<void>;
}

/** Options of {@linkcode MemoryBus}. */
export interface MemoryBusOptions {
  readonly partitions: number;
}

/** Error raised when publishing to a partition nobody consumes. */
export class UnattachedPartitionError extends PipelineError {
  constructor(readonly partition: number) {
    super(`Cannot publish: memory-bus partition ${partition} has no consumer attached`);
  }
}

/** A keyed, partitioned, in-order, backpressured in-process bus. */
export class MemoryBus {
  readonly partitions: number;
  readonly #hashes = new KeyHashes();
  readonly #consumers: (PartitionConsumer<Tick> | undefined)[];
  readonly #published: number[];

  constructor(options: MemoryBusOptions) {
    if (!Number.isInteger(options.partitions) || options.partitions < 1) {
      throw new RangeError(
        `Cannot create memory bus: partitions must be a positive integer, received ${options.partitions}`,
      );
    }
    this.partitions = options.partitions;
    this.#consumers = new Array(options.partitions).fill(undefined);
    this.#published = new Array(options.partitions).fill(0);
  }

  /** The partition a symbol maps to. */
  partitionOf(symbol: string): number {
    return this.#hashes.partitionOf(symbol, this.partitions);
  }

  /** Attaches the consumer of `partition`; each partition has exactly one. */
  attach(partition: number, consumer: PartitionConsumer<Tick>): void {
    this.#consumers[partition] = consumer;
  }

  /** Publishes a tick keyed by its symbol. Await the result when it is a promise. */
  publish(tick: Tick): void | Promise<void> {
    const p = this.#hashes.partitionOf(tick.symbol, this.partitions);
    const consumer = this.#consumers[p];
    if (!consumer) throw new UnattachedPartitionError(p);
    this.#published[p]++;
    return consumer.tell(tick);
  }

  /** Ticks published per partition (the memory bus's "offsets"). */
  published(): readonly number[] {
    return this.#published;
  }
}
