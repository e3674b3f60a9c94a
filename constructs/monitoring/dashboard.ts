/**
 * The Grafana dashboard for one deployment of the MCP server, built with the Grafana Foundation
 * SDK's builders (`@grafana/grafana-foundation-sdk`) into a dashboard JSON model. It reads the
 * recorded series where a recording rule exists, so panels cost Prometheus little, and is
 * deterministic: fixed panel ids and layout, no timestamps, a uid derived from props, and keys
 * sorted when written.
 */
import { createHash } from 'node:crypto';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as grafana from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { invalidProp } from '../errors';
import { LABEL_VALUES, PROTOCOL_GENERATIONS, SLO_PERIOD, type SloWindow } from '@mcpenv/contract';
import {
  assertKnownMetrics,
  checkSelector,
  durationSeconds,
  histogramBuckets,
  histogramQuantile,
  max,
  metric,
  min,
  rate,
  ratio,
  recorded,
  type Selector,
  sloRecorded,
  sum,
  tidyNumber,
} from './promql';
import {
  BURN_RATE_WINDOWS,
  type BurnRateUrgency,
  type ResolvedObjective,
  resolveSlo,
  SLO_PERIOD_TEXT,
  type SloProps,
} from './slo';

/**
 * The dashboard JSON schema version this model declares. The SDK's builder writes its own newest
 * (42, Grafana 12) and has no setter; every field written here reads the same at 39, and Grafana
 * migrates an older version upward when it loads the dashboard.
 */
export const DASHBOARD_SCHEMA_VERSION = 39;

export interface DashboardProps {
  /**
   * Name of the server's Service, used in the title and the uid.
   * @default 'mcp-server'
   */
  readonly name?: string;
  /**
   * The deployment's instance, usually the environment name; used in the title and the uid so
   * that each environment's dashboard is distinct in one Grafana.
   * @default - the same as `name`
   */
  readonly instance?: string;
  /**
   * Grafana's uid for the dashboard (at most 40 letters, digits, `-` or `_`); it keeps links
   * stable, so it never depends on the title.
   * @default - "mcpenv-<name>", then "-<instance>" unless the name is the instance or starts with
   * "<instance>-"; when that is longer than 40, its first 31 characters, "-" and 8 hex digits of
   * its SHA-256
   */
  readonly uid?: string;
  /**
   * Dashboard title.
   * @default - "MCP server <name>", then " (<instance>)" unless the name is the instance or starts
   * with "<instance>-"
   */
  readonly title?: string;
  /**
   * Target labels that scope every query to this deployment of the server.
   * @default - `{ job: <name> }`
   */
  readonly selector?: Selector;
  /**
   * Target labels of the synthetic probe's metrics (its Service's `job`, and its namespace): with
   * them, the dashboard ends with the probe's panels (success, duration by step, days until the
   * certificate expires).
   * @default - no probe panels
   */
  readonly probeSelector?: Selector;
  /**
   * Service level objectives: with them, the dashboard ends with one row per objective (the SLI
   * against the objective, the error budget left and its trend, and the burn rate over the
   * windows of the page and ticket alerts), reading the series the SLO recording rules write.
   * @default - no SLO rows
   */
  readonly slo?: SloProps;
}

/** The panels' data source: the dashboard's `datasource` variable. */
export interface DatasourceRef {
  readonly type: 'prometheus';
  readonly uid: '${datasource}';
}

/** A panel query, in the Prometheus data source's query model. */
export interface DashboardTarget {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: true;
  /** Written as `false` by the SDK's `range()`. */
  readonly instant?: false;
}

/** The visualisations the dashboard uses. */
export type DashboardPanelType = 'timeseries' | 'state-timeline' | 'stat';

