import { buildAlertRules } from '../../../constructs/monitoring/alerts';
import { METRICS } from '@mcpenv/contract';
import { buildDashboard, dashboardExpressions } from '../../../constructs/monitoring/dashboard';
import {
  assertKnownMetrics,
  metricNamesIn,
  queryableSeriesNames,
} from '../../../constructs/monitoring/promql';

/** Every expression mcpenv ships, labelled by where it is used; optional alerts included. */
function shippedExpressions(): [string, string][] {
  const rules = buildAlertRules({ authFailureRatioThreshold: 0.5 }).flatMap((group) =>
    group.rules.map((rule): [string, string] => ['record' in rule ? rule.record : rule.alert, rule.expr]),
  );
  const dashboard = buildDashboard();
  const panels = dashboard.panels.flatMap((panel) =>
    panel.targets.map((target): [string, string] => [`panel ${panel.title} ${target.refId}`, target.expr]),
  );
  return [...rules, ...panels];
}

describe('the metric catalogue guard', () => {
  const known = queryableSeriesNames();

  test.each(shippedExpressions())('%s selects only catalogued or recorded series', (_where, expr) => {
    const names = metricNamesIn(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !known.includes(name))).toEqual([]);
    expect(assertKnownMetrics(expr)).toBe(expr);
  });

  test('watches every metric the server exposes in some rule or panel', () => {
    const used = new Set(shippedExpressions().flatMap(([, expr]) => metricNamesIn(expr)));
    const unwatched = Object.values(METRICS)
      .map((definition) => (definition.type === 'histogram' ? `${definition.name}_bucket` : definition.name))
      .filter((name) => !used.has(name));
    expect(unwatched).toEqual([]);
  });

  test('sums protocol_version away in every alert and recorded ratio; only its own panel keeps it', () => {
    const keeping = shippedExpressions()
      .filter(([, expr]) => /by \([^)]*\bprotocol_version\b/.test(expr))
      .map(([where]) => where);
    expect(keeping).toEqual(['mcp:mcp_requests:rate5m', 'panel Traffic by protocol generation A']);
  });

  test('rejects a deliberately misspelled metric', () => {
    expect(() => assertKnownMetrics('sum(rate(mcp_tool_execution_total{status="error"}[5m]))')).toThrow(
      /selects "mcp_tool_execution_total", which the metric catalogue and the recording rules do not define/,
    );
  });

  test('keeps the dashboard and the alerts on the same queries through the recording rules', () => {
    const recordedInPanels = new Set(
      dashboardExpressions(buildDashboard()).flatMap((expr) =>
        metricNamesIn(expr).filter((n) => n.includes(':')),
      ),
    );
    expect([...recordedInPanels].sort()).toEqual([
      'mcp:mcp_request_duration_seconds:p50_rate5m',
      'mcp:mcp_request_duration_seconds:p95_rate5m',
      'mcp:mcp_request_duration_seconds:p99_rate5m',
      'mcp:mcp_requests:rate5m',
      'mcp:mcp_tool_execution_server_errors:ratio_rate5m',
      'mcp:mcp_tool_executions:rate5m',
    ]);
  });
});
