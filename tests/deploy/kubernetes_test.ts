/**
 * Issue #15: the Kubernetes manifests under deploy/kubernetes/ are the generator's output, every
 * object validates against its real schema — core objects with `kubernetes-models` (the
 * Kubernetes OpenAPI schemas), KEDA and Prometheus Operator objects with their
 * `@kubernetes-models` packages (generated from the CRDs), Strimzi objects against the typed
 * shapes of deploy/kubernetes/model/strimzi.ts (no Strimzi models exist on npm) — the settings
 * agree with the pipeline's own limits, and every overlay renders with `kubectl kustomize`
 * (offline) into objects that validate too and differ only in connection settings.
 * @module
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace } from "kubernetes-models/v1";
import { renderFiles } from "../../deploy/kubernetes/generate.ts";
import { CONNECTIONS } from "../../deploy/kubernetes/model/config.ts";
import {
  MAIN_BACKSTOP_S,
  MEMORY_PER_HEAP,
  SHUTDOWN_TIMEOUT_S,
  SIZING,
} from "../../deploy/kubernetes/model/settings.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import { requireService } from "../helpers/services.ts";

const ROOT = new URL("../../deploy/kubernetes/", import.meta.url);
type Doc = {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
  spec?: unknown;
};

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "keda.sh/v1alpha1/TriggerAuthentication": TriggerAuthentication,
  "monitoring.coreos.com/v1/PodMonitor": PodMonitor,
};

/** Strimzi kinds: required paths and the keys allowed under `spec` (from the CRDs' v1beta2). */
const STRIMZI: Record<string, { required: string[]; spec: string[] }> = {
  Kafka: {
    required: ["spec.kafka.listeners", "spec.entityOperator"],
    spec: ["kafka", "entityOperator"],
  },
  KafkaNodePool: {
    required: ["spec.replicas", "spec.roles", "spec.storage"],
    spec: ["replicas", "roles", "storage"],
  },
  KafkaTopic: {
    required: ["spec.partitions", "spec.replicas"],
    spec: ["topicName", "partitions", "replicas", "config"],
  },
  KafkaUser: { required: ["spec.authentication"], spec: ["authentication", "authorization"] },
};

function parse(text: string): Doc[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Doc).filter(Boolean);
}

/** Validates one object; returns how it was checked. */
function validate(doc: Doc, where: string): string {
  if (doc.apiVersion === "kafka.strimzi.io/v1beta2") {
    const shape = STRIMZI[doc.kind];
    assert.ok(shape, `${where}: unknown Strimzi kind ${doc.kind}`);
    for (const path of shape.required) {
      const value = path.split(".").reduce<unknown>(
        (o, k) => (o as Record<string, unknown>)?.[k],
        doc,
      );
      assert.notEqual(value, undefined, `${where}: ${doc.kind} needs ${path}`);
    }
    const extra = Object.keys(doc.spec as object).filter((k) => !shape.spec.includes(k));
    assert.deepEqual(extra, [], `${where}: ${doc.kind} spec has unknown keys`);
    assert.match(
      doc.metadata?.name ?? "",
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
      `${where}: DNS-1123 name`,
    );
    return "strimzi";
  }
  if (doc.apiVersion === "kustomize.config.k8s.io/v1beta1") return "kustomization";
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  assert.ok(Model, `${where}: no model for ${doc.apiVersion} ${doc.kind}`);
  try {
    new Model(doc as never).validate();
  } catch (e) {
    assert.fail(`${where}: ${doc.kind} ${doc.metadata?.name}: ${(e as Error).message}`);
  }
  return "model";
}

