/**
 * The subset of Grafana's dashboard model (schemaVersion 39) that the pipeline's dashboards use,
 * with small builders, so the four dashboards are plain typed objects and the committed JSON is
 * generated from them. Kept hand-written rather than pulling `@grafana/grafana-foundation-sdk`
 * because the offline CI resolves npm packages on every run and these few types are enough.
 * @module
 */

/** Grafana's dashboard JSON schema version the generated dashboards declare. */
export const SCHEMA_VERSION = 39;

/** A datasource reference as stored in panels and targets. */
export interface DatasourceRef {
  readonly type: string;
  readonly uid: string;
}

/**
 * The provisioned datasources (monitoring/grafana/provisioning/datasources/datasources.yaml).
 * Fixed uids let dashboards reference them without Grafana's `${DS_...}` import inputs.
 */
export const DATASOURCES = {
  prometheus: { type: "prometheus", uid: "prometheus" },
  clickhouse: { type: "grafana-clickhouse-datasource", uid: "clickhouse" },
  postgres: { type: "grafana-postgresql-datasource", uid: "postgres" },
} as const satisfies Record<string, DatasourceRef>;

/** A Prometheus query target. */
export interface PromTarget {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  readonly expr: string;
  readonly legendFormat?: string;
  readonly instant?: boolean;
  readonly range?: boolean;
  readonly format?: "time_series" | "table";
}

/** A grafana-clickhouse-datasource raw SQL target (format 0 = time series, 1 = table). */
export interface ClickHouseTarget {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  readonly editorType: "sql";
  readonly queryType: "timeseries" | "table";
  readonly format: 0 | 1;
  readonly rawSql: string;
}

/** Any panel target. */
export type Target = PromTarget | ClickHouseTarget;

/** Panel position on the 24-column grid. */
export interface GridPos {
  readonly h: number;
  readonly w: number;
  readonly x: number;
  readonly y: number;
}

/** One panel. `options` and `fieldConfig` are panel-type specific and kept open. */
export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly gridPos: GridPos;
  readonly datasource: DatasourceRef;
  readonly targets: readonly Target[];
  readonly fieldConfig: { defaults: Record<string, unknown>; overrides: unknown[] };
  readonly options: Record<string, unknown>;
}

/** A template variable. */
export interface Variable {
  readonly name: string;
  readonly label?: string;
  readonly type: "query" | "custom" | "interval";
  readonly datasource?: DatasourceRef;
  readonly query: string | Record<string, unknown>;
  readonly definition?: string;
  readonly current: { text: string | string[]; value: string | string[] };
  readonly options: unknown[];
  readonly multi: boolean;
  readonly includeAll: boolean;
  readonly allValue?: string;
  readonly refresh: 0 | 1 | 2;
  readonly sort?: number;
  readonly hide: 0 | 1 | 2;
}

/** A dashboard annotation query. */
export interface Annotation {
  readonly name: string;
  readonly datasource: DatasourceRef;
  readonly enable: boolean;
  readonly iconColor: string;
  readonly target?: Target;
  readonly builtIn?: number;
  readonly hide?: boolean;
  readonly type?: string;
}

/** A whole dashboard as Grafana stores it. */
export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly timezone: "utc" | "browser";
  readonly editable: boolean;
  readonly graphTooltip: 0 | 1 | 2;
  readonly refresh: string;
  readonly schemaVersion: number;
  readonly version: number;
  readonly time: { from: string; to: string };
  readonly timepicker: Record<string, unknown>;
  readonly templating: { list: readonly Variable[] };
  readonly annotations: { list: readonly Annotation[] };
  readonly links: readonly unknown[];
  readonly panels: readonly Panel[];
}

/** Builds a Prometheus target. */
export function prom(
  expr: string,
  options: { legend?: string; instant?: boolean; refId?: string } = {},
): PromTarget {
  return {
    refId: options.refId ?? "A",
    datasource: DATASOURCES.prometheus,
    expr,
    ...(options.legend === undefined ? {} : { legendFormat: options.legend }),
    ...(options.instant ? { instant: true, range: false, format: "table" as const } : {}),
  };
}

