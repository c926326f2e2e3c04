/**
 * `@platformatic/kafka`, loaded on first use. The library reads a WebAssembly file from its package
 * when its module is evaluated, so a static import would make every instance — embedded ones and
 * kafkajs ones included — load it and need read access to it. Only `--kafka-client platformatic`
 * loads it (src/pipeline/kafka/kafka_roles.ts awaits {@linkcode loadPlatformatic} before building
 * the client), and the launcher grants that read only then (src/config/permissions.ts).
 * @module
 */
import type * as Platformatic from "@platformatic/kafka";

let loaded: typeof Platformatic | undefined;

/** Loads the library once; later calls return the same module. */
export async function loadPlatformatic(): Promise<typeof Platformatic> {
  loaded ??= await import("@platformatic/kafka");
  return loaded;
}

/** The loaded library; throws when {@linkcode loadPlatformatic} has not completed yet. */
export function platformatic(): typeof Platformatic {
  if (loaded === undefined) {
    throw new Error("Cannot use @platformatic/kafka: await loadPlatformatic() first");
  }
  return loaded;
}
