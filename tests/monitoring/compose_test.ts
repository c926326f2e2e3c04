import assert from "node:assert/strict";
import { requireTool, run } from "./tools.ts";

Deno.test("compose.yaml passes `docker-compose config` without a .env file", async () => {
  if (!(await requireTool("docker-compose", ["version"]))) return;
  const r = await run("docker-compose", ["-f", "compose.yaml", "config"]);
  assert.equal(r.code, 0, `docker-compose config failed:\n${r.stderr}`);
  // An unset variable without a default is only a warning to compose: treat it as an error,
  // since .env is optional and every variable must have a default.
  assert.doesNotMatch(r.stderr, /variable is not set/i, r.stderr);
  const config = r.stdout;
  for (
    const service of [
      "kafka",
      "kafka-ui",
      "postgres",
      "clickhouse",
      "redis",
      "prometheus",
      "grafana",
    ]
  ) {
    assert.match(config, new RegExp(`^  ${service}:$`, "m"), `service ${service} missing`);
  }
  for (const role of ["ingest", "process", "archive"]) {
    assert.match(config, new RegExp(`ROLE: ${role}$`, "m"), `pipeline role ${role} missing`);
  }
  assert.match(config, /^\s+replicas: 2$/m, "process must run 2 replicas");
});

Deno.test("compose.yaml pins every image to a tag", async () => {
  const text = await Deno.readTextFile(new URL("../../compose.yaml", import.meta.url));
  const images = [...text.matchAll(/^\s+image:\s*(\S+)\s*$/gm)].map((m) => m[1]);
  assert.ok(images.length >= 8, `expected the stack's images, found ${images.join(", ")}`);
  for (const image of images) {
    assert.match(image, /:[^:]+$/, `image ${image} has no tag`);
    assert.doesNotMatch(image, /:(latest|\$\{[A-Z_]+\})$/, `image ${image} is not pinned`);
  }
});

Deno.test("Dockerfile builds on the pinned Deno image and caches dependencies", async () => {
  const text = await Deno.readTextFile(new URL("../../Dockerfile", import.meta.url));
  assert.match(text, /^FROM denoland\/deno:2\.9\.6$/m);
  assert.match(text, /^RUN deno install --frozen$/m);
  assert.match(text, /^USER deno$/m);
});

Deno.test(".env.example names every pipeline setting and holds no real secret", async () => {
  const text = await Deno.readTextFile(new URL("../../.env.example", import.meta.url));
  const names = new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
  const required = [
    "KAFKA_BROKERS",
    "DATABASE_URL",
    "CLICKHOUSE_URL",
    "REDIS_URL",
    "ALERT_WEBHOOK_URL",
    "COINCAP_API_KEY",
    "LOG_LEVEL",
    "HTTP_ADDR",
    "ROLE",
  ];
  assert.deepEqual(required.filter((n) => !names.has(n)), [], "missing from .env.example");
  for (const m of text.matchAll(/^([A-Z_]*(PASSWORD|KEY|SECRET|TOKEN)[A-Z_]*)=(.*)$/gm)) {
    assert.ok(m[3] === "" || m[3] === "change-me", `${m[1]} must be empty or change-me`);
  }
});
