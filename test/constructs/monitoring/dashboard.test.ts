import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import {
  buildDashboard,
  DASHBOARD_SCHEMA_VERSION,
  type DashboardPanel,
  type DashboardProps,
  type DashboardRow,
  dashboardExpressions,
  dashboardPanels,
  dashboardToJson,
  type GrafanaDashboard,
  isDashboardRow,
} from '../../../constructs/monitoring/dashboard';
import { assertKnownMetrics, metricNamesIn } from '../../../constructs/monitoring/promql';
import { BURN_RATE_WINDOWS, type SloProps } from '../../../constructs/monitoring/slo';
import { LABEL_VALUES, RECORDED_SERIES, SLO_SERIES } from '@mcpenv/contract';
import { TSX, TSX_ARGS } from '../../helpers/tsx';

/** Both objectives, as an environment would set them. */
const SLO: SloProps = {
  availability: { objective: 99.9 },
  latency: { objective: 99, thresholdSeconds: 0.5 },
};
/** Every optional part on: the probe's panels and both SLO rows. */
const EVERYTHING: DashboardProps = { instance: 'prod', probeSelector: { job: 'mcp-probe' }, slo: SLO };

function panel(title: string, props: DashboardProps = {}): DashboardPanel {
  const found = dashboardPanels(buildDashboard(props)).find((p) => p.title === title);
  if (!found) throw new Error(`no panel ${title}`);
  return found;
}

function rows(dashboard: GrafanaDashboard): DashboardRow[] {
  return dashboard.panels.filter(isDashboardRow);
}

/** The panels that follow a row, up to the next row: what it folds. */
function rowPanels(dashboard: GrafanaDashboard, title: string): DashboardPanel[] {
  const start = dashboard.panels.findIndex((entry) => isDashboardRow(entry) && entry.title === title);
  if (start < 0) throw new Error(`no row ${title}`);
  const after = dashboard.panels.slice(start + 1);
  const end = after.findIndex(isDashboardRow);
  return (end < 0 ? after : after.slice(0, end)).filter((entry) => !isDashboardRow(entry));
}

/** Threshold steps as [value, colour] pairs. */
function steps(p: DashboardPanel): [number | null, string][] {
  return (p.fieldConfig.defaults.thresholds?.steps ?? []).map((step) => [step.value, step.color]);
}

