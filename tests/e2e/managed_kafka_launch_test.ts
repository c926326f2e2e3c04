/**
 * Issue #15, end to end: `deno task start`'s launcher, configured only through the environment as
 * a container would be — brokers behind TLS with a CA file, SCRAM-SHA-512 with the password in a
 * `_FILE` reached through a symlink as Kubernetes mounts secrets — replays a file through Kafka
 * (the mock behind tests/helpers/kafka_proxy.ts) into SQLite and exits 0. The pipeline runs under
 * the launcher's exact permissions, so this also proves it may read those files and no others.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { startKafkaProxy } from "../helpers/kafka_proxy.ts";
import { skipKafkaTests, startKafkaMock } from "../helpers/kafka_mock.ts";
import { requireService } from "../helpers/services.ts";
import { createTestPki, probeOpenssl } from "../helpers/test_pki.ts";

const LAUNCH = new URL("../../src/launch.ts", import.meta.url).pathname;
const TOPICS = ["crypto.ticks", "crypto.ticks.dlq", "crypto.candles", "crypto.alerts"];

Deno.test({
  name: "launcher: Kafka over TLS + SCRAM-SHA-512, password from a mounted secret file, exit 0",
  ignore: skipKafkaTests() || !(await requireService("openssl", probeOpenssl)),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const mock = await startKafkaMock({
      brokers: 2,
      topics: TOPICS.map((name) => ({ name, partitions: 2 })),
    });
    const pki = await createTestPki();
    const proxy = await startKafkaProxy({
      brokers: mock.brokers,
      tls: { cert: pki.serverCert, key: pki.serverKey },
      sasl: { mechanisms: ["SCRAM-SHA-512"], users: { pipeline: "p@ss, with = signs" } },
    });
    const dir = pki.dir;
    try {
      // Kubernetes' layout: secrets/kafka-sasl-password -> ..data/kafka-sasl-password -> ..2026_x/
      await Deno.mkdir(`${dir}/secrets/..2026_x`, { recursive: true });
      await Deno.writeTextFile(
        `${dir}/secrets/..2026_x/kafka-sasl-password`,
        "p@ss, with = signs\n",
      );
      await Deno.symlink("..2026_x", `${dir}/secrets/..data`);
      await Deno.symlink("..data/kafka-sasl-password", `${dir}/secrets/kafka-sasl-password`);
      const t0 = Date.UTC(2026, 0, 1);
      const lines = Array.from({ length: 400 }, (_, i) =>
        JSON.stringify({
          source: "t",
          symbol: i % 2 ? "BTC-USD" : "ETH-USD",
          price: 100 + i,
          size: 1,
          ts: t0 + i * 1000,
          id: `${i}`,
        }));
      await Deno.writeTextFile(`${dir}/ticks.ndjson`, lines.join("\n") + "\n");
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-env", "--allow-read", "--allow-run", LAUNCH],
        cwd: dir,
        stdout: "null",
        stderr: "piped",
        clearEnv: true,
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: Deno.env.get("HOME") ?? "/root",
          NO_COLOR: "1",
          SOURCE: "replay",
          REPLAY_FILE: `${dir}/ticks.ndjson`,
          EXIT_AT_END: "true",
          SQLITE_PATH: `${dir}/out.db`,
          HTTP_ADDR: "off",
          LIVE_VIEW: "off",
          KAFKA_BROKERS: proxy.brokers.join(","),
          KAFKA_PARTITIONS: "2",
          KAFKA_SESSION_TIMEOUT: "6s",
          KAFKA_TLS: "true",
          KAFKA_TLS_CA_FILE: pki.caFile,
          KAFKA_SASL_MECHANISM: "scram-sha-512",
          KAFKA_SASL_USERNAME: "pipeline",
          KAFKA_SASL_PASSWORD_FILE: `${dir}/secrets/kafka-sasl-password`,
        },
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr.slice(-3000));
      assert.ok(!stderr.includes("p@ss"), "the password is never logged");
      assert.ok((proxy.authenticated.get("SCRAM-SHA-512 pipeline") ?? 0) >= 2, "every broker");
      const db = new DatabaseSync(`${dir}/out.db`, { readOnly: true });
      try {
        const n = Number(db.prepare("SELECT count(*) AS n FROM candles").get()!.n);
        assert.ok(n > 0, "candles made from the ticks that went through Kafka");
      } finally {
        db.close();
      }
    } finally {
      await proxy.close();
      await mock.stop();
      await pki.remove();
    }
  },
});
