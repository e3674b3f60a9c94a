import { Chart, Testing } from 'cdk8s';
import { SLO_WINDOWS } from '@mcpenv/contract';
import { McpAlertRules } from '../../../constructs/k8s/monitoring';
import type { RecordingRule } from '../../../constructs/monitoring/recording-rules';
import {
  type AlertingRule,
  buildAlertRules,
  type RuleGroup,
  toPrometheusRulesYaml,
} from '../../../constructs/monitoring/alerts';
import {
  buildRuleTests,
  buildSloRuleTestFile,
  type RuleTestCase,
} from '../../../constructs/monitoring/rule-tests';
import {
  BURN_RATE_WINDOWS,
  LATENCY_THRESHOLDS,
  LOWEST_OBJECTIVE_PERCENT,
  resolveSlo,
  type SloProps,
} from '../../../constructs/monitoring/slo';
import { windowRatio } from '../../../constructs/monitoring/slo-rule-tests';
import {
  bucketBound,
  SLO_ALERT_GROUP,
  SLO_BUDGET_GROUP,
  SLO_RECORDING_GROUP,
} from '../../../constructs/monitoring/slo-rules';

const SELECTOR = { namespace: 'mcp-prod', job: 'mcp-prod-server' };
const SLO: SloProps = {
  availability: { objective: 99.9 },
  latency: { objective: 99, thresholdSeconds: 0.5 },
};

const group = (groups: readonly RuleGroup[], name: string): RuleGroup => {
  const found = groups.find((g) => g.name === name);
  if (!found) throw new Error(`no group ${name}`);
  return found;
};
const alertsOf = (g: RuleGroup) => g.rules.filter((r): r is AlertingRule => 'alert' in r);
const recordsOf = (g: RuleGroup) => g.rules.filter((r): r is RecordingRule => 'record' in r);

describe('resolveSlo', () => {
  test('returns availability then latency, with the error budget as a share', () => {
    expect(resolveSlo('X', { latency: SLO.latency, availability: SLO.availability } as SloProps)).toEqual([
      { indicator: 'availability', objectivePercent: 99.9, errorBudget: 0.001 },
      { indicator: 'latency', objectivePercent: 99, errorBudget: 0.01, thresholdSeconds: 0.5 },
    ]);
    expect(resolveSlo('X', undefined)).toEqual([]);
    expect(resolveSlo('X', { availability: { objective: 99.95 } })[0]?.errorBudget).toBe(0.0005);
  });

  test.each([
    [{ availability: { objective: 100 } }, 'slo.availability.objective', 'must be less than 100'],
    [{ availability: { objective: 0 } }, 'slo.availability.objective', 'must be at least 93.06'],
    [{ availability: { objective: 0.999 } }, 'slo.availability.objective', 'write the objective in percent'],
    [
      { availability: { objective: 93 } },
      'slo.availability.objective',
      'the fast-burn page could never fire',
    ],
    [{ availability: { objective: Number.NaN } }, 'slo.availability.objective', 'be a percentage'],
    [
      { latency: { objective: 99, thresholdSeconds: 0.3 } },
      'slo.latency.thresholdSeconds',
      'use 0.25, the nearest bound, or add the bucket to the catalogue',
    ],
    [{ latency: { objective: 99 } }, 'slo.latency.thresholdSeconds', 'must be one of the bucket bounds'],
    [{ latency: { objective: 101, thresholdSeconds: 1 } }, 'slo.latency.objective', 'must be less than 100'],
    [{ throughput: { objective: 99 } }, 'slo.throughput', 'must not be set'],
  ])('rejects %j, naming %s', (slo, prop, message) => {
    expect(() => resolveSlo('McpAlertRules', slo as SloProps)).toThrow(`\`${prop}\``);
    expect(() => resolveSlo('McpAlertRules', slo as SloProps)).toThrow(message);
  });

  test('accepts every bucket bound as a latency threshold, and the lowest objective just above its floor', () => {
    for (const thresholdSeconds of LATENCY_THRESHOLDS) {
      expect(resolveSlo('X', { latency: { objective: 99, thresholdSeconds } })).toHaveLength(1);
    }
    expect(LOWEST_OBJECTIVE_PERCENT).toBeCloseTo(93.0556, 3);
    expect(resolveSlo('X', { availability: { objective: 93.06 } })).toHaveLength(1);
  });
});

