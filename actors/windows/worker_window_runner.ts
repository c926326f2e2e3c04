/**
 * A partition's window work on the window worker thread (window_worker_host.ts): the Kafka
 * `process` role's runner. The consumer thread is left with Kafka's own protocol decoding, which
 * is most of its work; records are decoded, validated and aggregated on the worker. Requests made
 * in one event-loop task travel together (window_worker_client.ts).
 * @module
 */
import type { PackedRecords } from "../../src/connectors/kafka/packed_records.ts";
import type { WindowWorkerClient } from "./window_worker_client.ts";
import type { WindowStep as WorkerStep } from "./window_worker_protocol.ts";
import type { WindowRunner, WindowStep } from "./window_runner.ts";
import type { RestorePoint } from "./window_core.ts";

/** One partition's runner on a shared window worker. */
export class WorkerWindowRunner implements WindowRunner {
  readonly #worker: WindowWorkerClient;
  readonly #partition: number;
  readonly #maxSymbols: number | undefined;
  readonly #of: number;

  /** `of`: the topic's partition count (a record whose symbol belongs elsewhere is refused). */
  constructor(worker: WindowWorkerClient, partition: number, of: number, maxSymbols?: number) {
    this.#worker = worker;
    this.#partition = partition;
    this.#of = of;
    this.#maxSymbols = maxSymbols;
  }

  async open(now: number): Promise<void> {
    await this.#worker.request({
      op: "open",
      partition: this.#partition,
      of: this.#of,
      maxSymbols: this.#maxSymbols,
      now,
    });
  }

  ticks(): Promise<WindowStep> {
    return Promise.reject(new Error("WorkerWindowRunner takes Kafka records, not ticks"));
  }

  records(records: PackedRecords, now: number): Promise<WindowStep> {
    return this.#request({ op: "records", partition: this.#partition, now, records });
  }

  restore(point: RestorePoint, now: number): Promise<WindowStep> {
    const { watermark, reached } = point;
    return this.#request({ op: "restore", partition: this.#partition, now, watermark, reached });
  }

  flush(now: number): Promise<WindowStep> {
    return this.#request({ op: "flush", partition: this.#partition, now });
  }

  idle(quietMs: number, timeoutMs: number, now: number): Promise<WindowStep> {
    return this.#request({ op: "idle", partition: this.#partition, now, quietMs, timeoutMs });
  }

  close(now: number): void {
    const closed = this.#worker.request({ op: "close", partition: this.#partition, now });
    closed.catch(() => {}); // a terminated worker holds no state to close
  }

  async #request(
    body: Parameters<WindowWorkerClient["request"]>[0],
  ): Promise<WindowStep> {
    const step: WorkerStep = await this.#worker.request(body);
    return { ...step, ticks: step.latest };
  }
}