describe('buildDashboard', () => {
  test('is a schema version 39 dashboard with a Prometheus data source variable', () => {
    const dashboard = buildDashboard();
    expect(dashboard.schemaVersion).toBe(DASHBOARD_SCHEMA_VERSION);
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.templating.list).toEqual([
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    ]);
    for (const p of dashboardPanels(dashboard)) {
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of p.targets) expect(target.datasource).toEqual(p.datasource);
    }
  });

  test('derives its uid and title from the name and the instance', () => {
    expect(buildDashboard()).toMatchObject({ uid: 'mcpenv-mcp-server', title: 'MCP server mcp-server' });
    expect(buildDashboard({ instance: 'prod' })).toMatchObject({
      uid: 'mcpenv-mcp-server-prod',
      title: 'MCP server mcp-server (prod)',
    });
    expect(buildDashboard({ name: 'prod-server', instance: 'prod' })).toMatchObject({
      uid: 'mcpenv-prod-server',
      title: 'MCP server prod-server',
    });
    expect(buildDashboard({ uid: 'mcp', title: 'MCP' })).toMatchObject({ uid: 'mcp', title: 'MCP' });
  });

  test('scopes its queries to the job of its name unless given a selector', () => {
    const expressions = JSON.stringify(
      buildDashboard({ name: 'prod-server', instance: 'prod', slo: SLO }).panels,
    );
    expect(expressions).toContain('job=\\"prod-server\\"');
    expect(expressions).not.toContain('mcp-server');
  });

  test('shortens a derived uid over 40 characters with a hash of it, so that it stays distinct', () => {
    const long = 'a'.repeat(30);
    const first = buildDashboard({ name: long, instance: 'production' }).uid;
    const second = buildDashboard({ name: long, instance: 'productive' }).uid;
    expect(first).toMatch(/^mcpenv-a{24}-[0-9a-f]{8}$/);
    expect(first).toHaveLength(40);
    expect(second).not.toBe(first);
    expect(buildDashboard({ name: long, instance: 'production' }).uid).toBe(first);
  });

  test('has the panels operators need, in a fixed order', () => {
    expect(buildDashboard().panels.map((p) => [p.id, p.title, p.type])).toEqual([
      [1, 'Request rate', 'timeseries'],
      [2, 'Latency', 'timeseries'],
      [3, 'Error ratio', 'timeseries'],
      [4, 'MCP operation latency', 'timeseries'],
      [5, 'Active connections', 'timeseries'],
      [6, 'Tool executions', 'timeseries'],
      [7, 'Resource access', 'timeseries'],
      [8, 'Rate-limited requests', 'timeseries'],
      [9, 'Authentication failures', 'timeseries'],
      [10, 'Memory per pod', 'timeseries'],
      [11, 'CPU per pod', 'timeseries'],
      [12, 'Readiness', 'state-timeline'],
      [13, 'Scrape targets up', 'timeseries'],
      [14, 'Traffic by protocol generation', 'timeseries'],
    ]);
  });

  test('ends with the probe panels, scoped by the probe selector, only when given one', () => {
    expect(buildDashboard().panels.map((p) => p.title)).not.toContain('Probe success');
    const probeSelector = { namespace: 'mcp-prod', job: 'prod-probe' };
    const panels = dashboardPanels(buildDashboard({ probeSelector })).slice(-3);
    expect(panels.map((p) => [p.id, p.title, p.type, p.fieldConfig.defaults.unit])).toEqual([
      [15, 'Probe success', 'state-timeline', 'none'],
      [16, 'Probe duration by step', 'timeseries', 's'],
      [17, 'Days until certificate expiry', 'timeseries', 'd'],
    ]);
    expect(panels.map((p) => p.targets.map((t) => t.expr))).toEqual([
      ['max(mcp_probe_success{job="prod-probe",namespace="mcp-prod"})'],
      ['max by (step) (mcp_probe_duration_seconds{job="prod-probe",namespace="mcp-prod"})'],
      [
        '(min(mcp_probe_tls_not_after_timestamp_seconds{job="prod-probe",namespace="mcp-prod"}) - time()) / 86400',
      ],
    ]);
    expect(panels[1]?.description).toContain(LABEL_VALUES.probeStep.join(', '));
  });

  test('rejects an empty probe selector', () => {
    expect(() => buildDashboard({ probeSelector: {} })).toThrow(
      /^McpDashboard: `probeSelector` must have at least one label/,
    );
  });

  test('lays panels out two per row on the 24-column grid', () => {
    const panels = buildDashboard({ probeSelector: { job: 'mcp-probe' } }).panels;
    expect(panels.slice(0, 3).map((p) => p.gridPos)).toEqual([
      { h: 8, w: 12, x: 0, y: 0 },
      { h: 8, w: 12, x: 12, y: 0 },
      { h: 8, w: 12, x: 0, y: 8 },
    ]);
  });

  test.each<[string, DashboardProps]>([
    ['the defaults', {}],
    ['the probe', { probeSelector: { job: 'mcp-probe' } }],
    ['the availability SLO only', { slo: { availability: { objective: 99.5 } } }],
    ['the probe and both SLOs', EVERYTHING],
  ])(
    'gives each panel and row a unique id and a place on the grid that no other overlaps, with %s',
    (_, props) => {
      const entries = buildDashboard(props).panels;
      const ids = entries.map((entry) => entry.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const { gridPos } of entries) {
        expect(gridPos.x).toBeGreaterThanOrEqual(0);
        expect(gridPos.x + gridPos.w).toBeLessThanOrEqual(24);
        expect(gridPos.w).toBeGreaterThan(0);
        expect(gridPos.h).toBeGreaterThan(0);
      }
      const overlaps: string[] = [];
      entries.forEach((a, i) => {
        for (const b of entries.slice(i + 1)) {
          const apart =
            a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
            b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
            a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
            b.gridPos.y + b.gridPos.h <= a.gridPos.y;
          if (!apart) overlaps.push(`${a.title} / ${b.title}`);
        }
      });
      expect(overlaps).toEqual([]);
    },
  );

  test('reads the recorded series for requests, latency, errors and tools', () => {
    expect(panel('Request rate').targets.map((t) => [t.legendFormat, t.expr])).toEqual([
      ['total', 'sum(mcp:mcp_requests:rate5m{job="mcp-server"})'],
      ['success (2xx)', 'sum(mcp:mcp_requests:rate5m{job="mcp-server",status_class="2xx"})'],
      ['error (5xx)', 'sum(mcp:mcp_requests:rate5m{job="mcp-server",status_class="5xx"})'],
    ]);
    expect(panel('Latency').targets.map((t) => t.expr)).toEqual([
      'max by (endpoint) (mcp:mcp_request_duration_seconds:p50_rate5m{job="mcp-server"})',
      'max by (endpoint) (mcp:mcp_request_duration_seconds:p95_rate5m{job="mcp-server"})',
      'max by (endpoint) (mcp:mcp_request_duration_seconds:p99_rate5m{job="mcp-server"})',
    ]);
    expect(metricNamesIn(panel('Error ratio').targets[0]?.expr ?? '')).toEqual([
      RECORDED_SERIES.requestRate.name,
    ]);
    expect(metricNamesIn(panel('Tool executions').targets[0]?.expr ?? '')).toEqual([
      RECORDED_SERIES.toolExecutionRate.name,
    ]);
  });

  test('stacks the request rate by protocol version, modern green against legacy blue', () => {
    const traffic = panel('Traffic by protocol generation', {
      selector: { namespace: 'mcp-prod', job: 'mcp-server' },
    });
    expect(traffic.targets.map((t) => [t.legendFormat, t.expr])).toEqual([
      [
        '{{protocol_version}}',
        'sum by (protocol_version) (mcp:mcp_requests:rate5m{job="mcp-server",namespace="mcp-prod"})',
      ],
    ]);
    expect(traffic.fieldConfig.defaults).toEqual({
      unit: 'reqps',
      min: 0,
      custom: { stacking: { mode: 'normal', group: 'A' }, fillOpacity: 50 },
    });
    const colors = traffic.fieldConfig.overrides.map((override) => {
      const { matcher, properties } = override as {
        matcher: { id: string; options: string };
        properties: { id: string; value: { mode: string; fixedColor: string } }[];
      };
      expect(matcher.id).toBe('byName');
      expect(properties.map((p) => [p.id, p.value.mode])).toEqual([['color', 'fixed']]);
      return [matcher.options, properties[0]?.value.fixedColor];
    });
    expect(colors).toEqual([
      ['2026-07-28', 'green'],
      ['2025-11-25', 'dark-blue'],
      ['2025-06-18', 'blue'],
      ['2025-03-26', 'light-blue'],
      ['unknown', 'gray'],
    ]);
    expect(colors.map(([value]) => value)).toEqual([
      ...LABEL_VALUES.protocolVersion,
      ...LABEL_VALUES.protocolVersionFallback,
    ]);
    expect(traffic.description).toContain('2026-07-28 is the modern, stateless generation');
    // Only this panel stacks; the others keep plain lines.
    const stacked = dashboardPanels(buildDashboard(EVERYTHING)).filter(
      (p) => p.fieldConfig.defaults.custom?.stacking !== undefined,
    );
    expect(stacked.map((p) => p.title)).toEqual(['Traffic by protocol generation']);
  });

  test('takes rates of raw counters over $__rate_interval and shows process metrics per pod', () => {
    expect(panel('CPU per pod').targets[0]?.expr).toBe(
      'sum by (pod) (rate(process_cpu_seconds_total{job="mcp-server"}[$__rate_interval]))',
    );
    expect(panel('Memory per pod').fieldConfig.defaults).toMatchObject({ unit: 'bytes' });
    expect(panel('Readiness').targets.map((t) => metricNamesIn(t.expr)[0])).toEqual([
      'mcp_ready',
      'mcp_postgres_up',
      'mcp_redis_up',
    ]);
  });

  test('scopes every query with the selector', () => {
    const dashboard = buildDashboard({ selector: { namespace: 'mcp-prod', job: 'mcp-server' } });
    for (const expr of dashboardExpressions(dashboard)) {
      for (const name of metricNamesIn(expr)) {
        const uses = expr.split(name).length - 1;
        const scoped = expr.split(`${name}{job="mcp-server",namespace="mcp-prod"`).length - 1;
        expect(`${name}: ${scoped}`).toBe(`${name}: ${uses}`);
      }
    }
  });

  test('is deterministic and carries no timestamps', () => {
    const json = dashboardToJson(buildDashboard(EVERYTHING));
    expect(dashboardToJson(buildDashboard(EVERYTHING))).toBe(json);
    expect(json).not.toMatch(/\d{4}-\d{2}-\d{2}T|"(created|updated|timestamp)"/);
    expect(json.endsWith('}\n')).toBe(true);
    expect(JSON.parse(json)).toMatchObject({ id: null, version: 1 });
  });

  test('writes the same bytes in another process', () => {
    const child = spawnSync(
      TSX,
      [
        ...TSX_ARGS,
        path.join(__dirname, '..', '..', 'helpers', 'dashboard-json.ts'),
        JSON.stringify(EVERYTHING),
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout).toBe(dashboardToJson(buildDashboard(EVERYTHING)));
  }, 60_000);

  test('returns the model its JSON holds, keys sorted at every level', () => {
    const dashboard = buildDashboard(EVERYTHING);
    const json = dashboardToJson(dashboard);
    expect(JSON.parse(json)).toEqual(dashboard);
    const unsorted: string[] = [];
    JSON.parse(json, (key, value: unknown) => {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const keys = Object.keys(value);
        if (keys.join() !== [...keys].sort().join()) unsorted.push(key);
      }
      return value;
    });
    expect(unsorted).toEqual([]);
  });

  test('sets what the SDK would otherwise default: schema version, time, refresh, ids', () => {
    const dashboard = buildDashboard(EVERYTHING);
    expect(dashboard).toMatchObject({
      schemaVersion: 39,
      id: null,
      version: 1,
      editable: true,
      graphTooltip: 1,
      time: { from: 'now-6h', to: 'now' },
      timezone: '',
      refresh: '30s',
      fiscalYearStartMonth: 0,
      tags: ['mcp', 'mcpenv'],
      links: [],
      annotations: { list: [] },
    });
    expect(dashboard.templating.list).toEqual([
      expect.objectContaining({
        name: 'datasource',
        label: 'Data source',
        type: 'datasource',
        query: 'prometheus',
        hide: 0,
        multi: false,
        includeAll: false,
      }),
    ]);
    for (const p of dashboardPanels(dashboard)) {
      expect(p.id).toBeGreaterThan(0);
      expect(p.options.legend ?? p.options.reduceOptions).toBeDefined();
      for (const target of p.targets) expect(target).toMatchObject({ range: true, instant: false });
    }
  });

  test.each<[string, DashboardProps, RegExp]>([
    [
      'a uid with a slash',
      { uid: 'mcp/server' },
      /^McpDashboard: `uid` must be 1 to 40 letters, digits, "-" or "_" \(got "mcp\/server"\)$/,
    ],
    [
      'a given uid over 40 characters',
      { uid: 'a'.repeat(41) },
      /^McpDashboard: `uid` must be 1 to 40 letters, digits, "-" or "_"/,
    ],
    ['an empty title', { title: ' ' }, /`title` must not be empty/],
    ['an invalid selector', { selector: {} }, /^McpDashboard: `selector` must have at least one label/],
    [
      'an objective of 100%',
      { slo: { availability: { objective: 100 } } },
      /^McpDashboard: `slo.availability.objective` must be less than 100/,
    ],
    [
      'an objective written as a fraction',
      { slo: { availability: { objective: 0.999 } } },
      /^McpDashboard: `slo.availability.objective` must be at least 93.06: .*write the objective in percent/,
    ],
    [
      'a latency threshold between buckets',
      { slo: { latency: { objective: 99, thresholdSeconds: 0.3 } } },
      /^McpDashboard: `slo.latency.thresholdSeconds` must be one of the bucket bounds .*use 0.25, the nearest bound/,
    ],
    [
      'an unknown objective',
      { slo: { throughput: { objective: 99 } } as SloProps },
      /^McpDashboard: `slo.throughput` must not be set: SLOs are availability and latency/,
    ],
    [
      'an objective that is not an object',
      { slo: { availability: 99.9 } as unknown as SloProps },
      /^McpDashboard: `slo.availability` must be an object with an objective/,
    ],
  ])('rejects %s', (_case, props, message) => {
    expect(() => buildDashboard(props)).toThrow(message);
  });
});

