import {
  buildDashboard,
  DASHBOARD_SCHEMA_VERSION,
  type DashboardProps,
  dashboardExpressions,
  dashboardToJson,
} from '../../../constructs/monitoring/dashboard';
import { metricNamesIn } from '../../../constructs/monitoring/promql';
import { LABEL_VALUES, RECORDED_SERIES } from '@mcpenv/contract';

function panel(title: string, props: DashboardProps = {}) {
  const found = buildDashboard(props).panels.find((p) => p.title === title);
  if (!found) throw new Error(`no panel ${title}`);
  return found;
}

describe('buildDashboard', () => {
  test('is a schema version 39 dashboard with a Prometheus data source variable', () => {
    const dashboard = buildDashboard();
    expect(dashboard.schemaVersion).toBe(DASHBOARD_SCHEMA_VERSION);
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.templating.list).toEqual([
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    ]);
    for (const p of dashboard.panels) {
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
    const expressions = JSON.stringify(buildDashboard({ name: 'prod-server', instance: 'prod' }).panels);
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
    const panels = buildDashboard({ probeSelector }).panels.slice(-3);
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

  test('lays panels out two per row on the 24-column grid without overlaps', () => {
    const panels = buildDashboard({ probeSelector: { job: 'mcp-probe' } }).panels;
    expect(panels.slice(0, 3).map((p) => p.gridPos)).toEqual([
      { h: 8, w: 12, x: 0, y: 0 },
      { h: 8, w: 12, x: 12, y: 0 },
      { h: 8, w: 12, x: 0, y: 8 },
    ]);
    const cells = panels.map((p) => `${p.gridPos.x},${p.gridPos.y}`);
    expect(new Set(cells).size).toBe(panels.length);
  });

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
    const stacked = buildDashboard().panels.filter((p) => 'custom' in p.fieldConfig.defaults);
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
    const json = dashboardToJson(buildDashboard({ instance: 'prod' }));
    expect(dashboardToJson(buildDashboard({ instance: 'prod' }))).toBe(json);
    expect(json).not.toMatch(/\d{4}-\d{2}-\d{2}T|"(created|updated|timestamp)"/);
    expect(json.endsWith('}\n')).toBe(true);
    expect(JSON.parse(json)).toMatchObject({ id: null, version: 1 });
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
  ])('rejects %s', (_case, props, message) => {
    expect(() => buildDashboard(props)).toThrow(message);
  });
});
