import { parse } from 'yaml';
import { type AlertingRule, buildAlertRules, type RuleGroup } from '../../../constructs/monitoring/alerts';
import {
  buildRuleTests,
  firingShare,
  renderAnnotation,
  type RuleTestCase,
  toRuleTestsYaml,
} from '../../../constructs/monitoring/rule-tests';

const alertNames = (groups: readonly RuleGroup[]): string[] =>
  groups.flatMap((group) => group.rules.filter((r): r is AlertingRule => 'alert' in r).map((r) => r.alert));

function casesOf(tests: readonly RuleTestCase[], alert: string) {
  const mine = tests.filter((t) => t.alert_rule_test.every((a) => a.alertname === alert));
  return {
    firing: mine.filter((t) => t.alert_rule_test.some((a) => a.exp_alerts.length > 0)),
    silent: mine.filter((t) => t.alert_rule_test.every((a) => a.exp_alerts.length === 0)),
  };
}

describe('buildRuleTests', () => {
  test('has one firing and one silent case for every alert, the optional auth alert included', () => {
    const props = { authFailureRatioThreshold: 0.2 };
    const file = buildRuleTests(props);
    const alerts = alertNames(buildAlertRules(props));
    expect(alerts).toHaveLength(11);
    expect(file.tests).toHaveLength(alerts.length * 2);
    for (const alert of alerts) {
      const { firing, silent } = casesOf(file.tests, alert);
      expect({ alert, firing: firing.length, silent: silent.length }).toEqual({
        alert,
        firing: 1,
        silent: 1,
      });
    }
    expect(file.rule_files).toEqual(['rules.yaml']);
  });

  test('expects the alert labels and annotations Prometheus will render, runbook link included', () => {
    const file = buildRuleTests({
      selector: { namespace: 'mcp-prod', job: 'mcp-server' },
      runbookBaseUrl: 'https://runbooks.example.com/mcp/',
    });
    const { firing } = casesOf(file.tests, 'McpHighErrorRatio');
    expect(firing[0]?.name).toBe(
      'McpHighErrorRatio fires when 7.5% of requests fail with 500 (all from 2026-07-28 clients) for 10m',
    );
    expect(firing[0]?.alert_rule_test.at(-1)).toEqual({
      eval_time: '16m',
      alertname: 'McpHighErrorRatio',
      exp_alerts: [
        {
          exp_labels: { endpoint: '/mcp', job: 'mcp-server', namespace: 'mcp-prod', severity: 'critical' },
          exp_annotations: {
            description: '7.5% of requests to /mcp ended with a 5xx status over the last 5m (threshold 5%).',
            runbook_url: 'https://runbooks.example.com/mcp/mcphigherrorratio',
            summary: 'MCP server requests are failing with 5xx errors',
          },
        },
      ],
    });
    expect(firing[0]?.input_series).toEqual([
      {
        series:
          'mcp_requests_total{endpoint="/mcp",instance="10.0.0.7:3000",job="mcp-server",method="tools/call",' +
          'namespace="mcp-prod",protocol_version="2026-07-28",status="500"}',
        values: '0+4.5x18',
      },
      {
        series:
          'mcp_requests_total{endpoint="/mcp",instance="10.0.0.7:3000",job="mcp-server",method="tools/call",' +
          'namespace="mcp-prod",protocol_version="2025-11-25",status="200"}',
        values: '0+55.5x18',
      },
    ]);
  });

  test('spreads request series over protocol versions, so a rule keeping the label would fail them', () => {
    const file = buildRuleTests({ authFailureRatioThreshold: 0.2 });
    const versions = (alert: string): string[] => {
      const series = casesOf(file.tests, alert).firing[0]?.input_series ?? [];
      const found = series.flatMap((s) => /protocol_version="([^"]+)"/.exec(s.series)?.[1] ?? []);
      return [...new Set(found)].sort();
    };
    expect(versions('McpHighErrorRatio')).toEqual(['2025-11-25', '2026-07-28']);
    expect(versions('McpHighLatency')).toEqual(['2025-11-25', '2026-07-28']);
    expect(versions('McpRateLimitRejections')).toEqual(['2025-11-25', '2026-07-28']);
    expect(versions('McpAuthFailures')).toEqual(['2026-07-28', 'unknown']);
    for (const alert of [
      'McpHighErrorRatio',
      'McpHighLatency',
      'McpRateLimitRejections',
      'McpAuthFailures',
    ]) {
      for (const expected of casesOf(file.tests, alert).firing[0]?.alert_rule_test.at(-1)?.exp_alerts ?? []) {
        expect(Object.keys(expected.exp_labels)).not.toContain('protocol_version');
      }
    }
  });

  test('times each case by the alert’s `for`: not yet firing a minute before, firing six minutes after', () => {
    const file = buildRuleTests({ errorRatioFor: '1h', serverDownFor: '30s' });
    const slow = casesOf(file.tests, 'McpHighErrorRatio').firing[0];
    expect(slow?.alert_rule_test.map((a) => [a.eval_time, a.exp_alerts.length])).toEqual([
      ['59m', 0],
      ['66m', 1],
    ]);
    expect(slow?.input_series[0]?.values).toBe('0+4.5x68');
    // Under a minute there is no earlier evaluation to check.
    const quick = casesOf(file.tests, 'McpServerDown').firing[0];
    expect(quick?.alert_rule_test.map((a) => a.eval_time)).toEqual(['7m']);
  });

  test('brackets each threshold: the silent case at half of it, the firing case at half again', () => {
    expect(firingShare(0.05)).toBeCloseTo(0.075);
    expect(firingShare(0.9)).toBeCloseTo(0.95);
    const file = buildRuleTests({ toolErrorRatioThreshold: 0.2 });
    const { firing, silent } = casesOf(file.tests, 'McpHighToolErrorRatio');
    // server_error, success, and as many calls again refused for the caller's fault.
    expect(firing[0]?.input_series.map((s) => s.values)).toEqual(['0+18x23', '0+42x23', '0+60x23']);
    expect(silent[0]?.input_series.map((s) => s.values)).toEqual(['0+6x23', '0+54x23', '0+60x23']);
    expect(silent[0]?.promql_expr_test).toEqual([
      {
        expr: 'count(mcp:mcp_tool_execution_server_errors:ratio_rate5m{job="mcp-server"} <= 0.2)',
        eval_time: '21m',
        exp_samples: [{ labels: '{}', value: 1 }],
      },
    ]);
  });

  test('puts every request in a bucket whose p95 lies above, or below, the latency threshold', () => {
    const at = (threshold: number) => {
      const { firing, silent } = casesOf(
        buildRuleTests({ latencyP95ThresholdSeconds: threshold }).tests,
        'McpHighLatency',
      );
      return [firing[0]?.name, silent[0]?.name];
    };
    expect(at(1)).toEqual([
      'McpHighLatency fires when every request takes 2.425s at the 95th percentile for 10m',
      'McpHighLatency stays silent when every request finishes within 1s',
    ]);
    // Above the largest finite bucket's interpolated p95, only the +Inf bucket (read as 30s) fires.
    expect(at(29.5)[0]).toContain('takes 30s at the 95th percentile');
    expect(at(0.005)[1]).toContain('finishes within 0.005s');
  });

  test('gives the health gauges 0 to fire and 1 to stay silent', () => {
    const { firing, silent } = casesOf(buildRuleTests().tests, 'McpPostgresDown');
    expect(firing[0]?.input_series).toEqual([
      { series: 'mcp_postgres_up{instance="10.0.0.7:3000",job="mcp-server"}', values: '0x10' },
    ]);
    expect(silent[0]?.input_series[0]?.values).toBe('1x10');
    expect(firing[0]?.alert_rule_test.at(-1)?.exp_alerts[0]?.exp_annotations.description).toBe(
      '10.0.0.7:3000 fails its Postgres health check; tools that read or write memories fail.',
    );
  });

  test('writes the same YAML for the same props, which parses back to the same tests', () => {
    const props = { selector: { namespace: 'a', job: 'b' }, authFailureRatioThreshold: 0.3 };
    const yaml = toRuleTestsYaml(buildRuleTests(props));
    expect(toRuleTestsYaml(buildRuleTests(props))).toBe(yaml);
    expect(parse(yaml)).toEqual(JSON.parse(JSON.stringify(buildRuleTests(props))));
  });

  test('gives the probe alerts their cases on the probe job, not the server job', () => {
    const probeSelector = { namespace: 'mcp-prod', job: 'prod-probe' };
    const props = { selector: { namespace: 'mcp-prod', job: 'prod-server' }, probeSelector };
    const file = buildRuleTests(props);
    for (const alert of ['McpProbeFailing', 'McpCertificateExpiring', 'McpCertificateExpiringCritical']) {
      const { firing, silent } = casesOf(file.tests, alert);
      expect({ alert, firing: firing.length, silent: silent.length }).toEqual({
        alert,
        firing: 1,
        silent: 1,
      });
      for (const series of [...(firing[0]?.input_series ?? []), ...(silent[0]?.input_series ?? [])]) {
        expect(series.series).toContain('job="prod-probe"');
      }
      expect(firing[0]?.alert_rule_test.at(-1)?.exp_alerts[0]?.exp_labels).toMatchObject(probeSelector);
    }
    const failing = casesOf(file.tests, 'McpProbeFailing');
    expect(failing.firing[0]?.input_series[0]?.values).toBe('0x10');
    expect(failing.silent[0]?.input_series[0]?.values).toBe('1x10');
  });

  test('sets the certificate to expire half a day inside, or outside, each threshold at evaluation time', () => {
    const file = buildRuleTests({ probeSelector: { job: 'mcp-probe' } });
    const { firing, silent } = casesOf(file.tests, 'McpCertificateExpiring');
    // Evaluated at 16 minutes: promtool's clock starts at 0, so the expiry is 960 s plus the days.
    expect(firing[0]?.name).toBe(
      'McpCertificateExpiring fires when the certificate expires in 13.5 days for 10m',
    );
    expect(firing[0]?.input_series[0]?.values).toBe(`${960 + 13.5 * 86400}x18`);
    expect(silent[0]?.input_series[0]?.values).toBe(`${960 + 14.5 * 86400}x18`);
    expect(firing[0]?.alert_rule_test.at(-1)?.exp_alerts[0]?.exp_annotations.description).toContain(
      'expires in 13d 12h 0m 0s (threshold 14 days)',
    );
    expect(silent[0]?.promql_expr_test?.[0]?.expr).toBe(
      'count(min by (job) (mcp_probe_tls_not_after_timestamp_seconds{job="mcp-probe"}) - time() >= 1209600)',
    );
    const critical = casesOf(file.tests, 'McpCertificateExpiringCritical').firing[0];
    expect(critical?.name).toBe(
      'McpCertificateExpiringCritical fires when the certificate expires in 2.5 days for 10m',
    );
  });

  test('fails for an alert without a scenario, so no alert ships untested', () => {
    const groups = buildAlertRules();
    const extra: AlertingRule = {
      alert: 'McpSomethingNew',
      expr: 'up == 0',
      for: '1m',
      labels: { severity: 'warning' as AlertingRule['labels']['severity'] },
      annotations: { summary: 's', description: 'd' },
    };
    const withExtra = groups.map((g) =>
      g.name.endsWith('alerts') ? { ...g, rules: [...g.rules, extra] } : g,
    );
    expect(() => buildRuleTests({}, withExtra)).toThrow(
      /the alert McpSomethingNew has no rule-test scenario in rule-tests.ts/,
    );
  });

  test('fails for rule groups without alerts', () => {
    expect(() => buildRuleTests({}, [])).toThrow(/no mcp-server.alerts group with alerts/);
  });
});