/** A Grafana panel that runs queries. */
export interface DashboardPanel {
  readonly id: number;
  readonly type: DashboardPanelType;
  readonly title: string;
  readonly description: string;
  readonly datasource: DatasourceRef;
  readonly gridPos: grafana.GridPos;
  readonly fieldConfig: {
    readonly defaults: grafana.FieldConfig;
    readonly overrides: readonly {
      readonly matcher: grafana.MatcherConfig;
      readonly properties: readonly grafana.DynamicConfigValue[];
    }[];
  };
  readonly options: Readonly<Record<string, unknown>>;
  readonly targets: readonly DashboardTarget[];
}

/**
 * A Grafana row: a full-width header that folds the panels under it. Expanded (`collapsed:
 * false`), its panels follow it in the dashboard's `panels` and its own `panels` is empty; a
 * collapsed row holds them.
 */
export interface DashboardRow {
  readonly id: number;
  readonly type: 'row';
  readonly title: string;
  readonly collapsed: boolean;
  readonly gridPos: grafana.GridPos;
  readonly panels: readonly DashboardPanel[];
}

/** The Grafana dashboard JSON model. */
export interface GrafanaDashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  /** Panels and rows in layout order, as Grafana stores them. */
  readonly panels: readonly (DashboardPanel | DashboardRow)[];
  readonly templating: { readonly list: readonly grafana.VariableModel[] };
  readonly [key: string]: unknown;
}

const WHERE = 'McpDashboard';
const UID_MAX_LENGTH = 40;
const UID = /^[a-zA-Z0-9_-]{1,40}$/;
const DATASOURCE: DatasourceRef = { type: 'prometheus', uid: '${datasource}' };
const GRID_COLUMNS = 24;
const PANEL_WIDTH = 12;
const HALF_PANEL_WIDTH = PANEL_WIDTH / 2;
const PANEL_HEIGHT = 8;
const ROW_HEIGHT = 1;
/**
 * The first panel id of each SLO row, by indicator: fixed blocks, so a panel keeps its id (and
 * its `viewPanel` links keep working) whether the probe or the other objective is on or not.
 */
const SLO_ROW_IDS: Readonly<Record<ResolvedObjective['indicator'], number>> = {
  availability: 100,
  latency: 200,
};
/** Error budget left: red below a quarter, orange below half, green from half. */
const BUDGET_STEPS: readonly ThresholdStep[] = [
  [null, 'red'],
  [0.25, 'orange'],
  [0.5, 'green'],
];
/** The short windows the SLI panel shows besides the whole period. */
const SLI_SHORT_WINDOWS: readonly SloWindow[] = ['1h', '5m'];
const URGENCY_COLORS: Readonly<Record<BurnRateUrgency, string>> = { page: 'red', ticket: 'orange' };

/** A threshold step: from `value` up (from minus infinity for `null`), the colour. */
type ThresholdStep = readonly [value: number | null, color: string];

interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  /** @default 'timeseries' */
  readonly type?: DashboardPanelType;
  /** Stack the series on top of each other (a time series panel's parts of a whole). */
  readonly stacked?: boolean;
  /** Fixed colours of series, by their legend text. */
  readonly seriesColors?: readonly (readonly [series: string, color: string])[];
  /**
   * Bounds of the value axis.
   * @default { min: 0 }
   */
  readonly axis?: { readonly min?: number; readonly max?: number };
  /** Threshold steps, lowest first; a time series draws them as dashed lines. */
  readonly thresholds?: readonly ThresholdStep[];
  readonly queries: readonly (readonly [legend: string, expr: string])[];
}

/** A panel spec with its place on the grid. */
interface PlacedSpec {
  readonly spec: PanelSpec;
  readonly id: number;
  readonly gridPos: grafana.GridPos;
}

/** A row of SLO panels. */
interface RowSpec {
  readonly id: number;
  readonly title: string;
  readonly y: number;
  readonly panels: readonly PlacedSpec[];
}

