/**
 * The kustomize overlays. Each takes the base as it is and changes only where the pipeline
 * connects: the ConfigMap's connection settings, KEDA's Kafka mechanism and credentials, and (local)
 * the Strimzi Secrets mounted beside the operator's. The local overlay also holds the Strimzi
 * cluster it connects to.
 *
 * Written for kustomize v2.0 (what Debian's kubectl 1.20 embeds) and current kustomize alike:
 * `bases` and `patchesStrategicMerge` are the fields both understand.
 * @module
 */
import { ConfigMap, type IVolume } from "kubernetes-models/v1";
import { scaledObject, TRIGGER_AUTH, triggerAuthentication } from "./autoscaling.ts";
import { CONNECTIONS, type Environment, secretFile } from "./config.ts";
import { CLUSTER_CA_SECRET, KAFKA_USER, strimziObjects } from "./strimzi.ts";
import { CONFIG_MAP, NAMESPACE, ROLES, SECRET } from "./settings.ts";

/** One overlay: its kustomization and the documents of each file it names. */
export interface Overlay {
  readonly kustomization: Record<string, unknown>;
  readonly files: Record<string, readonly object[]>;
}

/** Only the connection settings: merged into the base ConfigMap. */
function connectionPatch(env: Environment): ConfigMap {
  return new ConfigMap({
    metadata: { name: CONFIG_MAP, namespace: NAMESPACE },
    data: { ...CONNECTIONS[env].settings },
  });
}

/**
 * Local: Strimzi's user and CA Secrets join the operator's Secret in the mounted directory. A
 * strategic-merge patch, so a partial Deployment (the volume, merged by name): typed as a volume,
 * validated as whole Deployments once kustomize has applied it (the test renders every overlay).
 */
function strimziSecretsPatch(): object[] {
  const file = (path: string) => path.slice(secretFile("").length);
  const volume: IVolume = {
    name: "secrets",
    projected: {
      defaultMode: 0o440,
      sources: [
        { secret: { name: SECRET, optional: true } },
        {
          secret: {
            name: KAFKA_USER,
            items: [{ key: "password", path: file(secretFile("kafka-sasl-password")) }],
          },
        },
        {
          secret: {
            name: CLUSTER_CA_SECRET,
            items: [{ key: "ca.crt", path: file(secretFile("kafka-ca.crt")) }],
          },
        },
      ],
    },
  };
  return ROLES.map((role) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `crypto-${role}`, namespace: NAMESPACE },
    spec: { template: { spec: { volumes: [volume] } } },
  }));
}

const IMAGES = [{
  name: "crypto-pipeline",
  newName: "registry.example.com/crypto-pipeline",
  newTag: "0.1.0",
}];

/** Every overlay, by environment. */
export function overlays(): Record<Environment, Overlay> {
  const out = {} as Record<Environment, Overlay>;
  for (const env of Object.keys(CONNECTIONS) as Environment[]) {
    const local = env === "local";
    const keda = [
      scaledObject(CONNECTIONS[env].kedaSasl),
      ...(local
        ? [triggerAuthentication(
          [
            { parameter: "password", name: KAFKA_USER, key: "password" },
            { parameter: "ca", name: CLUSTER_CA_SECRET, key: "ca.crt" },
          ],
          [{ parameter: "username", name: "KAFKA_SASL_USERNAME" }],
        )]
        : []),
    ];
    const files: Record<string, readonly object[]> = {
      "connection.yaml": [connectionPatch(env)],
      "keda.yaml": keda,
      ...(local
        ? { "strimzi-secrets.yaml": strimziSecretsPatch(), "strimzi.yaml": strimziObjects() }
        : {}),
    };
    out[env] = {
      kustomization: {
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        bases: ["../../base"],
        ...(local ? { resources: ["strimzi.yaml"] } : {}),
        patchesStrategicMerge: Object.keys(files).filter((f) => f !== "strimzi.yaml"),
        images: env === "local" ? [{ name: "crypto-pipeline", newTag: "0.1.0" }] : IMAGES,
      },
      files,
    };
  }
  return out;
}

export { TRIGGER_AUTH };