Deno.test("deploy/kubernetes: the committed YAML is the generator's output, byte for byte", async () => {
  const rendered = renderFiles();
  for (const [path, text] of rendered) {
    const committed = await Deno.readTextFile(new URL(path, ROOT)).catch(() => "(missing)");
    assert.equal(committed, text, `${path} differs: run deno task k8s`);
  }
  const onDisk: string[] = [];
  const walk = async (dir: URL, prefix: string) => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) await walk(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`);
      else if (entry.name.endsWith(".yaml")) onDisk.push(`${prefix}${entry.name}`);
    }
  };
  await walk(ROOT, "");
  assert.deepEqual(
    onDisk.sort(),
    [...rendered.keys()].sort(),
    "no YAML the generator does not make",
  );
});

Deno.test("deploy/kubernetes: every object validates against its schema", () => {
  const how = new Map<string, number>();
  for (const [path, text] of renderFiles()) {
    if (path.endsWith("strimzi-secrets.yaml")) continue; // a partial patch: checked once applied
    for (const doc of parse(text)) {
      const kind = validate(doc, path);
      how.set(kind, (how.get(kind) ?? 0) + 1);
    }
  }
  assert.ok(
    (how.get("model") ?? 0) >= 20 && (how.get("strimzi") ?? 0) === 7,
    JSON.stringify([...how]),
  );
});

Deno.test("deploy/kubernetes: sizes, probes, security and shutdown agree with the pipeline", () => {
  const deployments = parse(renderFiles().get("base/deployments.yaml")!) as unknown as Deployment[];
  assert.equal(deployments.length, 3);
  for (const d of deployments) {
    const pod = d.spec!.template.spec!;
    const c = pod.containers[0];
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    const role = env.ROLE as keyof typeof SIZING;
    assert.equal(Number(env.HEAP_LIMIT_MB), SIZING[role].heapLimitMb);
    const memory = Number(String(c.resources!.limits!.memory).replace(/Mi$/, ""));
    assert.ok(memory >= MEMORY_PER_HEAP * SIZING[role].heapLimitMb, `${role}: memory ≥ 2 × heap`);
    assert.equal(c.resources!.requests!.memory, c.resources!.limits!.memory);
    const stop = Number(String(env.SHUTDOWN_TIMEOUT).replace(/s$/, ""));
    assert.equal(stop, SHUTDOWN_TIMEOUT_S);
    assert.ok(pod.terminationGracePeriodSeconds! > stop + MAIN_BACKSTOP_S, `${role}: grace period`);
    assert.equal(c.livenessProbe?.httpGet?.path, "/health");
    assert.equal(c.readinessProbe?.httpGet?.path, "/ready");
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ["ALL"] },
    });
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    // The pipeline itself accepts the role's settings (shared ConfigMap + the role's env).
    const shared = parse(renderFiles().get("base/config.yaml")!)[0] as unknown as ConfigMap;
    const all: Record<string, string> = {
      ...shared.data,
      ...CONNECTIONS.aws.settings,
      ...Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? ""])),
    };
    const files = (path: string) => {
      if (path.endsWith(".pem")) return "-----BEGIN CERTIFICATE-----\n";
      return path.endsWith("database-url")
        ? "postgres://app@db:5432/x"
        : path.endsWith("redis-url")
        ? "rediss://:pw@cache:6379"
        : "secret";
    };
    const r = loadConfig({ args: [], env: (n) => all[n], readFile: files });
    assert.equal(r.kind, "ok", `${role}: ${JSON.stringify(r)}`);
  }
});

Deno.test("deploy/kubernetes: each role has a budget, a network policy and the PodMonitor's port", () => {
  const files = renderFiles();
  const names = (path: string) => parse(files.get(path)!).map((d) => d.metadata?.name);
  const roles = ["crypto-ingest", "crypto-process", "crypto-archive"];
  assert.deepEqual(names("base/disruption-budgets.yaml"), roles);
  assert.deepEqual(names("base/network-policies.yaml"), roles);
  const monitor = parse(files.get("base/monitoring.yaml")!)[0] as unknown as PodMonitor;
  const deployments = parse(files.get("base/deployments.yaml")!) as unknown as Deployment[];
  for (const d of deployments) {
    const podLabels = d.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels!)) {
      assert.equal(podLabels[k], v, "the PodMonitor selects every role's pods");
    }
    const port = d.spec!.template.spec!.containers[0].ports![0].name;
    assert.equal(monitor.spec.podMetricsEndpoints![0].port, port);
  }
});

const kubectl = await requireService("kubectl (Debian kubernetes-client)", async () => {
  const out = await new Deno.Command("kubectl", { args: ["version", "--client"], stdout: "null" })
    .output();
  if (!out.success) throw new Error("kubectl version --client failed");
});

Deno.test({
  name: "deploy/kubernetes: kubectl kustomize renders every overlay offline into valid objects",
  ignore: !kubectl,
  fn: async () => {
    const rendered = new Map<string, Doc[]>();
    for (const env of Object.keys(CONNECTIONS)) {
      const out = await new Deno.Command("kubectl", {
        args: ["kustomize", new URL(`overlays/${env}`, ROOT).pathname],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, `kubectl kustomize overlays/${env}: ${stderr}`);
      const docs = parse(new TextDecoder().decode(out.stdout));
      for (const doc of docs) validate(doc, `overlays/${env} (rendered)`);
      rendered.set(env, docs);
    }
    // Differences between overlays: connection settings only (plus local's Strimzi cluster).
    const strip = (docs: Doc[]) =>
      docs.filter((d) => !d.apiVersion.startsWith("kafka.strimzi.io")).map((d) => {
        // deno-lint-ignore no-explicit-any
        const copy = structuredClone(d) as Record<string, any>;
        if (d.kind === "ConfigMap") {
          for (const key of Object.keys(CONNECTIONS.local.settings)) delete copy.data[key];
          for (const s of Object.values(CONNECTIONS)) {
            for (const key of Object.keys(s.settings)) delete copy.data[key];
          }
        }
        if (d.kind === "ScaledObject") delete copy.spec.triggers[0].metadata.sasl;
        if (d.kind === "TriggerAuthentication") delete copy.spec;
        if (d.kind === "Deployment") {
          const pod = copy.spec.template.spec;
          pod.volumes = pod.volumes.filter((v: { name: string }) => v.name !== "secrets");
          pod.containers[0].image = "(image)";
        }
        return copy;
      });
    const local = strip(rendered.get("local")!);
    for (const [env, docs] of rendered) {
      assert.deepEqual(strip(docs), local, `overlays/${env} differs from local beyond connections`);
      assert.ok(
        docs.every((d) =>
          !d.metadata || (d.metadata as { namespace?: string }).namespace === "crypto-pipeline" ||
          d.kind === "Namespace"
        ),
      );
    }
  },
});
