/**
 * Reads `compose.yaml` and the `Dockerfile` the way Docker does, for the deployment tests: YAML
 * parsed by `npm:yaml` (merge keys `<<` resolved), then variables interpolated as Compose does
 * (`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$VAR`, `$$` for a literal `$`), from the
 * variables an `.env` would give. The result is what `docker compose up` would hand each service.
 * @module
 */
import { parse } from "yaml";
import { parseDotenv } from "../../src/config/dotenv.ts";

/** The repository root. */
export const REPO = new URL("../../", import.meta.url).pathname;

/** A healthcheck as compose resolves it. */
export interface Healthcheck {
  readonly test: readonly string[];
  readonly interval?: string;
  readonly timeout?: string;
  readonly retries?: number;
  readonly start_period?: string;
}

/** The parts of a compose service the tests look at. */
export interface ComposeService {
  readonly image?: string;
  readonly build?: unknown;
  readonly user?: string;
  readonly entrypoint?: string | readonly string[];
  readonly command?: string | readonly string[];
  readonly environment?: Record<string, string | number | boolean | null>;
  readonly ports?: readonly string[];
  readonly healthcheck?: Healthcheck;
  readonly stop_grace_period?: string;
  readonly init?: boolean;
  readonly depends_on?: Record<string, { condition: string }>;
  readonly deploy?: {
    replicas?: number | string;
    resources?: { limits?: { memory?: string; cpus?: string } };
  };
}

/** The resolved file. */
export interface ComposeFile {
  readonly services: Record<string, ComposeService>;
}

/** Compose's variable interpolation of one string. */
export function interpolate(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(
    /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_m, dollar, name, colon, op, operand, bare) => {
      if (dollar) return "$";
      if (bare) return vars.get(bare) ?? "";
      const value = vars.get(name);
      const unset = value === undefined || (colon === ":" && value === "");
      if (op === "-") return unset ? interpolate(operand, vars) : value!;
      if (op === "?" && unset) throw new Error(`required variable ${name}: ${operand}`);
      return value ?? "";
    },
  );
}

function interpolateDeep(value: unknown, vars: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, vars));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, vars)]),
    );
  }
  return value;
}

/** `compose.yaml` resolved with `vars` (what `.env` holds; nothing else is read). */
export async function loadCompose(vars: ReadonlyMap<string, string> = new Map()) {
  const text = await Deno.readTextFile(`${REPO}compose.yaml`);
  const raw = parse(text, { merge: true }) as { services: Record<string, unknown> };
  return interpolateDeep(raw, vars) as ComposeFile;
}

/** Variables from `.env`-style text (compose's own `.env` reader agrees on these simple lines). */
export function envVars(text: string): Map<string, string> {
  return parseDotenv(text).values;
}

/** A memory size as compose writes it (`256m`, `1g`, `1536m`) in bytes. */
export function bytesOf(size: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(size.trim());
  if (!m) throw new Error(`not a memory size: ${size}`);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()]!;
  return Number(m[1]) * unit;
}

/** A duration as compose writes it (`30s`, `1m30s`, `500ms`) in milliseconds. */
export function msOf(duration: string): number {
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m;
  let seen = "";
  while ((m = re.exec(duration)) !== null) {
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "s"];
    seen += m[0];
  }
  if (seen !== duration.trim()) throw new Error(`not a duration: ${duration}`);
  return ms;
}

/** The instructions of the Dockerfile the tests compare with compose. */
export interface Dockerfile {
  readonly from: string;
  readonly workdir: string;
  readonly user: string;
  readonly env: Record<string, string>;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly healthcheck: readonly string[];
}

/** Parses the repository's Dockerfile (exec-form ENTRYPOINT, CMD and HEALTHCHECK CMD). */
export async function loadDockerfile(): Promise<Dockerfile> {
  const text = (await Deno.readTextFile(`${REPO}Dockerfile`)).replace(/\\\n\s*/g, " ");
  const lines = text.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
  const last = (word: string) =>
    lines.filter((l) => l.startsWith(`${word} `)).map((l) => l.slice(word.length + 1).trim()).at(
      -1,
    );
  const env: Record<string, string> = {};
  for (const line of lines.filter((l) => l.startsWith("ENV "))) {
    for (const m of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S*)/g)) env[m[1]] = m[2];
  }
  const health = last("HEALTHCHECK") ?? "";
  return {
    from: last("FROM") ?? "",
    workdir: last("WORKDIR") ?? "/",
    user: last("USER") ?? "root",
    env,
    entrypoint: JSON.parse(last("ENTRYPOINT") ?? "[]"),
    cmd: JSON.parse(last("CMD") ?? "[]"),
    healthcheck: JSON.parse(health.slice(health.indexOf("CMD ") + 4)),
  };
}

/** The pipeline services: those built from this repository's Dockerfile. */
export function pipelineServices(file: ComposeFile): [string, ComposeService][] {
  return Object.entries(file.services).filter(([, s]) => s.build !== undefined);
}
