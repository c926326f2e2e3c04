/**
 * The local overlay's Kafka: a Strimzi-operated KRaft cluster in the namespace, its topics and the
 * pipeline's SCRAM-SHA-512 user. No typed models of Strimzi's CRDs are published on npm, so these
 * interfaces cover the fields used here, written from Strimzi's `kafka.strimzi.io/v1beta2` CRDs;
 * tests/deploy/kubernetes_test.ts checks every object against them (kinds, required fields, no
 * unknown keys).
 * @module
 */
import { labels, NAMESPACE, TICKS_PARTITIONS } from "./settings.ts";

export const STRIMZI_API = "kafka.strimzi.io/v1beta2";
export const KAFKA_CLUSTER = "crypto-kafka";
/** The user the pipeline authenticates as; Strimzi writes its password to a Secret of that name. */
export const KAFKA_USER = "crypto-pipeline";
/** Strimzi's Secret with the cluster CA certificate (`ca.crt`). */
export const CLUSTER_CA_SECRET = `${KAFKA_CLUSTER}-cluster-ca-cert`;

interface Meta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** `Kafka` (the fields used). */
export interface StrimziKafka {
  apiVersion: typeof STRIMZI_API;
  kind: "Kafka";
  metadata: Meta;
  spec: {
    kafka: {
      listeners: {
        name: string;
        port: number;
        type: "internal";
        tls: boolean;
        authentication: { type: "scram-sha-512" };
      }[];
      authorization: { type: "simple" };
      config: Record<string, string | number>;
    };
    entityOperator: { topicOperator: Record<never, never>; userOperator: Record<never, never> };
  };
}

/** `KafkaNodePool` (the fields used). */
export interface StrimziNodePool {
  apiVersion: typeof STRIMZI_API;
  kind: "KafkaNodePool";
  metadata: Meta;
  spec: {
    replicas: number;
    roles: ("controller" | "broker")[];
    storage: { type: "persistent-claim"; size: string; deleteClaim: boolean };
  };
}

/** `KafkaTopic` (the fields used). */
export interface StrimziTopic {
  apiVersion: typeof STRIMZI_API;
  kind: "KafkaTopic";
  metadata: Meta;
  spec: {
    topicName: string;
    partitions: number;
    replicas: number;
    config?: Record<string, string>;
  };
}

/** `KafkaUser` (the fields used). */
export interface StrimziUser {
  apiVersion: typeof STRIMZI_API;
  kind: "KafkaUser";
  metadata: Meta;
  spec: {
    authentication: { type: "scram-sha-512" };
    authorization: {
      type: "simple";
      acls: {
        resource: { type: "topic" | "group"; name: string; patternType: "prefix" | "literal" };
        operations: ("Read" | "Write" | "Describe" | "Create")[];
      }[];
    };
  };
}

export type StrimziObject = StrimziKafka | StrimziNodePool | StrimziTopic | StrimziUser;

const meta = (name: string, extra: Partial<Meta> = {}): Meta => ({
  name,
  namespace: NAMESPACE,
  labels: { ...labels(), "strimzi.io/cluster": KAFKA_CLUSTER },
  ...extra,
});

/** The cluster, its topics and the pipeline's user. */
export function strimziObjects(): StrimziObject[] {
  const topic = (name: string, partitions: number): StrimziTopic => ({
    apiVersion: STRIMZI_API,
    kind: "KafkaTopic",
    metadata: meta(name.replaceAll(".", "-")),
    spec: { topicName: name, partitions, replicas: 3, config: { "min.insync.replicas": "2" } },
  });
  return [
    {
      apiVersion: STRIMZI_API,
      kind: "KafkaNodePool",
      metadata: meta("dual-role"),
      spec: {
        replicas: 3,
        roles: ["controller", "broker"],
        storage: { type: "persistent-claim", size: "10Gi", deleteClaim: false },
      },
    },
    {
      apiVersion: STRIMZI_API,
      kind: "Kafka",
      metadata: {
        name: KAFKA_CLUSTER,
        namespace: NAMESPACE,
        labels: labels(),
        annotations: { "strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled" },
      },
      spec: {
        kafka: {
          listeners: [{
            name: "tls",
            port: 9093,
            type: "internal",
            tls: true,
            authentication: { type: "scram-sha-512" },
          }],
          authorization: { type: "simple" },
          config: {
            "offsets.topic.replication.factor": 3,
            "transaction.state.log.replication.factor": 3,
            "transaction.state.log.min.isr": 2,
            "default.replication.factor": 3,
            "min.insync.replicas": 2,
            // Topics come from the KafkaTopics below, never from a typo.
            "auto.create.topics.enable": "false",
          },
        },
        entityOperator: { topicOperator: {}, userOperator: {} },
      },
    },
    topic("crypto.ticks", TICKS_PARTITIONS),
    topic("crypto.ticks.dlq", 1),
    topic("crypto.candles", TICKS_PARTITIONS),
    topic("crypto.alerts", 1),
    {
      apiVersion: STRIMZI_API,
      kind: "KafkaUser",
      metadata: meta(KAFKA_USER),
      spec: {
        authentication: { type: "scram-sha-512" },
        authorization: {
          type: "simple",
          acls: [
            {
              resource: { type: "topic", name: "crypto.", patternType: "prefix" },
              operations: ["Read", "Write", "Describe", "Create"],
            },
            {
              resource: { type: "group", name: "crypto-", patternType: "prefix" },
              operations: ["Read", "Describe"],
            },
          ],
        },
      },
    },
  ];
}
