import assert from "node:assert/strict";
import { createActorSystem } from "../../src/runtime/system.ts";
import { createRegistry, type Registry } from "../../src/telemetry/metrics.ts";
import { FakeClock, gate, settle } from "./_helpers.ts";
import { pollUntil } from "../helpers/services.ts";

async function value(registry: Registry, name: string, labels: Record<string, string | number>) {
  const metrics = await registry.getMetricsAsJSON();
  const metric = metrics.find((m) => m.name === name);
  if (metric === undefined) throw new Error(`metric ${name} is not registered`);
  const entry = metric.values.find((v) =>
    Object.entries(labels).every(([k, want]) =>
      (v.labels as Record<string, unknown>)[k] === want
    ) &&
    (labels.le === undefined || (v as { metricName?: string }).metricName === `${name}_bucket`)
  );
  return entry?.value;
}

Deno.test("actor metrics count messages, failures, restarts, dead letters and mailbox gauges", async () => {
  const registry = createRegistry();
  const clock = new FakeClock();
  const system = createActorSystem({ registry, clock, random: () => 0.5 });
  const hold = gate();
  let instance = 0;
  const ref = system.spawn<number>({
    name: "m",
    mailbox: { capacity: 8 },
    supervision: { maxMessageFailures: 2, backoff: { minMs: 10, maxMs: 10 } },
    factory: () => {
      instance++;
      return {
        async receive(n) {
          if (n === 99) await hold.promise;
          if (n < 0) throw new Error("negative");
        },
      };
    },
  });
  for (let i = 0; i < 5; i++) ref.tell(i);
  ref.tell(-1);
  await pollUntil("the first restart backoff", () => clock.pending === 1, 5000, 1);
  clock.tick(10);
  await pollUntil("the second failure", () => clock.pending === 1 && instance === 2, 5000, 1);
  clock.tick(10);
  await pollUntil("the second restart", () => instance === 3, 5000, 1);
  ref.tell(99);
  ref.tell(1);
  ref.tell(2);
  await settle();
  assert.equal(await value(registry, "pipeline_actor_messages_total", { actor: "m" }), 5);
  assert.equal(await value(registry, "pipeline_actor_failures_total", { actor: "m" }), 2);
  assert.equal(await value(registry, "pipeline_actor_restarts_total", { actor: "m" }), 2);
  assert.equal(await value(registry, "pipeline_actor_dead_letters_total", { actor: "m" }), 1);
  assert.equal(await value(registry, "pipeline_actor_mailbox_size", { actor: "m" }), 2);
  assert.equal(await value(registry, "pipeline_actor_mailbox_capacity", { actor: "m" }), 8);
  hold.open();
  await system.shutdown();
  assert.equal(await value(registry, "pipeline_actor_messages_total", { actor: "m" }), 8);
  const text = await registry.getSingleMetricAsString("pipeline_actor_processing_seconds");
  assert.match(text, /# TYPE pipeline_actor_processing_seconds histogram/);
  assert.match(text, /pipeline_actor_processing_seconds_bucket\{actor="m",le="\+Inf"\} \d+/);
  assert.match(text, /pipeline_actor_processing_seconds_count\{actor="m"\} \d+/);
});

Deno.test("actor metrics count drops by policy and time senders spent blocked", async () => {
  const registry = createRegistry();
  const clock = new FakeClock();
  const system = createActorSystem({ registry, clock });
  const lossy = system.spawn<number>({
    name: "lossy",
    mailbox: { capacity: 2, policy: "drop_oldest" },
    factory: () => ({ receive() {} }),
  });
  for (let i = 0; i < 5; i++) lossy.tell(i);
  const hold = gate();
  const narrow = system.spawn<number>({
    name: "narrow",
    mailbox: { capacity: 1 },
    factory: () => ({ receive: (n) => (n === 0 ? hold.promise : undefined) }),
  });
  narrow.tell(0);
  await settle();
  narrow.tell(1);
  const blocked = narrow.tell(2);
  assert.ok(blocked instanceof Promise);
  clock.tick(2500);
  hold.open();
  await blocked;
  assert.equal(
    await value(registry, "pipeline_actor_dropped_total", {
      actor: "lossy",
      policy: "drop_oldest",
    }),
    3,
  );
  assert.equal(
    await value(registry, "pipeline_actor_blocked_seconds_total", { actor: "narrow" }),
    2.5,
  );
  const text = await registry.getSingleMetricAsString("pipeline_actor_dropped_total");
  assert.doesNotMatch(text, /actor="narrow"/, "block mailboxes never drop");
  await system.shutdown();
});

Deno.test("actor metrics turn histogram buckets are cumulative", async () => {
  const registry = createRegistry();
  const clock = new FakeClock();
  const system = createActorSystem({ registry, clock });
  const ref = system.spawn<number>({
    name: "timed",
    mailbox: { capacity: 8, batchSize: 1 },
    factory: () => ({ receive: (n) => clock.tick(n) }),
  });
  ref.tellBatch([0, 3, 3000]); // 0 s, 3 ms, 3 s turns
  await pollUntil("the three turns", () => ref.size === 0, 5000, 1);
  await system.shutdown();
  const bucket = (le: number | string) =>
    value(registry, "pipeline_actor_processing_seconds", { actor: "timed", le });
  assert.equal(await bucket(0.0001), 1);
  assert.equal(await bucket(0.0025), 1);
  assert.equal(await bucket(0.005), 2);
  assert.equal(await bucket(2.5), 2);
  assert.equal(await bucket(5), 3);
  assert.equal(await bucket("+Inf"), 3);
  const text = await registry.getSingleMetricAsString("pipeline_actor_processing_seconds");
  assert.match(text, /pipeline_actor_processing_seconds_sum\{actor="timed"\} 3\.003/);
});
