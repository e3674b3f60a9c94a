/**
 * `promtool test rules` cases for the alerts, generated from the same settings as the rules so
 * that they follow every threshold and `for` duration a deployment sets. For each alert there is
 * one case where synthetic series cross the threshold and the alert fires with the labels and
 * annotations Alertmanager will receive, and one where the series stay below it and the alert is
 * silent. The expected annotations come from rendering the rule's own templates here; promtool
 * then checks that Prometheus renders them the same way.
 *
 * A new alert without a scenario below makes `buildRuleTests` throw, so no alert ships untested.
 */
import { stringify } from 'yaml';
import {
  ALERT_GROUP,
  type AlertingRule,
  type AlertRulesProps,
  type AlertSettings,
  buildAlertRules,
  resolveAlertSettings,
  type RuleGroup,
} from './alerts';
import {
  LABEL_VALUES,
  METRICS,
  PROBE_METRICS,
  PROCESS_METRICS,
  PROTOCOL_GENERATIONS,
} from '@mcpenv/contract';
import { renderAnnotation } from './annotations';
import { backupScenarios } from './backup-alerts';
import { durationSeconds, type Selector, tidyNumber } from './promql';
import { buildSloRuleTests, SLOW_EVALUATION_INTERVAL } from './slo-rule-tests';

export { renderAnnotation } from './annotations';

/** Where the rule tests sit, next to the rules they test. */
export const RULES_FILE_NAME = 'rules.yaml';
export const RULE_TESTS_FILE_NAME = 'rules.test.yaml';
/** The cases of the SLO alerts on windows of hours and days, evaluated every five minutes. */
export const SLO_RULE_TESTS_FILE_NAME = 'rules.slo.test.yaml';

/** One synthetic input series, in promtool's expanding notation. */
export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

/** An expected firing alert. */
export interface ExpectedAlert {
  readonly exp_labels: Readonly<Record<string, string>>;
  readonly exp_annotations: Readonly<Record<string, string>>;
}

/** The alerts of one name expected to be firing at one time. */
export interface AlertRuleTest {
  readonly eval_time: string;
  readonly alertname: string;
  readonly exp_alerts: readonly ExpectedAlert[];
}

/** A PromQL expression and the samples it must return at one time. */
export interface ExpressionTest {
  readonly expr: string;
  readonly eval_time: string;
  readonly exp_samples: readonly { readonly labels: string; readonly value: number }[];
}

/** One `promtool test rules` test group. */
export interface RuleTestCase {
  readonly name: string;
  readonly interval: string;
  readonly input_series: readonly InputSeries[];
  readonly alert_rule_test: readonly AlertRuleTest[];
  readonly promql_expr_test?: readonly ExpressionTest[];
}

/** A `promtool test rules` file. */
export interface RuleTestFile {
  readonly rule_files: readonly string[];
  readonly evaluation_interval: string;
  readonly tests: readonly RuleTestCase[];
}

/** The pod the synthetic series come from. */
const INSTANCE = '10.0.0.7:3000';
/** Synthetic counters grow by this much per minute at full rate: one event per second. */
const PER_MINUTE = 60;

/**
 * A synthetic series: a counter growing by `perMinute`, a gauge holding `value`, or a gauge
 * holding the Unix time `secondsAfterEvaluation` past the case's evaluation time (a certificate's
 * expiry: promtool's clock starts at 0).
 */
export type SeriesSpec =
  | { readonly name: string; readonly labels: Record<string, string>; readonly perMinute: number }
  | { readonly name: string; readonly labels: Record<string, string>; readonly value: number }
  | {
      readonly name: string;
      readonly labels: Record<string, string>;
      readonly secondsAfterEvaluation: number;
    };

/** One side of a scenario: the series, and for a firing case the alert's labels and `$value`. */
export interface Situation {
  readonly story: string;
  readonly series: readonly SeriesSpec[];
}

export interface Scenario {
  /**
   * Target labels of the series, where they are not the server's (the probe's job).
   * @default - the settings' `selector`
   */
  readonly selector?: Selector;
  readonly firing: Situation & {
    /** Labels the alert carries besides the selector's and `severity`. */
    readonly labels: Record<string, string>;
    /** The alert expression's value, what `$value` renders. */
    readonly value: number;
  };
  readonly silent: Situation;
}

