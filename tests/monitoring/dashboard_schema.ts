/**
 * A strict, hand-written validator for the parts of Grafana's dashboard model (schemaVersion 39,
 * as in `@grafana/schema`'s Dashboard/Panel/VariableModel types) the pipeline's dashboards use.
 * Hand-written instead of generating a JSON schema from `npm:@grafana/schema` with
 * ts-json-schema-generator: that toolchain is heavy to fetch on every CI run, and Grafana's
 * generated types leave most panel fields optional, so they would check less than this does.
 * It reports every problem at once.
 * @module
 */

// deno-lint-ignore no-explicit-any
type Json = any;

/** Panel types built into Grafana that the dashboards may use. */
export const PANEL_TYPES = new Set([
  "timeseries",
  "stat",
  "table",
  "candlestick",
  "gauge",
  "bargauge",
  "barchart",
  "text",
  "piechart",
  "state-timeline",
  "heatmap",
  "row",
  "logs",
]);

const DASHBOARD_KEYS = new Set([
  "uid",
  "title",
  "description",
  "tags",
  "timezone",
  "editable",
  "graphTooltip",
  "refresh",
  "schemaVersion",
  "version",
  "time",
  "timepicker",
  "templating",
  "annotations",
  "links",
  "panels",
  "id",
  "fiscalYearStartMonth",
  "liveNow",
  "weekStart",
]);
const PANEL_KEYS = new Set([
  "id",
  "type",
  "title",
  "description",
  "gridPos",
  "datasource",
  "targets",
  "fieldConfig",
  "options",
  "transformations",
  "interval",
  "maxDataPoints",
  "pluginVersion",
  "repeat",
  "links",
]);
const VARIABLE_TYPES = new Set([
  "query",
  "custom",
  "interval",
  "constant",
  "datasource",
  "textbox",
  "adhoc",
]);

/** A provisioned datasource: uid → type. */
export type DatasourceIndex = ReadonlyMap<string, string>;

/** Validates one dashboard; returns every problem found (empty when valid). */
export function validateDashboard(d: Json, datasources: DatasourceIndex): string[] {
  const errors: string[] = [];
  const err = (path: string, msg: string) => errors.push(`${path}: ${msg}`);
  if (!isObject(d)) return ["dashboard: not an object"];
  for (const k of Object.keys(d)) if (!DASHBOARD_KEYS.has(k)) err(k, "unknown dashboard field");
  if (!isString(d.uid) || !/^[A-Za-z0-9_-]{1,40}$/.test(d.uid)) {
    err("uid", "1-40 of [A-Za-z0-9_-] required");
  }
  if (!isString(d.title) || d.title.trim() === "") err("title", "non-empty string required");
  if (!Number.isInteger(d.schemaVersion) || d.schemaVersion < 36) {
    err("schemaVersion", "integer ≥ 36 required");
  }
  if (!Array.isArray(d.tags) || !d.tags.every(isString)) err("tags", "string array required");
  if (!isObject(d.time) || !isString(d.time.from) || !isString(d.time.to)) {
    err("time", "{from, to} strings required");
  }
  if (d.timezone !== undefined && !["utc", "browser", ""].includes(d.timezone)) {
    err("timezone", "utc | browser");
  }
  if (d.graphTooltip !== undefined && ![0, 1, 2].includes(d.graphTooltip)) {
    err("graphTooltip", "0 | 1 | 2");
  }
  validateTemplating(d.templating, datasources, err);
  validateAnnotations(d.annotations, datasources, err);
  if (!Array.isArray(d.panels) || d.panels.length === 0) {
    err("panels", "non-empty array required");
    return errors;
  }
  const ids = new Set<number>();
  const cells = new Set<string>();
  for (const [i, p] of (d.panels as Json[]).entries()) {
    const at = `panels[${i}] "${p?.title}"`;
    if (!isObject(p)) {
      err(at, "not an object");
      continue;
    }
    for (const k of Object.keys(p)) if (!PANEL_KEYS.has(k)) err(at, `unknown panel field ${k}`);
    if (!Number.isInteger(p.id) || ids.has(p.id)) err(at, "unique integer id required");
    ids.add(p.id);
    if (!PANEL_TYPES.has(p.type)) err(at, `unknown panel type ${p.type}`);
    if (!isString(p.title) || p.title === "") err(at, "title required");
    validateGridPos(p.gridPos, at, cells, err);
    validateRef(p.datasource, `${at}.datasource`, datasources, err);
    if (
      !isObject(p.fieldConfig) || !isObject(p.fieldConfig.defaults) ||
      !Array.isArray(p.fieldConfig.overrides)
    ) {
      err(at, "fieldConfig {defaults, overrides[]} required");
    }
    if (!isObject(p.options)) err(at, "options object required");
    if (p.type === "candlestick") validateCandlestick(p.options, at, err);
    if (!Array.isArray(p.targets) || p.targets.length === 0) {
      err(at, "targets required");
      continue;
    }
    const refIds = new Set<string>();
    p.targets.forEach((t: Json, j: number) => {
      const tat = `${at}.targets[${j}]`;
      if (!isString(t?.refId) || refIds.has(t.refId)) err(tat, "unique refId required");
      refIds.add(t?.refId);
      validateTarget(t, tat, datasources, err);
    });
  }
  return errors;
}