/** Builds a ClickHouse raw-SQL target. */
export function clickhouse(
  rawSql: string,
  options: { table?: boolean; refId?: string } = {},
): ClickHouseTarget {
  return {
    refId: options.refId ?? "A",
    datasource: DATASOURCES.clickhouse,
    editorType: "sql",
    queryType: options.table ? "table" : "timeseries",
    format: options.table ? 1 : 0,
    rawSql,
  };
}

/** Panel fields a dashboard author chooses; the rest gets defaults. */
export interface PanelSpec {
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly size: { w: number; h: number };
  readonly targets: readonly Target[];
  readonly unit?: string;
  readonly options?: Record<string, unknown>;
  readonly defaults?: Record<string, unknown>;
  readonly overrides?: unknown[];
}

/**
 * Lays panels out left to right on the 24-column grid, wrapping to a new row when a panel does not
 * fit, and numbers them; so a dashboard is written as a list and positions never overlap.
 */
export function layout(specs: readonly PanelSpec[]): Panel[] {
  const panels: Panel[] = [];
  let x = 0, y = 0, rowHeight = 0;
  specs.forEach((spec, i) => {
    if (x + spec.size.w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const ds = spec.targets[0]?.datasource ?? DATASOURCES.prometheus;
    panels.push({
      id: i + 1,
      type: spec.type,
      title: spec.title,
      ...(spec.description ? { description: spec.description } : {}),
      gridPos: { h: spec.size.h, w: spec.size.w, x, y },
      datasource: ds,
      targets: spec.targets.map((t, j) => ({ ...t, refId: String.fromCharCode(65 + j) })),
      fieldConfig: {
        defaults: { ...(spec.unit ? { unit: spec.unit } : {}), ...(spec.defaults ?? {}) },
        overrides: spec.overrides ?? [],
      },
      options: spec.options ?? defaultOptions(spec.type),
    });
    x += spec.size.w;
    rowHeight = Math.max(rowHeight, spec.size.h);
  });
  return panels;
}

function defaultOptions(type: string): Record<string, unknown> {
  switch (type) {
    case "timeseries":
      return {
        legend: { displayMode: "list", placement: "bottom", showLegend: true },
        tooltip: { mode: "multi", sort: "desc" },
      };
    case "stat":
      return {
        reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
        colorMode: "value",
        graphMode: "area",
        textMode: "auto",
      };
    case "table":
      return { showHeader: true, cellHeight: "sm", footer: { show: false } };
    default:
      return {};
  }
}

/** A Prometheus `label_values` query variable, multi-select with an "All" that matches anything. */
export function promLabelVariable(name: string, label: string, query: string): Variable {
  return {
    name,
    label,
    type: "query",
    datasource: DATASOURCES.prometheus,
    query: { query, refId: "PrometheusVariableQueryEditor-VariableQuery" },
    definition: query,
    current: { text: ["All"], value: ["$__all"] },
    options: [],
    multi: true,
    includeAll: true,
    allValue: ".*",
    refresh: 2,
    sort: 1,
    hide: 0,
  };
}

/** A ClickHouse query variable (values from a SQL query's first column). */
export function clickhouseVariable(
  name: string,
  label: string,
  sql: string,
  options: { multi?: boolean; current?: string } = {},
): Variable {
  const current = options.current ?? "";
  return {
    name,
    label,
    type: "query",
    datasource: DATASOURCES.clickhouse,
    query: sql,
    definition: sql,
    current: { text: current, value: current },
    options: [],
    multi: options.multi ?? false,
    includeAll: false,
    refresh: 1,
    sort: 1,
    hide: 0,
  };
}

/** Builds a dashboard with the fields every pipeline dashboard shares. */
export function dashboard(spec: {
  uid: string;
  title: string;
  description: string;
  tags: readonly string[];
  panels: readonly PanelSpec[];
  variables?: readonly Variable[];
  annotations?: readonly Annotation[];
  from?: string;
}): Dashboard {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ["crypto-pipeline", ...spec.tags],
    timezone: "utc",
    editable: true,
    graphTooltip: 1,
    refresh: "10s",
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    time: { from: spec.from ?? "now-1h", to: "now" },
    timepicker: {},
    templating: { list: spec.variables ?? [] },
    annotations: {
      list: [
        {
          builtIn: 1,
          name: "Annotations & Alerts",
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          type: "dashboard",
        },
        ...(spec.annotations ?? []),
      ],
    },
    links: [],
    panels: layout(spec.panels),
  };
}