/**
 * Series where `share` of the events are bad: each bad series grows at `share` of one per
 * second and each good series at the rest.
 */
/** A series before its values are chosen. */
type SeriesName = Pick<SeriesSpec, 'name' | 'labels'>;

function split(share: number, bad: readonly SeriesName[], good: readonly SeriesName[]): SeriesSpec[] {
  return [
    ...bad.map((series) => ({ ...series, perMinute: PER_MINUTE * share })),
    ...good.map((series) => ({ ...series, perMinute: PER_MINUTE * (1 - share) })),
  ];
}

/**
 * The protocol versions the request series come from. Failures come from one version and
 * successes from another, so a rule that kept `protocol_version` instead of summing over it would
 * see 100% and 0% (and label its alerts by version) rather than the share the scenario sets.
 */
const [MODERN_CLIENT] = PROTOCOL_GENERATIONS.modern;
const [LEGACY_CLIENT] = PROTOCOL_GENERATIONS.legacy;
/** What requests rejected before their version was read carry. */
const [UNREAD_VERSION] = LABEL_VALUES.protocolVersionFallback;

const requests = (status: string, protocol_version: string) => ({
  name: METRICS.requestsTotal.name,
  labels: { method: 'tools/call', status, endpoint: '/mcp', protocol_version },
});

/**
 * The latency scenario's series: every request lands in one histogram bucket, so the p95 is
 * that bucket's lower bound plus 95% of its width (Prometheus interpolates linearly). Half the
 * requests come from clients of each protocol generation.
 */
function latencySeries(bucketIndex: number): SeriesSpec[] {
  const bounds = METRICS.requestDurationSeconds.buckets;
  return [MODERN_CLIENT, LEGACY_CLIENT].flatMap((protocol_version) =>
    [...bounds.map(String), '+Inf'].map((le, index) => ({
      name: `${METRICS.requestDurationSeconds.name}_bucket`,
      labels: { method: 'tools/call', endpoint: '/mcp', protocol_version, le },
      perMinute: index >= bucketIndex ? PER_MINUTE / 2 : 0,
    })),
  );
}

function latencyScenario(threshold: number): Scenario {
  const bounds = METRICS.requestDurationSeconds.buckets;
  const p95 = (index: number): number => {
    const lower = index === 0 ? 0 : (bounds[index - 1] ?? 0);
    // A quantile in the +Inf bucket reads as the largest finite bound.
    if (index === bounds.length) return lower;
    return lower + ((bounds[index] ?? 0) - lower) * 0.95;
  };
  const indexes = [...bounds.keys(), bounds.length];
  const above = indexes.find((index) => p95(index) > threshold);
  const below = [...indexes]
    .reverse()
    .find((index) => index < bounds.length && (bounds[index] ?? 0) <= threshold);
  if (above === undefined || below === undefined) {
    throw new Error(`no latency bucket layout puts the p95 on both sides of ${threshold}s`);
  }
  return {
    firing: {
      story: `every request takes ${p95(above)}s at the 95th percentile`,
      series: latencySeries(above),
      labels: { endpoint: '/mcp' },
      value: p95(above),
    },
    silent: {
      story: `every request finishes within ${bounds[below]}s`,
      series: latencySeries(below),
    },
  };
}

/**
 * The share of events (or of a limit) a firing case uses: half again the threshold, or halfway
 * to 1 when that would pass 1. With the silent case at half the threshold, the two cases
 * bracket the threshold closely, so a threshold edited in `rules.yaml` fails one of them.
 */
export function firingShare(threshold: number): number {
  return threshold * 1.5 < 1 ? threshold * 1.5 : (1 + threshold) / 2;
}

const percentText = (share: number): string => `${+(share * 100).toFixed(4)}%`;

