import { buildAlertRules } from '../../../constructs/monitoring/alerts';
import { METRICS, PROBE_METRICS } from '@mcpenv/contract';
import {
  buildDashboard,
  dashboardExpressions,
  dashboardPanels,
} from '../../../constructs/monitoring/dashboard';
import {
  assertKnownMetrics,
  metricNamesIn,
  queryableSeriesNames,
} from '../../../constructs/monitoring/promql';

/** The probe's target labels, which turn its alerts and panels on. */
const PROBE = { job: 'mcp-probe' };
/** Both SLOs, which turn the dashboard's SLO rows on. */
const SLO = { availability: { objective: 99.9 }, latency: { objective: 99, thresholdSeconds: 0.5 } };

/**
 * Every expression mcpenv ships, labelled by where it is used; optional alerts and the SLO panels
 * included, and the probe's alerts and panels with `probe`.
 */
function shippedExpressions(probe = false): [string, string][] {
  const probeSelector = probe ? { probeSelector: PROBE } : {};
  const rules = buildAlertRules({ authFailureRatioThreshold: 0.5, ...probeSelector }).flatMap((group) =>
    group.rules.map((rule): [string, string] => ['record' in rule ? rule.record : rule.alert, rule.expr]),
  );
  const dashboard = buildDashboard({ ...probeSelector, slo: SLO });
  const panels = dashboardPanels(dashboard).flatMap((panel) =>
    panel.targets.map((target): [string, string] => [`panel ${panel.title} ${target.refId}`, target.expr]),
  );
  return [...rules, ...panels];
}

describe('the metric catalogue guard', () => {
  const known = queryableSeriesNames();

  test.each(shippedExpressions(true))('%s selects only catalogued or recorded series', (_where, expr) => {
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

  test('watches every metric the probe exposes in some rule or panel when the probe is on', () => {
    const used = new Set(shippedExpressions(true).flatMap(([, expr]) => metricNamesIn(expr)));
    const unwatched = Object.values(PROBE_METRICS)
      .map((definition) => definition.name)
      .filter((name) => !used.has(name));
    expect(unwatched).toEqual([]);
  });

  test("alerts on the probe's success and its certificate's expiry", () => {
    const inRules = new Set(
      shippedExpressions(true)
        .filter(([where]) => !where.startsWith('panel '))
        .flatMap(([, expr]) => metricNamesIn(expr)),
    );
    const { probeSuccess, probeTlsNotAfterTimestampSeconds } = PROBE_METRICS;
    expect([probeSuccess.name, probeTlsNotAfterTimestampSeconds.name].filter((n) => !inRules.has(n))).toEqual(
      [],
    );
  });

  test('names no probe metric while the probe is off', () => {
    const probeNames = new Set<string>(Object.values(PROBE_METRICS).map((definition) => definition.name));
    const used = shippedExpressions().flatMap(([, expr]) => metricNamesIn(expr));
    expect(used.filter((name) => probeNames.has(name))).toEqual([]);
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
