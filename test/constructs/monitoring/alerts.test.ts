import { parse } from 'yaml';
import {
  ALERT_GROUP,
  type AlertingRule,
  type AlertRulesProps,
  buildAlertRules,
  RECORDING_GROUP,
  Severity,
  toPrometheusRulesYaml,
} from '../../../constructs/monitoring/alerts';
import { ValidationError } from '../../../constructs/errors';
import { metricNamesIn } from '../../../constructs/monitoring/promql';

function alertsOf(props: AlertRulesProps = {}): AlertingRule[] {
  const group = buildAlertRules(props).find((g) => g.name === ALERT_GROUP);
  if (!group) throw new Error('no alert group');
  return group.rules as AlertingRule[];
}

function alert(name: string, props: AlertRulesProps = {}): AlertingRule {
  const found = alertsOf(props).find((rule) => rule.alert === name);
  if (!found) throw new Error(`no alert ${name}`);
  return found;
}

describe('buildAlertRules', () => {
  test('returns the recording group, then the alert group', () => {
    const groups = buildAlertRules();
    expect(groups.map((g) => [g.name, g.rules.length])).toEqual([
      [RECORDING_GROUP, 8],
      [ALERT_GROUP, 10],
    ]);
  });

  test('raises each alert with its default severity and duration, in a fixed order', () => {
    expect(alertsOf().map((rule) => [rule.alert, rule.labels.severity, rule.for])).toEqual([
      ['McpHighErrorRatio', Severity.CRITICAL, '10m'],
      ['McpHighLatency', Severity.WARNING, '10m'],
      ['McpServerDown', Severity.CRITICAL, '5m'],
      ['McpHighMemory', Severity.WARNING, '15m'],
      ['McpHighCpu', Severity.WARNING, '15m'],
      ['McpHighToolErrorRatio', Severity.WARNING, '15m'],
      ['McpRateLimitRejections', Severity.WARNING, '10m'],
      ['McpNotReady', Severity.WARNING, '5m'],
      ['McpPostgresDown', Severity.CRITICAL, '2m'],
      ['McpRedisDown', Severity.WARNING, '5m'],
    ]);
  });

  test('compares against the default thresholds', () => {
    const exprs = Object.fromEntries(alertsOf().map((rule) => [rule.alert, rule.expr]));
    expect(exprs).toEqual({
      McpHighErrorRatio: 'mcp:mcp_request_errors:ratio_rate5m{job="mcp-server"} > 0.05',
      McpHighLatency: 'mcp:mcp_request_duration_seconds:p95_rate5m{job="mcp-server"} > 1',
      McpServerDown: 'sum by (job) (up{job="mcp-server"}) == 0 or absent(up{job="mcp-server"})',
      McpHighMemory: 'process_resident_memory_bytes{job="mcp-server"} / 536870912 > 0.9',
      McpHighCpu: 'rate(process_cpu_seconds_total{job="mcp-server"}[5m]) / 1 > 0.9',
      McpHighToolErrorRatio: 'mcp:mcp_tool_execution_server_errors:ratio_rate5m{job="mcp-server"} > 0.1',
      McpRateLimitRejections:
        '(sum by (job, endpoint) (rate(mcp_rate_limit_rejections_total{job="mcp-server"}[5m])) ' +
        'or sum by (job, endpoint) (mcp:mcp_requests:rate5m{job="mcp-server"}) * 0) ' +
        '/ clamp_min(sum by (job, endpoint) (mcp:mcp_requests:rate5m{job="mcp-server"}), 1e-9) > 0.1',
      McpNotReady: 'mcp_ready{job="mcp-server"} == 0',
      McpPostgresDown: 'mcp_postgres_up{job="mcp-server"} == 0',
      McpRedisDown: 'mcp_redis_up{job="mcp-server"} == 0',
    });
  });

  test('uses the thresholds, limits and durations it is given', () => {
    const props: AlertRulesProps = {
      errorRatioThreshold: 0.01,
      errorRatioFor: '5m',
      latencyP95ThresholdSeconds: 0.25,
      memoryLimitBytes: 1024 ** 3,
      memoryUsageThreshold: 0.8,
      cpuLimitCores: 0.5,
      cpuUsageThreshold: 0.75,
      redisDownFor: '1h30m',
    };
    expect(alert('McpHighErrorRatio', props)).toMatchObject({
      expr: expect.stringMatching(/ > 0\.01$/),
      for: '5m',
    });
    expect(alert('McpHighLatency', props).expr).toMatch(/ > 0\.25$/);
    expect(alert('McpHighMemory', props).expr).toMatch(/ \/ 1073741824 > 0\.8$/);
    expect(alert('McpHighMemory', props).annotations.description).toContain(
      'of its 1Gi memory limit (threshold 80%)',
    );
    expect(alert('McpHighCpu', props).expr).toMatch(/ \/ 0\.5 > 0\.75$/);
    expect(alert('McpRedisDown', props).for).toBe('1h30m');
  });

  test('scopes every series of every rule with the selector', () => {
    const selector = { namespace: 'mcp-prod', job: 'mcp-server' };
    for (const group of buildAlertRules({ selector, authFailureRatioThreshold: 0.5 })) {
      for (const rule of group.rules) {
        const names = metricNamesIn(rule.expr);
        expect(names.length).toBeGreaterThan(0);
        for (const name of names) {
          const uses = rule.expr.split(name).length - 1;
          const scoped = rule.expr.split(`${name}{job="mcp-server",namespace="mcp-prod"`).length - 1;
          expect(`${name}: ${scoped}`).toBe(`${name}: ${uses}`);
        }
      }
    }
  });

  test('adds the auth failure alert only when it has a threshold', () => {
    expect(alertsOf().map((rule) => rule.alert)).not.toContain('McpAuthFailures');
    expect(alert('McpAuthFailures', { authFailureRatioThreshold: 0.2 })).toMatchObject({
      labels: { severity: Severity.WARNING },
      for: '10m',
      expr: expect.stringMatching(
        /^\(sum by \(job\) \(rate\(mcp_auth_failures_total\{job="mcp-server"\}\[5m\]\)\).* > 0\.2$/,
      ),
    });
  });

  const probeSelector = { namespace: 'mcp-prod', job: 'prod-probe' };

  test('adds the probe alerts only with a probe selector, after the server alerts, scoped by it', () => {
    expect(alertsOf().map((rule) => rule.alert)).not.toEqual(
      expect.arrayContaining(['McpProbeFailing', 'McpCertificateExpiring']),
    );
    const alerts = alertsOf({ probeSelector, selector: { namespace: 'mcp-prod', job: 'prod-server' } });
    expect(alerts.slice(-3).map((rule) => [rule.alert, rule.labels.severity, rule.for, rule.expr])).toEqual([
      [
        'McpProbeFailing',
        Severity.CRITICAL,
        '2m',
        'max by (job, namespace) (mcp_probe_success{job="prod-probe",namespace="mcp-prod"}) == 0 ' +
          'or absent(mcp_probe_success{job="prod-probe",namespace="mcp-prod"})',
      ],
      [
        'McpCertificateExpiring',
        Severity.WARNING,
        '10m',
        'min by (job, namespace) (mcp_probe_tls_not_after_timestamp_seconds{job="prod-probe",namespace="mcp-prod"}) ' +
          '- time() < 1209600',
      ],
      [
        'McpCertificateExpiringCritical',
        Severity.CRITICAL,
        '10m',
        'min by (job, namespace) (mcp_probe_tls_not_after_timestamp_seconds{job="prod-probe",namespace="mcp-prod"}) ' +
          '- time() < 259200',
      ],
    ]);
  });

  test('uses the probe thresholds and durations it is given', () => {
    const props: AlertRulesProps = {
      probeSelector,
      probeFailingFor: '5m',
      certificateExpiryWarningDays: 21,
      certificateExpiryCriticalDays: 7,
      certificateExpiryFor: '1h',
    };
    expect(alert('McpProbeFailing', props).for).toBe('5m');
    expect(alert('McpCertificateExpiring', props)).toMatchObject({
      expr: expect.stringMatching(/ < 1814400$/),
      for: '1h',
    });
    expect(alert('McpCertificateExpiring', props).annotations.description).toContain('(threshold 21 days)');
    expect(alert('McpCertificateExpiringCritical', props).expr).toMatch(/ < 604800$/);
  });

  test('links each alert to its runbook under the base URL', () => {
    const props = { runbookBaseUrl: 'https://runbooks.example.com/mcp/' };
    expect(alert('McpServerDown', props).annotations.runbook_url).toBe(
      'https://runbooks.example.com/mcp/mcpserverdown',
    );
    expect(alert('McpServerDown').annotations).not.toHaveProperty('runbook_url');
  });

  test('summarizes and describes every alert with templated values', () => {
    for (const rule of alertsOf({ authFailureRatioThreshold: 0.2 })) {
      expect(rule.annotations.summary).not.toBe('');
      expect(rule.annotations.description).toMatch(/\{\{ \$(value|labels)|\{job="mcp-server"\}/);
    }
  });

  test.each<[string, AlertRulesProps, RegExp]>([
    [
      'an empty selector',
      { selector: {} },
      /`selector` must have at least one label \(got \{\}\); scope by target labels/,
    ],
    [
      'a selector label that is not a label name',
      { selector: { 'kube-ns': 'x' } },
      /`selector.kube-ns` must be a Prometheus label name/,
    ],
    [
      'a selector on a label the metrics carry',
      { selector: { endpoint: '/mcp' } },
      /`selector.endpoint` must be a target label, not a label the server sets/,
    ],
    ['an empty selector value', { selector: { job: '' } }, /`selector.job` must not be empty \(got ""\)/],
    [
      'a runbook URL that is not https',
      { runbookBaseUrl: 'http://runbooks.example.com' },
      /`runbookBaseUrl` must be an absolute https URL without query or fragment \(got "http:\/\/runbooks.example.com"\)/,
    ],
    [
      'a relative runbook URL',
      { runbookBaseUrl: 'runbooks/mcp' },
      /`runbookBaseUrl` must be an absolute https URL/,
    ],
    [
      'a runbook URL with a fragment',
      { runbookBaseUrl: 'https://example.com/runbooks#mcp' },
      /`runbookBaseUrl` must be an absolute https URL/,
    ],
    [
      'an error ratio above 1',
      { errorRatioThreshold: 5 },
      /`errorRatioThreshold` must be a ratio greater than 0 and less than 1 \(got 5\); write 5% as 0.05/,
    ],
    [
      'a memory usage of 0',
      { memoryUsageThreshold: 0 },
      /`memoryUsageThreshold` must be a ratio greater than 0 and less than 1 \(got 0\)/,
    ],
    ['a CPU usage above 1', { cpuUsageThreshold: 1.5 }, /`cpuUsageThreshold` must be a ratio/],
    [
      'a negative tool error ratio',
      { toolErrorRatioThreshold: -0.1 },
      /`toolErrorRatioThreshold` must be a ratio/,
    ],
    [
      'a NaN rejection ratio',
      { rateLimitRejectionRatioThreshold: NaN },
      /`rateLimitRejectionRatioThreshold` must be a ratio/,
    ],
    [
      'an auth failure ratio above 1',
      { authFailureRatioThreshold: 2 },
      /`authFailureRatioThreshold` must be a ratio/,
    ],
    [
      'an error ratio of exactly 1, which could never be exceeded',
      { errorRatioThreshold: 1 },
      /`errorRatioThreshold` must be a ratio greater than 0 and less than 1 \(got 1\)/,
    ],
    [
      'a latency of 0 seconds',
      { latencyP95ThresholdSeconds: 0 },
      /`latencyP95ThresholdSeconds` must be at least 0.005 and less than 30 seconds, the latency histogram's finite bucket range \(got 0\); write 250 ms as 0.25/,
    ],
    [
      'a latency at the largest bucket, which no p95 can exceed',
      { latencyP95ThresholdSeconds: 30 },
      /`latencyP95ThresholdSeconds` must be at least 0.005 and less than 30 seconds/,
    ],
    [
      'a memory limit of 0',
      { memoryLimitBytes: 0 },
      /`memoryLimitBytes` must be a number greater than 0 \(got 0\); pass the container memory limit/,
    ],
    ['an infinite CPU limit', { cpuLimitCores: Infinity }, /`cpuLimitCores` must be a number greater than 0/],
    [
      'an error duration without a unit',
      { errorRatioFor: '10' },
      /`errorRatioFor` must be a positive Prometheus duration such as "5m" or "1h30m" \(got "10"\)/,
    ],
    ['a zero latency duration', { latencyFor: '0m' }, /`latencyFor` must be a positive Prometheus duration/],
    ['a server-down duration in words', { serverDownFor: '5 minutes' }, /`serverDownFor` must be a positive/],
    ['a bad memory duration', { memoryFor: '' }, /`memoryFor` must be a positive/],
    ['a bad CPU duration', { cpuFor: '1x' }, /`cpuFor` must be a positive/],
    ['a bad tool error duration', { toolErrorFor: 'm' }, /`toolErrorFor` must be a positive/],
    [
      'a bad rejection duration',
      { rateLimitRejectionFor: '-1m' },
      /`rateLimitRejectionFor` must be a positive/,
    ],
    ['a bad not-ready duration', { notReadyFor: '5M' }, /`notReadyFor` must be a positive/],
    ['a bad Postgres duration', { postgresDownFor: '2 m' }, /`postgresDownFor` must be a positive/],
    ['a bad Redis duration', { redisDownFor: '0s' }, /`redisDownFor` must be a positive/],
    ['a bad auth failure duration', { authFailureFor: '10min' }, /`authFailureFor` must be a positive/],
    [
      'an empty probe selector',
      { probeSelector: {} },
      /`probeSelector` must have at least one label \(got \{\}\)/,
    ],
    [
      'a probe selector on a label the probe sets',
      { probeSelector: { step: 'total' } },
      /`probeSelector.step` must be a target label, not a label the server sets/,
    ],
    [
      'a bad probe duration',
      { probeFailingFor: '2' },
      /`probeFailingFor` must be a positive Prometheus duration/,
    ],
    [
      'a fractional warning threshold in days',
      { certificateExpiryWarningDays: 13.5 },
      /`certificateExpiryWarningDays` must be a whole number from 1 to 365 \(got 13.5\)/,
    ],
    [
      'a critical threshold of 0 days',
      { certificateExpiryCriticalDays: 0 },
      /`certificateExpiryCriticalDays` must be a whole number from 1 to 365 \(got 0\)/,
    ],
    [
      'a critical threshold at the warning one',
      { certificateExpiryWarningDays: 7, certificateExpiryCriticalDays: 7 },
      /`certificateExpiryCriticalDays` must be less than certificateExpiryWarningDays \(7\) \(got 7\); the warning comes first/,
    ],
    [
      'a bad certificate duration',
      { certificateExpiryFor: '1 hour' },
      /`certificateExpiryFor` must be a positive/,
    ],
  ])('rejects %s', (_case, props, message) => {
    expect(() => buildAlertRules(props)).toThrow(message);
  });

  test('reports invalid props as validation errors naming McpAlertRules', () => {
    expect(() => buildAlertRules({ errorRatioThreshold: 5 })).toThrow(ValidationError);
    expect(() => buildAlertRules({ errorRatioThreshold: 5 })).toThrow(/^McpAlertRules: /);
  });
});

describe('toPrometheusRulesYaml', () => {
  const groups = buildAlertRules({ runbookBaseUrl: 'https://runbooks.example.com/mcp' });
  const text = toPrometheusRulesYaml(groups);

  test('writes the groups promtool reads, which parse back to the same rules', () => {
    const parsed = parse(text) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
    expect(parsed.groups.map((g) => g.name)).toEqual([RECORDING_GROUP, ALERT_GROUP]);
    expect(parsed.groups.flatMap((g) => g.rules)).toEqual(groups.flatMap((g) => g.rules));
  });

  test('writes keys in a fixed order and never folds long expressions', () => {
    expect(text.startsWith('groups:\n  - name: mcp-server.recording\n    rules:\n      - record: ')).toBe(
      true,
    );
    expect(text).toContain(
      '      - alert: McpHighErrorRatio\n' +
        '        expr: mcp:mcp_request_errors:ratio_rate5m{job="mcp-server"} > 0.05\n' +
        '        for: 10m\n' +
        '        labels:\n' +
        '          severity: critical\n' +
        '        annotations:\n' +
        '          description: ',
    );
    for (const line of text.split('\n').filter((l) => l.includes('expr:'))) {
      expect(line).toMatch(/^ {8}expr: \S/);
    }
    expect(text).not.toMatch(/[&*]a\d/);
  });

  test('gives the same bytes for the same input', () => {
    expect(
      toPrometheusRulesYaml(buildAlertRules({ runbookBaseUrl: 'https://runbooks.example.com/mcp' })),
    ).toBe(text);
  });
});
