/**
 * The embedded topology: the in-process memory bus, one partition stage per bus partition with
 * its window work in this thread. Sources publish to the bus; the end of every finite source
 * flushes every window stage, and the pipeline is drained once all of that is durable.
 * @module
 */
import { barrier } from "../../actors/barrier.ts";
import { MemoryBus } from "../bus/memory_bus.ts";
import type { Logger } from "../logger.ts";
import type { GiveUpLedger } from "./give_up_ledger.ts";
import { spawnPartitionStage, type StageContext } from "./partition_stage.ts";
import type { Topology } from "./topology.ts";

/** Spawns the partition stages and attaches them to a new memory bus. */
export function startMemoryTopology(
  stage: StageContext,
  deps: { log: Logger; ledger: GiveUpLedger; onDrained: () => void },
): Topology {
  const { config, routes } = stage;
  const { log, ledger } = deps;
  const bus = new MemoryBus({ partitions: config.bus.partitions });
  const stages = Array.from({ length: bus.partitions }, (_, p) => {
    const { windows } = spawnPartitionStage(stage, { kind: "memory", partition: p });
    bus.attach(p, windows);
    return windows;
  });
  return {
    output: { tick: (t) => bus.publish(t), deadLetter: (d) => routes.deadLetters([d]) },
    async endOfInput() {
      log.info("all finite sources ended: flushing open windows");
      try {
        await Promise.all(stages.map((s) => barrier(s, "flush")));
      } catch (error) {
        // A stop gave results up while they were flushed: the stop reports it.
        log.error("input ended, but the flush was cut short", { error });
        return;
      }
      if (ledger.total === 0) log.info("all results are stored");
      else log.error("input ended, but results were given up", { given_up: ledger.entries() });
      deps.onDrained();
    },
    stopInputs: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