describe('the SLO rule groups', () => {
  const groups = buildAlertRules({ selector: SELECTOR, slo: SLO, runbookBaseUrl: 'https://rb.example.com' });

  test('come after the existing groups, and not at all without objectives', () => {
    expect(groups.map((g) => g.name)).toEqual([
      'mcp-server.recording',
      'mcp-server.alerts',
      SLO_RECORDING_GROUP,
      SLO_BUDGET_GROUP,
      SLO_ALERT_GROUP,
    ]);
    expect(buildAlertRules({ selector: SELECTOR }).map((g) => g.name)).toEqual([
      'mcp-server.recording',
      'mcp-server.alerts',
    ]);
    expect(toPrometheusRulesYaml(buildAlertRules({ selector: SELECTOR, slo: {} }))).toBe(
      toPrometheusRulesYaml(buildAlertRules({ selector: SELECTOR })),
    );
  });

  test('record each error ratio over every window, from the raw counters', () => {
    const records = recordsOf(group(groups, SLO_RECORDING_GROUP));
    expect(records.map((r) => r.record)).toEqual([
      ...SLO_WINDOWS.map((w) => `mcp:slo_availability_errors:ratio_rate${w}`),
      ...SLO_WINDOWS.map((w) => `mcp:slo_latency_errors:ratio_rate${w}`),
    ]);
    expect(records[2]?.expr).toBe(
      '(sum by (job, namespace) (rate(mcp_requests_total{job="mcp-prod-server",namespace="mcp-prod",status=~"5.."}[1h])) ' +
        'or sum by (job, namespace) (rate(mcp_requests_total{job="mcp-prod-server",namespace="mcp-prod"}[1h])) * 0) ' +
        '/ clamp_min(sum by (job, namespace) (rate(mcp_requests_total{job="mcp-prod-server",namespace="mcp-prod"}[1h])), 1e-9)',
    );
    const latency = records.find((r) => r.record === 'mcp:slo_latency_errors:ratio_rate5m')?.expr ?? '';
    expect(latency).toContain('le="+Inf"}[5m]');
    expect(latency).toContain('le=~"0\\\\.5"}[5m]');
  });

  test('record the 30-day ratio and the budget left in a group evaluated every 5 minutes', () => {
    const budget = group(groups, SLO_BUDGET_GROUP);
    expect(budget.interval).toBe('5m');
    expect(recordsOf(budget)).toEqual([
      expect.objectContaining({ record: 'mcp:slo_availability_errors:ratio_rate30d' }),
      {
        record: 'mcp:slo_availability_error_budget:remaining30d',
        expr: '1 - mcp:slo_availability_errors:ratio_rate30d{job="mcp-prod-server",namespace="mcp-prod"} / 0.001',
      },
      expect.objectContaining({ record: 'mcp:slo_latency_errors:ratio_rate30d' }),
      {
        record: 'mcp:slo_latency_error_budget:remaining30d',
        expr: '1 - mcp:slo_latency_errors:ratio_rate30d{job="mcp-prod-server",namespace="mcp-prod"} / 0.01',
      },
    ]);
    expect(toPrometheusRulesYaml(groups)).toContain(
      `- name: ${SLO_BUDGET_GROUP}\n    interval: 5m\n    rules:`,
    );
  });

  test('alert on both windows of each pair over the factor: pages critical, tickets warning', () => {
    const alerts = alertsOf(group(groups, SLO_ALERT_GROUP));
    expect(
      alerts.map((a) => [a.alert, a.for, a.labels.severity, a.labels.long_window, a.labels.short_window]),
    ).toEqual([
      ['McpAvailabilityBurnRate1h', '2m', 'critical', '1h', '5m'],
      ['McpAvailabilityBurnRate6h', '15m', 'critical', '6h', '30m'],
      ['McpAvailabilityBurnRate1d', '1h', 'warning', '1d', '2h'],
      ['McpAvailabilityBurnRate3d', '3h', 'warning', '3d', '6h'],
      ['McpLatencyBurnRate1h', '2m', 'critical', '1h', '5m'],
      ['McpLatencyBurnRate6h', '15m', 'critical', '6h', '30m'],
      ['McpLatencyBurnRate1d', '1h', 'warning', '1d', '2h'],
      ['McpLatencyBurnRate3d', '3h', 'warning', '3d', '6h'],
    ]);
    const scope = '{job="mcp-prod-server",namespace="mcp-prod"}';
    expect(alerts[0]?.expr).toBe(
      `mcp:slo_availability_errors:ratio_rate1h${scope} / 0.001 > 14.4 and ` +
        `mcp:slo_availability_errors:ratio_rate5m${scope} / 0.001 > 14.4`,
    );
    expect(alerts[7]?.expr).toBe(
      `mcp:slo_latency_errors:ratio_rate3d${scope} / 0.01 > 1 and mcp:slo_latency_errors:ratio_rate6h${scope} / 0.01 > 1`,
    );
    expect(BURN_RATE_WINDOWS.map((p) => p.factor)).toEqual([14.4, 6, 3, 1]);
  });

  test('annotations name the objective, the burn rate, the windows and the budget left, with a runbook', () => {
    const [fast] = alertsOf(group(groups, SLO_ALERT_GROUP));
    expect(fast?.annotations.summary).toBe(
      'The MCP server is burning its availability error budget fast (page)',
    );
    expect(fast?.annotations.runbook_url).toBe('https://rb.example.com/mcpavailabilityburnrate1h');
    const description = fast?.annotations.description ?? '';
    expect(description).toContain('99.9% availability objective {{ $value | humanize }} times as fast');
    expect(description).toContain('over the last 1h and still over the last 5m (threshold 14.4x)');
    expect(description).toContain('2% of the budget goes in 1h, and all of it in 2d 2h');
    expect(description).toContain(
      'Error budget left over 30 days: {{ with query `mcp:slo_availability_error_budget:remaining30d' +
        '{job="mcp-prod-server",namespace="mcp-prod"}` }}{{ . | first | value | humanizePercentage }}{{ else }}unknown{{ end }}.',
    );
    const latency = alertsOf(group(groups, SLO_ALERT_GROUP)).find((a) => a.alert === 'McpLatencyBurnRate3d');
    expect(latency?.annotations.description).toContain(
      'requests slower than 0.5s spend the error budget of the 99% latency objective (requests within 0.5s)',
    );
  });

  test('the PrometheusRule carries the budget group interval', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'mcp-prod' });
    new McpAlertRules(chart, 'Rules', { name: 'mcp-prod-server', slo: SLO });
    const [rule] = Testing.synth(chart) as { spec: { groups: { name: string; interval?: string }[] } }[];
    expect(rule?.spec.groups.map((g) => [g.name, g.interval])).toEqual([
      ['mcp-server.recording', undefined],
      ['mcp-server.alerts', undefined],
      [SLO_RECORDING_GROUP, undefined],
      [SLO_BUDGET_GROUP, '5m'],
      [SLO_ALERT_GROUP, undefined],
    ]);
  });

  test('match a latency bound whichever way Prometheus stores it', () => {
    expect(bucketBound(1).toString()).toBe('=~"1(\\\\.0)?"');
    expect(bucketBound(30).toString()).toBe('=~"30(\\\\.0)?"');
    expect(bucketBound(0.025).toString()).toBe('=~"0\\\\.025"');
  });
});