describe('buildDashboard with SLOs', () => {
  test('has no rows and no SLO query without `slo`', () => {
    const dashboard = buildDashboard({ probeSelector: { job: 'mcp-probe' } });
    expect(rows(dashboard)).toEqual([]);
    const sloNames = new Set(SLO_SERIES.map((series) => series.name));
    expect(
      dashboardExpressions(dashboard)
        .flatMap(metricNamesIn)
        .filter((n) => sloNames.has(n)),
    ).toEqual([]);
  });

  test('ends with an expanded row per objective, availability first, after the panels it leaves in place', () => {
    const plain = buildDashboard({ probeSelector: { job: 'mcp-probe' } });
    const dashboard = buildDashboard({ probeSelector: { job: 'mcp-probe' }, slo: SLO });
    expect(dashboard.panels.slice(0, plain.panels.length)).toEqual(plain.panels);
    expect(rows(dashboard)).toEqual([
      {
        id: 100,
        type: 'row',
        title: 'Availability 99.9% over 30 days',
        collapsed: false,
        gridPos: { h: 1, w: 24, x: 0, y: 72 },
        panels: [],
      },
      {
        id: 200,
        type: 'row',
        title: 'Latency 99% within 500 ms over 30 days',
        collapsed: false,
        gridPos: { h: 1, w: 24, x: 0, y: 89 },
        panels: [],
      },
    ]);
    expect(
      rowPanels(dashboard, 'Availability 99.9% over 30 days').map((p) => [p.id, p.type, p.title]),
    ).toEqual([
      [101, 'timeseries', 'Availability SLI vs 99.9%'],
      [102, 'stat', 'Availability error budget left'],
      [103, 'timeseries', 'Availability error budget trend'],
      [104, 'timeseries', 'Availability burn rate, page windows'],
      [105, 'timeseries', 'Availability burn rate, ticket windows'],
    ]);
    expect(rowPanels(dashboard, 'Latency 99% within 500 ms over 30 days').map((p) => p.id)).toEqual([
      201, 202, 203, 204, 205,
    ]);
  });

  test('keeps the ids of an objective whichever other objective is set', () => {
    const alone = buildDashboard({ slo: { latency: SLO.latency } as SloProps });
    expect(rows(alone).map((row) => [row.id, row.gridPos.y])).toEqual([[200, 56]]);
    expect(
      dashboardPanels(alone)
        .slice(-5)
        .map((p) => p.id),
    ).toEqual([201, 202, 203, 204, 205]);
  });

  test('reads only the recorded SLO series of its indicator, scoped by the selector', () => {
    const selector = { namespace: 'mcp-prod', job: 'mcp-server' };
    const dashboard = buildDashboard({ selector, slo: SLO });
    for (const [title, indicator] of [
      ['Availability 99.9% over 30 days', 'availability'],
      ['Latency 99% within 500 ms over 30 days', 'latency'],
    ] as const) {
      for (const p of rowPanels(dashboard, title)) {
        for (const { expr } of p.targets) {
          expect(assertKnownMetrics(expr)).toBe(expr);
          const names = metricNamesIn(expr);
          expect(names.length).toBe(1);
          expect(names[0]).toMatch(new RegExp(`^mcp:slo_${indicator}_`));
          expect(expr).toContain(`${names[0]}{job="mcp-server",namespace="mcp-prod"}`);
        }
      }
    }
  });

  test('compares the SLI with the objective, over the period and short windows', () => {
    const sli = panel('Availability SLI vs 99.5%', { slo: { availability: { objective: 99.5 } } });
    expect(sli.targets.map((t) => [t.legendFormat, t.expr])).toEqual([
      ['30d', '1 - mcp:slo_availability_errors:ratio_rate30d{job="mcp-server"}'],
      ['1h', '1 - mcp:slo_availability_errors:ratio_rate1h{job="mcp-server"}'],
      ['5m', '1 - mcp:slo_availability_errors:ratio_rate5m{job="mcp-server"}'],
    ]);
    expect(sli.fieldConfig.defaults).toMatchObject({ unit: 'percentunit', max: 1 });
    expect(sli.fieldConfig.defaults.min).toBeUndefined();
    expect(steps(sli)).toEqual([
      [null, 'red'],
      [0.995, 'green'],
    ]);
    expect(sli.fieldConfig.defaults.custom?.thresholdsStyle).toEqual({ mode: 'dashed' });
    expect(sli.description).toContain('Availability 99.5% over 30 days');
  });

  test.each([
    [99.9, 0.001],
    [99.5, 0.005],
    [95, 0.05],
  ])(
    'divides the error ratios of the alert windows by the budget of a %p%% objective, with lines at the alert factors',
    (objective, budget) => {
      const props: DashboardProps = { slo: { latency: { objective, thresholdSeconds: 1 } } };
      for (const urgency of ['page', 'ticket'] as const) {
        const burn = panel(`Latency burn rate, ${urgency} windows`, props);
        const pairs = BURN_RATE_WINDOWS.filter((pair) => pair.urgency === urgency);
        const windows = new Set(pairs.flatMap((pair) => [pair.longWindow, pair.shortWindow]));
        expect(burn.targets.map((t) => t.legendFormat).sort()).toEqual([...windows].sort());
        for (const t of burn.targets) {
          expect(t.expr).toBe(
            `mcp:slo_latency_errors:ratio_rate${t.legendFormat}{job="mcp-server"} / ${budget}`,
          );
        }
        const color = urgency === 'page' ? 'red' : 'orange';
        expect(steps(burn)).toEqual([
          [null, 'green'],
          ...pairs
            .map((pair) => pair.factor)
            .sort((a, b) => a - b)
            .map((factor) => [factor, color]),
        ]);
        expect(burn.fieldConfig.defaults).toMatchObject({ unit: 'none', min: 0 });
        expect(burn.description).toContain(`Latency ${objective}% within 1 s over 30 days`);
        for (const pair of pairs) {
          expect(burn.description).toContain(
            `${pair.longWindow} and ${pair.shortWindow} above ${pair.factor}`,
          );
        }
      }
    },
  );

  test('orders the burn-rate windows shortest first', () => {
    const page = panel('Availability burn rate, page windows', { slo: SLO });
    const ticket = panel('Availability burn rate, ticket windows', { slo: SLO });
    expect(page.targets.map((t) => t.legendFormat)).toEqual(['5m', '30m', '1h', '6h']);
    expect(ticket.targets.map((t) => t.legendFormat)).toEqual(['2h', '6h', '1d', '3d']);
  });

  test('shows the error budget left as a red, orange or green stat, and its trend', () => {
    const budget = 'mcp:slo_latency_error_budget:remaining30d{job="mcp-server"}';
    const left = panel('Latency error budget left', { slo: SLO });
    expect(left.type).toBe('stat');
    expect(left.targets.map((t) => t.expr)).toEqual([budget]);
    expect(steps(left)).toEqual([
      [null, 'red'],
      [0.25, 'orange'],
      [0.5, 'green'],
    ]);
    expect(left.fieldConfig.defaults).toMatchObject({ unit: 'percentunit', color: { mode: 'thresholds' } });
    expect(left.options).toMatchObject({
      reduceOptions: { calcs: ['lastNotNull'], values: false },
      colorMode: 'value',
      graphMode: 'none',
    });
    expect(left.description).toContain('Latency 99% within 500 ms over 30 days (1% of requests');

    const trend = panel('Latency error budget trend', { slo: SLO });
    expect(trend.type).toBe('timeseries');
    expect(trend.targets.map((t) => t.expr)).toEqual([budget]);
    expect(steps(trend)).toEqual(steps(left));
    expect(trend.gridPos.y).toBe(left.gridPos.y);
  });

  test('writes each latency threshold as people say it', () => {
    const titles = (thresholdSeconds: number) =>
      rows(buildDashboard({ slo: { latency: { objective: 99.9, thresholdSeconds } } })).map((r) => r.title);
    expect(titles(0.005)).toEqual(['Latency 99.9% within 5 ms over 30 days']);
    expect(titles(0.25)).toEqual(['Latency 99.9% within 250 ms over 30 days']);
    expect(titles(2.5)).toEqual(['Latency 99.9% within 2.5 s over 30 days']);
  });
});