function validateTarget(
  t: Json,
  at: string,
  ds: DatasourceIndex,
  err: (p: string, m: string) => void,
) {
  validateRef(t?.datasource, `${at}.datasource`, ds, err);
  const type = t?.datasource?.type;
  if (type === "prometheus") {
    if (!isString(t.expr) || t.expr.trim() === "") err(at, "Prometheus target needs expr");
  } else if (type === "grafana-clickhouse-datasource") {
    if (t.editorType !== "sql") err(at, "ClickHouse target: editorType must be sql");
    if (!["timeseries", "table"].includes(t.queryType)) {
      err(at, "ClickHouse target: queryType timeseries | table");
    }
    if (![0, 1].includes(t.format)) {
      err(at, "ClickHouse target: format 0 (time series) | 1 (table)");
    }
    if ((t.format === 1) !== (t.queryType === "table")) {
      err(at, "ClickHouse target: format and queryType disagree");
    }
    if (!isString(t.rawSql) || t.rawSql.trim() === "") err(at, "ClickHouse target needs rawSql");
  } else {
    err(at, `unsupported target datasource type ${type}`);
  }
}

function validateCandlestick(o: Json, at: string, err: (p: string, m: string) => void) {
  if (!["candles+volume", "candles", "volume"].includes(o?.mode)) err(at, "candlestick mode");
  if (!["candles", "ohlcbars"].includes(o?.candleStyle)) err(at, "candlestick candleStyle");
  if (!["open-close", "close-close"].includes(o?.colorStrategy)) {
    err(at, "candlestick colorStrategy");
  }
  for (const f of ["open", "high", "low", "close", "volume"]) {
    if (!isString(o?.fields?.[f])) err(at, `candlestick fields.${f} required`);
  }
}

function validateGridPos(
  g: Json,
  at: string,
  cells: Set<string>,
  err: (p: string, m: string) => void,
) {
  const ok = isObject(g) && ["h", "w", "x", "y"].every((k) => Number.isInteger(g[k]) && g[k] >= 0);
  if (!ok || g.w < 1 || g.h < 1 || g.x + g.w > 24) {
    return err(at, "gridPos {h,w,x,y} within 24 columns required");
  }
  for (let x = g.x; x < g.x + g.w; x++) {
    for (let y = g.y; y < g.y + g.h; y++) {
      if (cells.has(`${x},${y}`)) return err(at, "gridPos overlaps another panel");
      cells.add(`${x},${y}`);
    }
  }
}

function validateRef(
  ref: Json,
  at: string,
  ds: DatasourceIndex,
  err: (p: string, m: string) => void,
) {
  if (!isObject(ref) || !isString(ref.type) || !isString(ref.uid)) {
    return err(at, "{type, uid} required");
  }
  if (ref.type === "grafana") return; // Grafana's built-in annotation source.
  const type = ds.get(ref.uid);
  if (type === undefined) err(at, `uid ${ref.uid} is not a provisioned datasource`);
  else if (type !== ref.type) err(at, `uid ${ref.uid} is a ${type}, not ${ref.type}`);
}

function validateTemplating(t: Json, ds: DatasourceIndex, err: (p: string, m: string) => void) {
  if (!isObject(t) || !Array.isArray(t.list)) return err("templating", "{list: []} required");
  const names = new Set<string>();
  t.list.forEach((v: Json, i: number) => {
    const at = `templating.list[${i}] ${v?.name}`;
    if (!isString(v?.name) || !/^\w+$/.test(v.name) || names.has(v.name)) {
      err(at, "unique word name required");
    }
    names.add(v?.name);
    if (["interval", "range", "rate_interval"].includes(v?.name)) {
      err(at, "name shadows a Grafana built-in");
    }
    if (!VARIABLE_TYPES.has(v?.type)) err(at, `unknown variable type ${v?.type}`);
    if (v?.query === undefined) err(at, "query required");
    if (!isObject(v?.current)) err(at, "current required");
    if (typeof v?.multi !== "boolean" || typeof v?.includeAll !== "boolean") {
      err(at, "multi/includeAll booleans required");
    }
    if (v?.type === "query") validateRef(v.datasource, `${at}.datasource`, ds, err);
  });
}

function validateAnnotations(a: Json, ds: DatasourceIndex, err: (p: string, m: string) => void) {
  if (!isObject(a) || !Array.isArray(a.list)) return err("annotations", "{list: []} required");
  a.list.forEach((x: Json, i: number) => {
    const at = `annotations.list[${i}]`;
    if (!isString(x?.name)) err(at, "name required");
    validateRef(x?.datasource, `${at}.datasource`, ds, err);
    if (x?.target) validateTarget(x.target, `${at}.target`, ds, err);
  });
}

/**
 * Reads uid → type from the datasource provisioning YAML. A line-based reader of the
 * `datasources:` list (no YAML dependency); it requires every entry to state both fields.
 */
export function readProvisionedDatasources(yaml: string): Map<string, string> {
  const out = new Map<string, string>();
  const section = yaml.split(/^datasources:\s*$/m)[1] ?? "";
  for (const entry of section.split(/^ {2}- /m).slice(1)) {
    const uid = entry.match(/^\s*uid:\s*(\S+)\s*$/m)?.[1];
    const type = entry.match(/^\s*type:\s*(\S+)\s*$/m)?.[1];
    if (!uid || !type) throw new Error(`datasource entry without uid or type:\n${entry}`);
    out.set(uid, type);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function isString(v: unknown): v is string {
  return typeof v === "string";
}