/** What every panel builder of the SDK offers; each returns its builder, unused here. */
interface PanelBasics extends cog.Builder<grafana.Panel> {
  id(id: number): unknown;
  title(title: string): unknown;
  description(description: string): unknown;
  datasource(datasource: common.DataSourceRef): unknown;
  gridPos(gridPos: grafana.GridPos): unknown;
  unit(unit: string): unknown;
  targets(targets: cog.Builder<cog.Dataquery>[]): unknown;
  thresholds(thresholds: cog.Builder<grafana.ThresholdsConfig>): unknown;
}

/** Grafana's shades of blue, darkest first, for the legacy protocol versions. */
const LEGACY_COLORS = ['dark-blue', 'blue', 'light-blue', 'super-light-blue'];

/**
 * The colour of each `protocol_version` value: the modern generation green, the legacy one in
 * blues, and `unknown` grey, so the stack reads as modern against legacy at a glance.
 */
function protocolVersionColors(): [string, string][] {
  return [
    ...PROTOCOL_GENERATIONS.modern.map((version): [string, string] => [version, 'green']),
    ...PROTOCOL_GENERATIONS.legacy.map((version, index): [string, string] => [
      version,
      LEGACY_COLORS[index % LEGACY_COLORS.length] ?? 'blue',
    ]),
    ...LABEL_VALUES.protocolVersionFallback.map((value): [string, string] => [value, 'gray']),
  ];
}

/** A derived uid that fits Grafana's 40 characters, shortened with a hash so it stays distinct. */
function fitUid(uid: string): string {
  if (uid.length <= UID_MAX_LENGTH) return uid;
  const hash = createHash('sha256').update(uid).digest('hex').slice(0, 8);
  return `${uid.slice(0, UID_MAX_LENGTH - 9)}-${hash}`;
}

/** The synthetic probe's panels: what a client sees of the environment through its public URL. */
function probePanels(p: Selector): PanelSpec[] {
  return [
    {
      title: 'Probe success',
      description:
        "Whether the synthetic probe's last run through the public URL completed every step (TLS, " +
        'initialize, tools/list and, when it has a tool, tools/call): up (1) or down (0). ' +
        'McpProbeFailing fires when it stays down.',
      unit: 'none',
      type: 'state-timeline',
      queries: [['probe', max(metric('probeSuccess', {}, p))]],
    },
    {
      title: 'Probe duration by step',
      description:
        `Seconds each step of the probe's last run took (${LABEL_VALUES.probeStep.join(', ')}); total ` +
        'is the whole run, what a client waits for a first tool result.',
      unit: 's',
      queries: [['{{step}}', max(metric('probeDurationSeconds', {}, p), ['step'])]],
    },
    {
      title: 'Days until certificate expiry',
      description:
        'Days until the certificate the public URL presents expires, as the probe saw it. ' +
        'McpCertificateExpiring warns and McpCertificateExpiringCritical pages below their thresholds.',
      unit: 'd',
      queries: [
        ['certificate', `(${min(metric('probeTlsNotAfterTimestampSeconds', {}, p))} - time()) / 86400`],
      ],
    },
  ];
}

/** A latency threshold as people say it: 0.25 is "250 ms", 2.5 is "2.5 s". */
function thresholdText(seconds: number): string {
  return seconds < 1 ? `${tidyNumber(seconds * 1000)} ms` : `${seconds} s`;
}

/** The target in words: "99.9%", or for latency "99% within 500 ms". */
function targetText(objective: ResolvedObjective): string {
  const within =
    objective.thresholdSeconds !== undefined ? ` within ${thresholdText(objective.thresholdSeconds)}` : '';
  return `${objective.objectivePercent}%${within}`;
}

/** The indicator's name in titles. */
const INDICATOR_TITLES: Readonly<Record<ResolvedObjective['indicator'], string>> = {
  availability: 'Availability',
  latency: 'Latency',
};

/** The objective in words, e.g. "Availability 99.9% over 30 days". */
function objectiveText(objective: ResolvedObjective): string {
  return `${INDICATOR_TITLES[objective.indicator]} ${targetText(objective)} over ${SLO_PERIOD_TEXT}`;
}