/** A ratio alert. `what` completes "7.5% of ...", e.g. "requests fail with 500". */
function ratioScenario(
  what: string,
  threshold: number,
  labels: Record<string, string>,
  bad: readonly SeriesName[],
  good: readonly SeriesName[],
): Scenario {
  const share = firingShare(threshold);
  return {
    firing: {
      story: `${percentText(share)} of ${what}`,
      series: split(share, bad, good),
      labels,
      value: share,
    },
    silent: { story: `${percentText(threshold / 2)} of ${what}`, series: split(threshold / 2, bad, good) },
  };
}

/**
 * The tool alert counts the server's faults only. Both cases carry, besides the calls the share
 * is of, as many calls again refused for the caller's fault (`client_error`): a rule that counted
 * those as failures fires in the silent case, and one that counted them as calls stays silent in
 * the firing case, since the share it sees is halved.
 */
function toolFaultScenario(threshold: number): Scenario {
  const tool_name = 'search_memories';
  const calls = (status: string) => ({
    name: METRICS.toolExecutionsTotal.name,
    labels: { tool_name, status },
  });
  const scenario = ratioScenario(
    `calls to ${tool_name} fail on the server, while as many calls again are refused for bad input`,
    threshold,
    { tool_name },
    [calls('server_error')],
    [calls('success')],
  );
  const refused: SeriesSpec = { ...calls('client_error'), perMinute: PER_MINUTE };
  return {
    firing: { ...scenario.firing, series: [...scenario.firing.series, refused] },
    silent: { ...scenario.silent, series: [...scenario.silent.series, refused] },
  };
}

/** A usage alert on a gauge or a counter's rate, against a limit. */
function usageScenario(
  what: string,
  threshold: number,
  series: (share: number) => SeriesSpec,
  /** The share the series really gives, where rounding moves it. */
  actual: (share: number) => number = (share) => share,
): Scenario {
  const share = firingShare(threshold);
  return {
    firing: {
      story: `${what} is at ${percentText(actual(share))} of its limit`,
      series: [series(share)],
      labels: { instance: INSTANCE },
      value: actual(share),
    },
    silent: {
      story: `${what} is at ${percentText(threshold / 2)} of its limit`,
      series: [series(threshold / 2)],
    },
  };
}

/** A 0-or-1 health gauge: 0 fires, 1 is silent. */
function healthScenario(name: string, what: string, labels: Record<string, string>): Scenario {
  return {
    firing: { story: `${what} reports 0`, series: [{ name, labels: {}, value: 0 }], labels, value: 0 },
    silent: { story: `${what} reports 1`, series: [{ name, labels: {}, value: 1 }] },
  };
}

const DAY_SECONDS = 86_400;

/**
 * A certificate-expiry alert: the certificate expires half a day before the threshold (fires) or
 * half a day after it (silent). The margin is far wider than the case's run, in which the time
 * left shrinks by minutes, and a threshold moved by more than that half day fails one case.
 */
function expiryScenario(days: number, selector: Selector | undefined): Scenario {
  const certificate = (daysLeft: number): SeriesSpec => ({
    name: PROBE_METRICS.probeTlsNotAfterTimestampSeconds.name,
    labels: {},
    secondsAfterEvaluation: daysLeft * DAY_SECONDS,
  });
  return {
    ...(selector !== undefined ? { selector } : {}),
    firing: {
      story: `the certificate expires in ${days - 0.5} days`,
      series: [certificate(days - 0.5)],
      labels: {},
      value: (days - 0.5) * DAY_SECONDS,
    },
    silent: { story: `the certificate expires in ${days + 0.5} days`, series: [certificate(days + 0.5)] },
  };
}

