/**
 * The Grafana dashboard for one deployment of the MCP server, as a dashboard JSON model. It
 * reads the recorded series where a recording rule exists, so panels cost Prometheus little,
 * and is deterministic: fixed panel ids and layout, no timestamps, a uid derived from props.
 */
import { createHash } from 'node:crypto';
import { invalidProp } from '../errors';
import { LABEL_VALUES, PROTOCOL_GENERATIONS } from '@mcpenv/contract';
import {
  assertKnownMetrics,
  checkSelector,
  histogramBuckets,
  histogramQuantile,
  max,
  metric,
  min,
  rate,
  ratio,
  recorded,
  type Selector,
  sum,
} from './promql';

/** The dashboard JSON schema version this model is written for. */
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
}

/** A Grafana panel query. */
export interface DashboardTarget {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: true;
}

/** The panel's data source: the dashboard's `datasource` variable. */
export interface DatasourceRef {
  readonly type: 'prometheus';
  readonly uid: '${datasource}';
}

/** A Grafana panel. */
export interface DashboardPanel {
  readonly id: number;
  readonly type: 'timeseries' | 'state-timeline';
  readonly title: string;
  readonly description: string;
  readonly datasource: DatasourceRef;
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly fieldConfig: {
    readonly defaults: Record<string, unknown>;
    readonly overrides: readonly unknown[];
  };
  readonly options: Record<string, unknown>;
  readonly targets: readonly DashboardTarget[];
}

/** The Grafana dashboard JSON model. */
export interface GrafanaDashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: readonly DashboardPanel[];
  readonly templating: { readonly list: readonly Record<string, unknown>[] };
  readonly [key: string]: unknown;
}

const WHERE = 'McpDashboard';
const UID_MAX_LENGTH = 40;
const UID = /^[a-zA-Z0-9_-]{1,40}$/;
const DATASOURCE: DatasourceRef = { type: 'prometheus', uid: '${datasource}' };
const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;

interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly type?: 'state-timeline';
  /** Stack the series on top of each other (a time series panel's parts of a whole). */
  readonly stacked?: boolean;
  /** Fixed colours of series, by their legend text. */
  readonly seriesColors?: readonly (readonly [series: string, color: string])[];
  readonly queries: readonly (readonly [legend: string, expr: string])[];
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
  if (!UID.test(uid)) throw invalidProp(WHERE, 'uid', 'be 1 to 40 letters, digits, "-" or "_"', uid);
  if (title.trim() === '') throw invalidProp(WHERE, 'title', 'not be empty', title);
  checkSelector(WHERE, selector);
  if (props.probeSelector !== undefined) checkSelector(WHERE, props.probeSelector, 'probeSelector');

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

  const panels = specs.map((spec, index): DashboardPanel => {
    const stateTimeline = spec.type === 'state-timeline';
    return {
      id: index + 1,
      type: spec.type ?? 'timeseries',
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      gridPos: {
        h: PANEL_HEIGHT,
        w: PANEL_WIDTH,
        x: (index % 2) * PANEL_WIDTH,
        y: Math.floor(index / 2) * PANEL_HEIGHT,
      },
      fieldConfig: {
        defaults: stateTimeline
          ? {
              unit: spec.unit,
              mappings: [
                { type: 'value', options: { '0': { text: 'down', color: 'red', index: 0 } } },
                { type: 'value', options: { '1': { text: 'up', color: 'green', index: 1 } } },
              ],
              color: { mode: 'thresholds' },
              thresholds: {
                mode: 'absolute',
                steps: [
                  { color: 'red', value: null },
                  { color: 'green', value: 1 },
                ],
              },
            }
          : {
              unit: spec.unit,
              min: 0,
              ...(spec.stacked
                ? { custom: { stacking: { mode: 'normal', group: 'A' }, fillOpacity: 50 } }
                : {}),
            },
        overrides: (spec.seriesColors ?? []).map(([series, color]) => ({
          matcher: { id: 'byName', options: series },
          properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }],
        })),
      },
      options: stateTimeline
        ? { showValue: 'never', legend: { displayMode: 'list', placement: 'bottom', showLegend: true } }
        : {
            legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
            tooltip: { mode: 'multi', sort: 'desc' },
          },
      targets: spec.queries.map(([legendFormat, expr], queryIndex) => ({
        refId: String.fromCharCode(65 + queryIndex),
        datasource: DATASOURCE,
        expr: assertKnownMetrics(expr),
        legendFormat,
        range: true,
      })),
    };
  });

  return {
    annotations: { list: [] },
    description: `Requests, latency, errors, tools and resources of the MCP server ${name}, from mcpenv.`,
    editable: true,
    graphTooltip: 1,
    id: null,
    links: [],
    panels,
    refresh: '30s',
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    tags: ['mcp', 'mcpenv'],
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
          includeAll: false,
          multi: false,
          options: [],
          refresh: 1,
          regex: '',
        },
      ],
    },
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: '',
    title,
    uid,
    version: 1,
  };
}

/** The dashboard as the file Grafana imports: two-space indented JSON and a final newline. */
export function dashboardToJson(dashboard: GrafanaDashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** Queries every panel runs, for checks and tests. */
export function dashboardExpressions(dashboard: GrafanaDashboard): string[] {
  return dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
}