describe('renderAnnotation', () => {
  test.each([
    [0.5, '50%'],
    [1, '100%'],
    [0.075, '7.5%'],
    [0.123456, '12.35%'],
    [0.00001, '0.001%'],
    [0.0000001, '1e-05%'],
    [123.4567, '1.235e+04%'],
  ])('renders humanizePercentage of %p as %p', (value, text) => {
    expect(renderAnnotation('{{ $value | humanizePercentage }}', {}, value)).toBe(text);
  });

  test.each([
    [0, '0s'],
    [2.425, '2.425s'],
    [0.0123, '12.3ms'],
    [0.0000042, '4.2us'],
    [30, '30s'],
    [90, '1m 30s'],
    [3725, '1h 2m 5s'],
    [90061, '1d 1h 1m 1s'],
  ])('renders humanizeDuration of %p as %p', (value, text) => {
    expect(renderAnnotation('{{ $value | humanizeDuration }}', {}, value)).toBe(text);
  });

  test('substitutes labels, missing ones as empty, and the raw value', () => {
    expect(
      renderAnnotation('{{ $labels.instance }} at {{$value}} on {{ $labels.pod }}.', { instance: 'a:1' }, 3),
    ).toBe('a:1 at 3 on .');
  });

  test.each([
    [0, '0'],
    [1, '1'],
    [15.12, '15.12'],
    [1.05, '1.05'],
    [1234.5, '1.234k'],
    [2_500_000, '2.5M'],
    [0.0025, '2.5m'],
    [-14.4, '-14.4'],
  ])('renders humanize of %p as %p', (value, text) => {
    expect(renderAnnotation('{{ $value | humanize }}', {}, value)).toBe(text);
  });

  test('renders a query block from the value the query returns, or its else text without one', () => {
    const template =
      'left: {{ with query `budget{job="a"}` }}{{ . | first | value | humanizePercentage }}{{ else }}unknown{{ end }}.';
    expect(
      renderAnnotation(template, {}, 0, (query) => (query === 'budget{job="a"}' ? -14.12 : undefined)),
    ).toBe('left: -1412%.');
    expect(renderAnnotation(template, {}, 0)).toBe('left: unknown.');
  });

  test('fails for a template action it cannot render', () => {
    expect(() => renderAnnotation('{{ $value | humanize1024 }}', {}, 1)).toThrow(
      /cannot render the template action \{\{ \$value \| humanize1024 \}\}/,
    );
  });
});