/** What a good event is, for descriptions. */
function goodEvents(objective: ResolvedObjective): string {
  return objective.thresholdSeconds !== undefined
    ? `measured /mcp requests that finish within ${thresholdText(objective.thresholdSeconds)}`
    : '/mcp requests not answered with a 5xx status';
}

/** "green from 50%, orange from 25%, red below" for percentage steps. */
function budgetStepsText(steps: readonly ThresholdStep[]): string {
  const above = steps.filter(([value]) => value !== null).reverse();
  const base = steps.find(([value]) => value === null)?.[1] ?? 'none';
  return [
    ...above.map(([value, color]) => `${color} from ${tidyNumber((value ?? 0) * 100)}%`),
    `${base} below`,
  ].join(', ');
}

/**
 * One row per objective: the SLI over the period and short windows against the objective, the
 * error budget left (a stat, and its trend), and the burn rate over the windows of the page and
 * of the ticket alerts, with the factors they fire at.
 */
function sloRow(objective: ResolvedObjective, s: Selector, y: number): RowSpec {
  const { indicator, errorBudget } = objective;
  const name = objectiveText(objective);
  const target = tidyNumber(1 - errorBudget);
  const budgetPercent = `${tidyNumber(errorBudget * 100)}%`;
  const first = SLO_ROW_IDS[indicator];
  const label = INDICATOR_TITLES[indicator];
  const sli = (window: SloWindow): readonly [string, string] => [
    window,
    `1 - ${sloRecorded(indicator, window, s)}`,
  ];
  const budget = sloRecorded(indicator, 'budget', s);

  const burnPanel = (urgency: BurnRateUrgency): PanelSpec => {
    const pairs = BURN_RATE_WINDOWS.filter((pair) => pair.urgency === urgency);
    const factors = [...new Set(pairs.map((pair) => pair.factor))].sort((a, b) => a - b);
    const windows = [...new Set(pairs.flatMap((pair) => [pair.longWindow, pair.shortWindow]))].sort(
      (a, b) => durationSeconds(a) - durationSeconds(b),
    );
    const rule = pairs
      .map(
        (pair) =>
          `${pair.longWindow} and ${pair.shortWindow} above ${pair.factor} (${pair.budgetSpent} of the ` +
          `budget spent in ${pair.longWindow})`,
      )
      .join(', ');
    return {
      title: `${label} burn rate, ${urgency} windows`,
      description:
        `How fast the error budget of ${name} (${budgetPercent} of requests may be bad) is spent, over ` +
        `the windows of the ${urgency} alerts: at 1 it lasts exactly ${SLO_PERIOD_TEXT}. A ${urgency} ` +
        `alert fires when both windows of a pair stay above its factor: ${rule}. Dashed lines mark the factors.`,
      unit: 'none',
      thresholds: [
        [null, 'green'],
        ...factors.map((factor): ThresholdStep => [factor, URGENCY_COLORS[urgency]]),
      ],
      queries: windows.map((window) => [window, `${sloRecorded(indicator, window, s)} / ${errorBudget}`]),
    };
  };

  const place = (
    spec: PanelSpec,
    offset: number,
    gridPos: Omit<grafana.GridPos, 'y' | 'h'> & { dy: number },
  ): PlacedSpec => ({
    spec,
    id: first + offset,
    gridPos: { h: PANEL_HEIGHT, w: gridPos.w, x: gridPos.x, y: y + ROW_HEIGHT + gridPos.dy },
  });
  return {
    id: first,
    title: name,
    y,
    panels: [
      place(
        {
          title: `${label} SLI vs ${targetText(objective)}`,
          description:
            `Share of ${goodEvents(objective)}, over the ${SLO_PERIOD} period and the last ` +
            `${SLI_SHORT_WINDOWS.join(' and ')}, against the objective ${name} (the dashed line).`,
          unit: 'percentunit',
          axis: { max: 1 },
          thresholds: [
            [null, 'red'],
            [target, 'green'],
          ],
          queries: [sli(SLO_PERIOD), ...SLI_SHORT_WINDOWS.map(sli)],
        },
        1,
        { x: 0, w: PANEL_WIDTH, dy: 0 },
      ),
      place(
        {
          title: `${label} error budget left`,
          description:
            `Share of the error budget of ${name} (${budgetPercent} of requests over ${SLO_PERIOD_TEXT}) ` +
            `not yet spent: 100% untouched, 0 spent, below 0 overspent; ${budgetStepsText(BUDGET_STEPS)}.`,
          unit: 'percentunit',
          type: 'stat',
          thresholds: BUDGET_STEPS,
          queries: [['budget left', budget]],
        },
        2,
        { x: PANEL_WIDTH, w: HALF_PANEL_WIDTH, dy: 0 },
      ),
      place(
        {
          title: `${label} error budget trend`,
          description:
            `The error budget of ${name} left over the ${SLO_PERIOD} period, over time: a steep fall is ` +
            `a fast burn. Dashed lines where the colour changes: ${budgetStepsText(BUDGET_STEPS)}.`,
          unit: 'percentunit',
          axis: { max: 1 },
          thresholds: BUDGET_STEPS,
          queries: [['budget left', budget]],
        },
        3,
        { x: PANEL_WIDTH + HALF_PANEL_WIDTH, w: HALF_PANEL_WIDTH, dy: 0 },
      ),
      place(burnPanel('page'), 4, { x: 0, w: PANEL_WIDTH, dy: PANEL_HEIGHT }),
      place(burnPanel('ticket'), 5, { x: PANEL_WIDTH, w: PANEL_WIDTH, dy: PANEL_HEIGHT }),
    ],
  };
}

