import { metricNamesIn } from '../../../constructs/monitoring/promql';
import { buildRecordingRules } from '../../../constructs/monitoring/recording-rules';
import { RECORDED_SERIES } from '@mcpenv/contract';

const SELECTOR = { namespace: 'mcp-prod', job: 'mcp-server' };

describe('the recording rules', () => {
  test('record every series in RECORDED_SERIES, in that order', () => {
    expect(buildRecordingRules(SELECTOR).map((rule) => rule.record)).toEqual([
      'mcp:mcp_requests:rate5m',
      'mcp:mcp_request_errors:ratio_rate5m',
      'mcp:mcp_request_duration_seconds_bucket:rate5m',
      'mcp:mcp_request_duration_seconds:p50_rate5m',
      'mcp:mcp_request_duration_seconds:p95_rate5m',
      'mcp:mcp_request_duration_seconds:p99_rate5m',
      'mcp:mcp_tool_executions:rate5m',
      'mcp:mcp_tool_execution_server_errors:ratio_rate5m',
    ]);
    expect(Object.values(RECORDED_SERIES).map((series) => series.name)).toEqual(
      buildRecordingRules(SELECTOR).map((rule) => rule.record),
    );
  });

  test('follow the level:metric:operations naming convention, without _total after a rate', () => {
    for (const { name } of Object.values(RECORDED_SERIES)) {
      expect(name).toMatch(/^mcp:[a-z_]+:[a-z0-9_]+$/);
      expect(name).not.toMatch(/_total:/);
    }
  });

  test('group requests by endpoint, status class (derived from the status code) and protocol version', () => {
    expect(buildRecordingRules(SELECTOR)[0]?.expr).toBe(
      'sum by (job, namespace, endpoint, status_class, protocol_version) (label_replace(' +
        'sum by (job, namespace, endpoint, status, protocol_version) (rate(mcp_requests_total{job="mcp-server",namespace="mcp-prod"}[5m])), ' +
        '"status_class", "${1}xx", "status", "([0-9]).*"))',
    );
  });

  test('sum the protocol version away wherever a recorded ratio or quantile is computed', () => {
    const rules = buildRecordingRules(SELECTOR);
    const errorRatio = rules.find((rule) => rule.record === RECORDED_SERIES.requestErrorRatio.name);
    expect(errorRatio?.expr).toBe(
      '(sum by (job, namespace, endpoint) (mcp:mcp_requests:rate5m{job="mcp-server",namespace="mcp-prod",status_class="5xx"}) ' +
        'or sum by (job, namespace, endpoint) (mcp:mcp_requests:rate5m{job="mcp-server",namespace="mcp-prod"}) * 0) ' +
        '/ clamp_min(sum by (job, namespace, endpoint) (mcp:mcp_requests:rate5m{job="mcp-server",namespace="mcp-prod"}), 1e-9)',
    );
    const bucketRate = rules.find((rule) => rule.record === RECORDED_SERIES.requestDurationBucketRate.name);
    expect(bucketRate?.expr).toBe(
      'sum by (job, namespace, endpoint, le) ' +
        '(rate(mcp_request_duration_seconds_bucket{job="mcp-server",namespace="mcp-prod"}[5m]))',
    );
    for (const rule of rules.slice(1)) expect(rule.expr).not.toContain('protocol_version');
  });

  test('compute latency quantiles from the recorded bucket rate', () => {
    const p95 = buildRecordingRules(SELECTOR).find((rule) => rule.record.endsWith(':p95_rate5m'));
    expect(p95?.expr).toBe(
      'histogram_quantile(0.95, sum by (job, namespace, endpoint, le) ' +
        '(mcp:mcp_request_duration_seconds_bucket:rate5m{job="mcp-server",namespace="mcp-prod"}))',
    );
  });

  test("compute the tool server-fault ratio over the calls that were not the caller's fault, 0 rather than absent", () => {
    const toolErrors = buildRecordingRules(SELECTOR).at(-1);
    const valid =
      'sum by (job, namespace, tool_name) (mcp:mcp_tool_executions:rate5m{job="mcp-server",namespace="mcp-prod",status!="client_error"})';
    expect(toolErrors?.expr).toBe(
      '(sum by (job, namespace, tool_name) (mcp:mcp_tool_executions:rate5m{job="mcp-server",namespace="mcp-prod",status="server_error"}) ' +
        `or ${valid} * 0) / clamp_min(${valid}, 1e-9)`,
    );
  });

  test('keep the selector labels and scope every series they read', () => {
    for (const rule of buildRecordingRules(SELECTOR)) {
      for (const byClause of rule.expr.match(/by \([^)]*\)/g) ?? []) {
        expect(byClause).toMatch(/^by \(job, namespace\b/);
      }
      for (const name of metricNamesIn(rule.expr)) {
        const uses = rule.expr.split(name).length - 1;
        const scopedUses = rule.expr.split(`${name}{job="mcp-server",namespace="mcp-prod"`).length - 1;
        expect(`${name}: ${scopedUses}`).toBe(`${name}: ${uses}`);
      }
    }
  });

  test('only read series written by rules earlier in the group', () => {
    const written = new Set<string>();
    for (const rule of buildRecordingRules(SELECTOR)) {
      for (const name of metricNamesIn(rule.expr).filter((n) => n.startsWith('mcp:'))) {
        expect(written).toContain(name);
      }
      written.add(rule.record);
    }
  });
});