function scenarios(settings: AlertSettings): Record<string, Scenario> {
  const instance = { instance: INSTANCE };
  const probe = settings.probeSelector;
  return {
    McpHighErrorRatio: ratioScenario(
      `requests fail with 500 (all from ${MODERN_CLIENT} clients)`,
      settings.errorRatioThreshold,
      { endpoint: '/mcp' },
      [requests('500', MODERN_CLIENT)],
      [requests('200', LEGACY_CLIENT)],
    ),
    McpHighLatency: latencyScenario(settings.latencyP95ThresholdSeconds),
    McpServerDown: healthScenario('up', 'the scrape of the only target', {}),
    McpHighMemory: usageScenario(
      'resident memory',
      settings.memoryUsageThreshold,
      (share) => ({
        name: PROCESS_METRICS.residentMemoryBytes.name,
        labels: {},
        value: Math.round(settings.memoryLimitBytes * share),
      }),
      // Whole bytes.
      (share) => Math.round(settings.memoryLimitBytes * share) / settings.memoryLimitBytes,
    ),
    McpHighCpu: usageScenario('CPU use', settings.cpuUsageThreshold, (share) => ({
      name: PROCESS_METRICS.cpuSecondsTotal.name,
      labels: {},
      perMinute: 60 * settings.cpuLimitCores * share,
    })),
    McpHighToolErrorRatio: toolFaultScenario(settings.toolErrorRatioThreshold),
    McpRateLimitRejections: ratioScenario(
      'requests are rejected with 429',
      settings.rateLimitRejectionRatioThreshold,
      { endpoint: '/mcp' },
      [
        requests('429', MODERN_CLIENT),
        { name: METRICS.rateLimitRejectionsTotal.name, labels: { endpoint: '/mcp' } },
      ],
      [requests('200', LEGACY_CLIENT)],
    ),
    McpNotReady: healthScenario(METRICS.ready.name, 'the readiness gauge', instance),
    McpPostgresDown: healthScenario(METRICS.postgresUp.name, 'the Postgres health check', instance),
    McpRedisDown: healthScenario(METRICS.redisUp.name, 'the Redis health check', instance),
    McpAuthFailures: ratioScenario(
      'requests are rejected by authentication',
      settings.authFailureRatioThreshold ?? 0,
      {},
      [
        requests('401', UNREAD_VERSION),
        { name: METRICS.authFailuresTotal.name, labels: { reason: 'unknown_key' } },
      ],
      [requests('200', MODERN_CLIENT)],
    ),
    McpProbeFailing: {
      ...healthScenario(PROBE_METRICS.probeSuccess.name, 'every probe run', {}),
      ...(probe !== undefined ? { selector: probe } : {}),
    },
    McpCertificateExpiring: expiryScenario(settings.certificateExpiryWarningDays, probe),
    McpCertificateExpiringCritical: expiryScenario(settings.certificateExpiryCriticalDays, probe),
    ...(settings.backupCronJob !== undefined ? backupScenarios(settings.backupCronJob) : {}),
  };
}