/** The rows' height on the grid: a header and two lines of panels. */
const SLO_ROW_SPAN = ROW_HEIGHT + 2 * PANEL_HEIGHT;

function thresholdsConfig(steps: readonly ThresholdStep[]): grafana.ThresholdsConfigBuilder {
  return new grafana.ThresholdsConfigBuilder()
    .mode(grafana.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

function legend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .displayMode(common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom)
    .showLegend(true);
}

/** The visualisation of a spec, with what only that kind of panel has. */
function visualization(spec: PanelSpec): PanelBasics {
  switch (spec.type ?? 'timeseries') {
    case 'state-timeline':
      return new statetimeline.PanelBuilder()
        .showValue(common.VisibilityMode.Never)
        .legend(legend())
        .colorScheme(new grafana.FieldColorBuilder().mode(grafana.FieldColorModeId.Thresholds))
        .mappings([
          {
            type: grafana.MappingType.ValueToText,
            options: { '0': { text: 'down', color: 'red', index: 0 } },
          },
          {
            type: grafana.MappingType.ValueToText,
            options: { '1': { text: 'up', color: 'green', index: 1 } },
          },
        ])
        .thresholds(
          thresholdsConfig([
            [null, 'red'],
            [1, 'green'],
          ]),
        );
    case 'stat':
      return new stat.PanelBuilder()
        .reduceOptions(new common.ReduceDataOptionsBuilder().values(false).calcs(['lastNotNull']))
        .graphMode(common.BigValueGraphMode.None)
        .colorMode(common.BigValueColorMode.Value)
        .textMode(common.BigValueTextMode.Value)
        .justifyMode(common.BigValueJustifyMode.Center)
        .colorScheme(new grafana.FieldColorBuilder().mode(grafana.FieldColorModeId.Thresholds))
        .thresholds(thresholdsConfig(spec.thresholds ?? []));
    case 'timeseries': {
      const panel = new timeseries.PanelBuilder()
        .legend(legend())
        .tooltip(
          new common.VizTooltipOptionsBuilder()
            .mode(common.TooltipDisplayMode.Multi)
            .sort(common.SortOrder.Descending),
        );
      const axis = spec.axis ?? { min: 0 };
      if (axis.min !== undefined) panel.min(axis.min);
      if (axis.max !== undefined) panel.max(axis.max);
      if (spec.stacked) {
        panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group('A'));
        panel.fillOpacity(50);
      }
      for (const [series, color] of spec.seriesColors ?? []) {
        panel.overrideByName(series, [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }]);
      }
      if (spec.thresholds !== undefined) {
        panel.thresholds(thresholdsConfig(spec.thresholds));
        panel.thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
        );
      }
      return panel;
    }
  }
}