describe('the generated SLO rule tests', () => {
  const props = { selector: SELECTOR, slo: SLO };
  const file = buildRuleTests(props);
  const slow = buildSloRuleTestFile(props);
  const casesOf = (alert: string): RuleTestCase[] =>
    [...file.tests, ...(slow?.tests ?? [])].filter((t) =>
      t.alert_rule_test.every((a) => a.alertname === alert),
    );

  test('the 1h/5m pages sit in the main file (every minute), the other pairs in their own (every 5 minutes)', () => {
    const alertsIn = (tests: readonly RuleTestCase[]) => [
      ...new Set(
        tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)).filter((a) => /BurnRate/.test(a)),
      ),
    ];
    expect(file.evaluation_interval).toBe('1m');
    expect(alertsIn(file.tests)).toEqual(['McpAvailabilityBurnRate1h', 'McpLatencyBurnRate1h']);
    expect(slow?.evaluation_interval).toBe('5m');
    expect(slow?.rule_files).toEqual(['rules.yaml']);
    expect(alertsIn(slow?.tests ?? [])).toEqual([
      'McpAvailabilityBurnRate6h',
      'McpAvailabilityBurnRate1d',
      'McpAvailabilityBurnRate3d',
      'McpLatencyBurnRate6h',
      'McpLatencyBurnRate1d',
      'McpLatencyBurnRate3d',
    ]);
    // Every eval time and input sample of the slow cases lines up with the 5-minute evaluations.
    for (const test of slow?.tests ?? []) {
      expect(test.interval).toBe('5m');
      for (const check of [...test.alert_rule_test, ...(test.promql_expr_test ?? [])]) {
        expect(Number(check.eval_time.replace(/m$/, '')) % 5).toBe(0);
      }
    }
    expect(buildSloRuleTestFile({ selector: SELECTOR })).toBeUndefined();
  });

  test('hold one firing and two silent cases (short window only, long window only) per SLO alert', () => {
    for (const alert of alertsOf(group(buildAlertRules(props), SLO_ALERT_GROUP))) {
      const cases = casesOf(alert.alert);
      expect(cases.map((c) => c.name.replace(/ when .*/, ''))).toEqual([
        `${alert.alert} fires`,
        `${alert.alert} stays silent`,
        `${alert.alert} stays silent`,
      ]);
      expect(cases[1]?.name).toContain('only the short window burns over');
      expect(cases[2]?.name).toContain('only the long window burns over');
    }
  });

  test('the firing case expects the alert only after its `for`, with the budget left rendered', () => {
    const [firing] = casesOf('McpAvailabilityBurnRate1h');
    expect(firing?.name).toBe(
      'McpAvailabilityBurnRate1h fires when 1.512% of requests fail with 500 (15.12x the budget, both windows over 14.4x) for 2m',
    );
    expect(firing?.alert_rule_test.map((t) => [t.eval_time, t.exp_alerts.length])).toEqual([
      ['2m', 0],
      ['12m', 1],
    ]);
    const [expected] = firing?.alert_rule_test[1]?.exp_alerts ?? [];
    expect(expected?.exp_labels).toEqual({
      job: 'mcp-prod-server',
      long_window: '1h',
      namespace: 'mcp-prod',
      severity: 'critical',
      short_window: '5m',
      slo: 'availability',
    });
    expect(expected?.exp_annotations.description).toContain('objective 15.12 times as fast');
    expect(expected?.exp_annotations.description).toContain('Error budget left over 30 days: -1412%.');
  });

  test('each silent case checks with PromQL that its windows sit on the sides it claims', () => {
    const [, shortOnly, longOnly] = casesOf('McpLatencyBurnRate6h');
    const scope = '{job="mcp-prod-server",namespace="mcp-prod"}';
    expect(shortOnly?.promql_expr_test?.map((t) => t.expr)).toEqual([
      `count(mcp:slo_latency_errors:ratio_rate30m${scope} / 0.01 > 6)`,
      `count(mcp:slo_latency_errors:ratio_rate6h${scope} / 0.01 <= 6)`,
    ]);
    expect(longOnly?.promql_expr_test?.map((t) => t.expr)).toEqual([
      `count(mcp:slo_latency_errors:ratio_rate6h${scope} / 0.01 > 6)`,
      `count(mcp:slo_latency_errors:ratio_rate30m${scope} / 0.01 <= 6)`,
    ]);
  });

  test('the latency cases put fast requests in the threshold bucket and slow ones above it', () => {
    const [firing] = casesOf('McpLatencyBurnRate1h');
    const buckets = (firing?.input_series ?? []).map((s) => [/le="([^"]+)"/.exec(s.series)?.[1], s.values]);
    expect(buckets.find(([le]) => le === '0.25')?.[1]).toBe('1000000+0x14');
    expect(buckets.find(([le]) => le === '0.5')?.[1]).toBe('1000000+50.928x14');
    expect(buckets.find(([le]) => le === '1')?.[1]).toBe('1000000+60x14');
    expect(buckets.find(([le]) => le === '+Inf')?.[1]).toBe('1000000+60x14');
  });

  test('are the same on every build', () => {
    expect(JSON.stringify(buildRuleTests(props))).toBe(JSON.stringify(file));
  });

  test.each([
    [[1, 1, 0, 0, 0], 5, 3, true, 0],
    [[1, 1, 0, 0, 0], 5, 4, true, 0.25],
    [[1, 1, 0, 0, 0], 5, 4, false, 0],
    [[1, 1, 0, 0, 0], 5, 10, false, 0.4],
  ])(
    'windowRatio(%j, at %p, %p steps, left edge included %p) is %p',
    (shares, at, window, leftClosed, expected) => {
      expect(windowRatio(shares, at, window, leftClosed)).toBeCloseTo(expected);
    },
  );
});