function seriesText(spec: SeriesSpec, selector: Readonly<Record<string, string>>): string {
  const labels: Record<string, string> = { ...selector, instance: INSTANCE, ...spec.labels };
  const body = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`)
    .join(',');
  return `${spec.name}{${body}}`;
}

/** Expanding notation for `samples` one-minute samples after the first, evaluated at `evalSeconds`. */
function seriesValues(spec: SeriesSpec, samples: number, evalSeconds: number): string {
  if ('perMinute' in spec) return `0+${tidyNumber(spec.perMinute)}x${samples}`;
  const value = 'value' in spec ? spec.value : evalSeconds + spec.secondsAfterEvaluation;
  return `${tidyNumber(value)}x${samples}`;
}

/** The comparison that holds exactly when each alert comparison does not. */
const NEGATED = { '>': '<=', '<': '>=', '==': '!=' } as const;

/**
 * Splits `value > 0.05`, `value < 259200` or `value == 0` into the value and the comparison, so
 * the silent case can show the value is there and on the quiet side of the threshold rather than
 * missing.
 */
function splitCondition(expr: string): { value: string; negated: string } | undefined {
  const match = /^(.*) (>|<|==) (-?[0-9.]+(?:e[-+]?[0-9]+)?)$/.exec(expr);
  if (!match) return undefined;
  const [, value = '', operator = '==', threshold] = match;
  return { value, negated: `${NEGATED[operator as keyof typeof NEGATED]} ${threshold}` };
}

function sorted(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function minutes(count: number): string {
  return `${count}m`;
}

function casesFor(rule: AlertingRule, scenario: Scenario, settings: AlertSettings): RuleTestCase[] {
  const forMinutes = Math.max(1, Math.ceil(durationSeconds(rule.for) / 60));
  // Rates need two samples and the 5m windows need filling; six minutes past `for` leaves room.
  const evalMinutes = forMinutes + 6;
  const samples = evalMinutes + 2;
  const selector = scenario.selector ?? settings.selector;
  const input = (situation: Situation): InputSeries[] =>
    situation.series.map((spec) => ({
      series: seriesText(spec, selector),
      values: seriesValues(spec, samples, evalMinutes * 60),
    }));

  const expectedLabels = { ...selector, ...scenario.firing.labels };
  const annotations: Record<string, string> = {};
  for (const key of Object.keys(rule.annotations).sort()) {
    const template = rule.annotations[key as keyof AlertingRule['annotations']];
    if (template !== undefined)
      annotations[key] = renderAnnotation(template, expectedLabels, scenario.firing.value);
  }
  const fired: AlertRuleTest = {
    eval_time: minutes(evalMinutes),
    alertname: rule.alert,
    exp_alerts: [{ exp_labels: sorted({ ...expectedLabels, ...rule.labels }), exp_annotations: annotations }],
  };
  const notYet: AlertRuleTest[] =
    forMinutes > 1 ? [{ eval_time: minutes(forMinutes - 1), alertname: rule.alert, exp_alerts: [] }] : [];
  const condition = splitCondition(rule.expr);

  return [
    {
      name: `${rule.alert} fires when ${scenario.firing.story} for ${rule.for}`,
      interval: '1m',
      input_series: input(scenario.firing),
      alert_rule_test: [...notYet, fired],
    },
    {
      name: `${rule.alert} stays silent when ${scenario.silent.story}`,
      interval: '1m',
      input_series: input(scenario.silent),
      alert_rule_test: [{ eval_time: minutes(evalMinutes), alertname: rule.alert, exp_alerts: [] }],
      ...(condition
        ? {
            promql_expr_test: [
              {
                expr: `count(${condition.value} ${condition.negated})`,
                eval_time: minutes(evalMinutes),
                exp_samples: [{ labels: '{}', value: 1 }],
              },
            ],
          }
        : {}),
    },
  ];
}

/**
 * The rule tests for the alerts `props` describe: a firing and a silent case for every alert, in
 * the order of the alert group. `groups` defaults to `buildAlertRules(props)`.
 */
export function buildRuleTests(
  props: AlertRulesProps = {},
  groups: readonly RuleGroup[] = buildAlertRules(props),
): RuleTestFile {
  const settings = resolveAlertSettings(props);
  const byAlert = scenarios(settings);
  const alerts = groups
    .find((group) => group.name === ALERT_GROUP)
    ?.rules.filter((rule): rule is AlertingRule => 'alert' in rule);
  if (!alerts || alerts.length === 0)
    throw new Error(`the rule groups have no ${ALERT_GROUP} group with alerts`);
  return {
    rule_files: [RULES_FILE_NAME],
    evaluation_interval: '1m',
    tests: [
      ...alerts.flatMap((rule) => {
        const scenario = byAlert[rule.alert];
        if (!scenario) throw new Error(`the alert ${rule.alert} has no rule-test scenario in rule-tests.ts`);
        return casesFor(rule, scenario, settings);
      }),
      ...buildSloRuleTests(settings.slo, settings.selector, groups, 'fast'),
    ],
  };
}

/**
 * The cases evaluated every five minutes, for `SLO_RULE_TESTS_FILE_NAME`: those of the SLO
 * alerts on windows of hours and days. None without such alerts.
 */
export function buildSloRuleTestFile(
  props: AlertRulesProps = {},
  groups: readonly RuleGroup[] = buildAlertRules(props),
): RuleTestFile | undefined {
  const settings = resolveAlertSettings(props);
  const tests = buildSloRuleTests(settings.slo, settings.selector, groups, 'slow');
  if (tests.length === 0) return undefined;
  return { rule_files: [RULES_FILE_NAME], evaluation_interval: SLOW_EVALUATION_INTERVAL, tests };
}

/** The rule tests as the YAML file promtool reads, with keys in a fixed order. */
export function toRuleTestsYaml(file: RuleTestFile): string {
  return stringify(file, { lineWidth: 0, aliasDuplicateObjects: false });
}