/** The SDK builder of one panel: its visualisation, then what every panel has. */
function panelBuilder({ spec, id, gridPos }: PlacedSpec): PanelBasics {
  const panel = visualization(spec);
  panel.id(id);
  panel.title(spec.title);
  panel.description(spec.description);
  panel.datasource(DATASOURCE);
  panel.gridPos(gridPos);
  panel.unit(spec.unit);
  panel.targets(
    spec.queries.map(([legendFormat, expr], index) =>
      new prometheus.DataqueryBuilder()
        .refId(String.fromCharCode(65 + index))
        .datasource(DATASOURCE)
        .expr(assertKnownMetrics(expr))
        .legendFormat(legendFormat)
        .range(),
    ),
  );
  return panel;
}

/**
 * The value as plain JSON data with object keys in sorted order: the model the file holds,
 * whatever order the builders set fields in. Drops what JSON cannot hold (the SDK marks queries
 * with a function).
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined && typeof field !== 'function') sorted[key] = canonical(field);
  }
  return sorted;
}

/** Builds the dashboard model; throws for invalid props or a query outside the catalogue. */
export function buildDashboard(props: DashboardProps = {}): GrafanaDashboard {
  const name = props.name ?? 'mcp-server';
  const instance = props.instance ?? name;
  const namedForInstance = instance === name || name.startsWith(`${instance}-`);
  const uid = props.uid ?? fitUid(`mcpenv-${name}${namedForInstance ? '' : `-${instance}`}`);
  const title = props.title ?? `MCP server ${name}${namedForInstance ? '' : ` (${instance})`}`;
  const selector = props.selector ?? { job: name };
  if (!UID.test(uid)) {
    throw invalidProp(
      WHERE,
      'uid',
      'be 1 to 40 letters, digits, "-" or "_"',
      uid,
      props.uid === undefined ? 'it derives from `name` and `instance`: pass a `uid`' : undefined,
    );
  }
  if (title.trim() === '') throw invalidProp(WHERE, 'title', 'not be empty', title);
  checkSelector(WHERE, selector);
  if (props.probeSelector !== undefined) checkSelector(WHERE, props.probeSelector, 'probeSelector');
  const objectives = resolveSlo(WHERE, props.slo);

  const s = selector;
  const interval = '$__rate_interval';
  const requests = (status_class?: string): string =>
    sum(recorded('requestRate', status_class ? { status_class } : {}, s));
  const specs: PanelSpec[] = [
    {
      title: 'Request rate',
      description: 'Requests per second to the MCP endpoint: all, answered 2xx, and answered 5xx.',
      unit: 'reqps',
      queries: [
        ['total', requests()],
        ['success (2xx)', requests('2xx')],
        ['error (5xx)', requests('5xx')],
      ],
    },
    {
      title: 'Latency',
      description:
        'Request duration percentiles over 5 minutes, by endpoint (the highest across matching deployments).',
      unit: 's',
      queries: [
        ['p50 {{endpoint}}', max(recorded('requestDurationP50', {}, s), ['endpoint'])],
        ['p95 {{endpoint}}', max(recorded('requestDurationP95', {}, s), ['endpoint'])],
        ['p99 {{endpoint}}', max(recorded('requestDurationP99', {}, s), ['endpoint'])],
      ],
    },
    {
      title: 'Error ratio',
      description:
        'Share of requests answered with a 5xx status, and per tool the share of calls that failed ' +
        "through the server's fault (what McpHighToolErrorRatio watches). Tool calls refused for bad " +
        'input are not errors here.',
      unit: 'percentunit',
      queries: [
        ['5xx', ratio(requests('5xx'), requests())],
        ['tool {{tool_name}} server errors', max(recorded('toolServerErrorRatio', {}, s), ['tool_name'])],
      ],
    },
    {
      title: 'MCP operation latency',
      description:
        'p95 time to process each MCP request or notification, by method, over the dashboard interval: ' +
        'the OpenTelemetry semantic-convention histogram mcp_server_operation_duration_seconds, one ' +
        'observation per JSON-RPC message (a batch counts each of its messages).',
      unit: 's',
      queries: [
        [
          'p95 {{mcp_method_name}}',
          histogramQuantile(
            0.95,
            sum(rate(histogramBuckets('operationDurationSeconds', {}, s), interval), [
              'le',
              'mcp_method_name',
            ]),
          ),
        ],
      ],
    },
    {
      title: 'Active connections',
      description: 'Requests in flight on the MCP endpoint, including open SSE streams, per pod.',
      unit: 'short',
      queries: [['{{pod}}', sum(metric('activeConnections', {}, s), ['pod'])]],
    },
    {
      title: 'Tool executions',
      description:
        `Tool calls per second by tool and outcome (${LABEL_VALUES.toolStatus.join(', ')}): client_error is ` +
        "the caller's fault (invalid arguments, unknown ids), server_error the server's (a dependency failing).",
      unit: 'ops',
      queries: [
        ['{{tool_name}} {{status}}', sum(recorded('toolExecutionRate', {}, s), ['tool_name', 'status'])],
      ],
    },
    {
      title: 'Resource access',
      description: 'Resource reads and listings per second, by resource type and operation.',
      unit: 'ops',
      queries: [
        [
          '{{resource_type}} {{operation}}',
          sum(rate(metric('resourceAccessTotal', {}, s), interval), ['resource_type', 'operation']),
        ],
      ],
    },
    {
      title: 'Rate-limited requests',
      description: 'Requests per second rejected with 429 by the per-principal rate limit.',
      unit: 'reqps',
      queries: [
        ['{{endpoint}}', sum(rate(metric('rateLimitRejectionsTotal', {}, s), interval), ['endpoint'])],
      ],
    },
    {
      title: 'Authentication failures',
      description: 'Requests per second rejected by authentication or authorization, by reason.',
      unit: 'reqps',
      queries: [['{{reason}}', sum(rate(metric('authFailuresTotal', {}, s), interval), ['reason'])]],
    },
    {
      title: 'Memory per pod',
      description: 'Resident memory (what counts against the container limit) and the V8 heap in use.',
      unit: 'bytes',
      queries: [
        ['resident {{pod}}', sum(metric('residentMemoryBytes', {}, s), ['pod'])],
        ['heap used {{pod}}', sum(metric('heapUsedBytes', {}, s), ['pod'])],
      ],
    },
    {
      title: 'CPU per pod',
      description: 'CPU time used per second, in cores.',
      unit: 'short',
      queries: [['{{pod}}', sum(rate(metric('cpuSecondsTotal', {}, s), interval), ['pod'])]],
    },
    {
      title: 'Readiness',
      description:
        'Per pod: readiness (Postgres reachable, migrations current, not draining) and the Postgres ' +
        'and Redis health checks. 1 is up, 0 is down.',
      unit: 'none',
      type: 'state-timeline',
      queries: [
        ['ready {{pod}}', min(metric('ready', {}, s), ['pod'])],
        ['postgres {{pod}}', min(metric('postgresUp', {}, s), ['pod'])],
        ['redis {{pod}}', min(metric('redisUp', {}, s), ['pod'])],
      ],
    },
    {
      title: 'Scrape targets up',
      description: 'Targets Prometheus scraped successfully, against all it discovered.',
      unit: 'short',
      queries: [
        ['up', sum(metric('up', {}, s))],
        ['discovered', `count(${metric('up', {}, s)})`],
      ],
    },
    {
      title: 'Traffic by protocol generation',
      description:
        `Requests per second by MCP protocol version, stacked: ${PROTOCOL_GENERATIONS.modern.join(', ')} ` +
        `is the modern, stateless generation (green); ${PROTOCOL_GENERATIONS.legacy.join(', ')} are the ` +
        `legacy, session-based one (blue); ${LABEL_VALUES.protocolVersionFallback.join(', ')} is any other ` +
        'version, or a request rejected before its version was read.',
      unit: 'reqps',
      stacked: true,
      seriesColors: protocolVersionColors(),
      queries: [['{{protocol_version}}', sum(recorded('requestRate', {}, s), ['protocol_version'])]],
    },
    ...(props.probeSelector !== undefined ? probePanels(props.probeSelector) : []),
  ];

  const placed = specs.map((spec, index): PlacedSpec => ({
    spec,
    id: index + 1,
    gridPos: {
      h: PANEL_HEIGHT,
      w: PANEL_WIDTH,
      x: (index % 2) * PANEL_WIDTH,
      y: Math.floor(index / 2) * PANEL_HEIGHT,
    },
  }));
  const panelsEnd = Math.ceil(specs.length / 2) * PANEL_HEIGHT;
  const rows = objectives.map((objective, index) => sloRow(objective, s, panelsEnd + index * SLO_ROW_SPAN));

  const builder = new grafana.DashboardBuilder(title)
    .id(null)
    .uid(uid)
    .description(`Requests, latency, errors, tools and resources of the MCP server ${name}, from mcpenv.`)
    .tags(['mcp', 'mcpenv'])
    .editable()
    .tooltip(grafana.DashboardCursorSync.Crosshair)
    .time({ from: 'now-6h', to: 'now' })
    .timezone('')
    .fiscalYearStartMonth(0)
    .refresh('30s')
    .version(1)
    .links([])
    .annotations([])
    .withVariable(
      new grafana.DatasourceVariableBuilder('datasource')
        .label('Data source')
        .type('prometheus')
        .hide(grafana.VariableHide.DontHide)
        .multi(false)
        .includeAll(false)
        .regex(''),
    );
  for (const panel of placed) builder.withPanel(panelBuilder(panel));
  for (const row of rows) {
    builder.withRow(
      new grafana.RowBuilder(row.title)
        .id(row.id)
        .collapsed(false)
        .gridPos({ h: ROW_HEIGHT, w: GRID_COLUMNS, x: 0, y: row.y }),
    );
    for (const panel of row.panels) builder.withPanel(panelBuilder(panel));
  }
  // The builder has no setter for the schema version; see DASHBOARD_SCHEMA_VERSION.
  const model = { ...builder.build(), schemaVersion: DASHBOARD_SCHEMA_VERSION };
  // Built from the specs above, every panel has the fields DashboardPanel requires.
  return canonical(model) as GrafanaDashboard;
}

/** The dashboard as the file Grafana imports: two-space indented JSON, keys sorted, a final newline. */
export function dashboardToJson(dashboard: GrafanaDashboard): string {
  return `${JSON.stringify(canonical(dashboard), null, 2)}\n`;
}

/** Whether a dashboard entry is a row rather than a panel. */
export function isDashboardRow(entry: DashboardPanel | DashboardRow): entry is DashboardRow {
  return entry.type === 'row';
}

/** Every panel that runs queries, in layout order: rows left out, a collapsed row's panels in. */
export function dashboardPanels(dashboard: GrafanaDashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((entry) => (isDashboardRow(entry) ? [...entry.panels] : [entry]));
}

/** Queries every panel runs, for checks and tests. */
export function dashboardExpressions(dashboard: GrafanaDashboard): string[] {
  return dashboardPanels(dashboard).flatMap((panel) => panel.targets.map((target) => target.expr));
}
