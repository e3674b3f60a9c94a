/**
 * Alerting rules for the MCP server, as plain data: the PrometheusRule construct, the CLI's
 * `rules.yaml` and promtool all read the same groups.
 *
 * Severity: `critical` when users are failing right now (5xx errors, every pod down, Postgres
 * unreachable: storage is the product); `warning` for what degrades service or predicts an
 * outage but leaves requests answered (latency, memory and CPU near their limits, tools failing
 * on the server, rate-limit rejections, a pod not ready, Redis down, auth failures). Tool calls
 * refused for the caller's fault (bad arguments, unknown ids) never page.
 *
 * With a synthetic probe (`probeSelector`), three alerts watch the environment from where its
 * users stand: the probe failing pages, and so does a certificate days from expiry; one expiring
 * within weeks is a warning.
 */
import { stringify } from 'yaml';
import { invalidProp } from '../errors';
import { METRICS, RECORDING_WINDOW } from '@mcpenv/contract';
import { componentName, DEFAULT_INSTANCE } from '../k8s/names';
import {
  check,
  fraction,
  httpsBaseUrl,
  prometheusDuration,
  type Validator,
  wholeNumber,
} from '../validators';
import {
  absent,
  assertKnownMetrics,
  checkSelector,
  max,
  metric,
  min,
  rate,
  ratio,
  recorded,
  type Selector,
  sum,
} from './promql';
import { backupAlerts, type BackupCronJobTarget, checkBackupCronJob } from './backup-alerts';
import { buildRecordingRules, type RecordingRule } from './recording-rules';
import { resolveSlo, type ResolvedObjective, type SloProps } from './slo';
import { buildSloRuleGroups } from './slo-rules';

/** How urgently an alert needs a human; routed by Alertmanager on the `severity` label. */
export enum Severity {
  /** Page: users are affected now. */
  CRITICAL = 'critical',
  /** Ticket or chat: degraded, or an outage is coming. */
  WARNING = 'warning',
}

/** A Prometheus alerting rule. */
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  /** `severity`, and for SLO alerts the indicator and windows (`slo`, `long_window`, `short_window`). */
  readonly labels: { readonly severity: Severity; readonly [label: string]: string };
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    readonly runbook_url?: string;
  };
}

/** A recording or alerting rule. */
export type Rule = RecordingRule | AlertingRule;

/** A Prometheus rule group: rules evaluated together, in order. */
export interface RuleGroup {
  readonly name: string;
  /**
   * How often Prometheus evaluates the group.
   * @default - Prometheus's global `evaluation_interval`
   */
  readonly interval?: string;
  readonly rules: readonly Rule[];
}

/**
 * Scrape job label of the default instance's server Service (`mcp-server`) when the Prometheus
 * Operator scrapes it. `McpAlertRules` and `McpMonitoring` scope by their own server's Service
 * (`<instance>-server`) and namespace instead, so two environments' rules never mix.
 */
export const DEFAULT_SELECTOR: Selector = { job: componentName(DEFAULT_INSTANCE, 'server') };
/** Name of the group holding the recording rules. */
export const RECORDING_GROUP = 'mcp-server.recording';
/** Name of the group holding the alerts. */
export const ALERT_GROUP = 'mcp-server.alerts';

export interface AlertRulesProps {
  /**
   * Target labels that scope every expression to this deployment of the server.
   * @default { job: 'mcp-server' }
   */
  readonly selector?: Selector;
  /**
   * Base of each alert's `runbook_url` annotation, an absolute https URL; the alert's name in
   * lower case is appended as the last path segment.
   * @default - alerts carry no `runbook_url` annotation
   */
  readonly runbookBaseUrl?: string;
  /**
   * Share of requests answered with a 5xx status above which `McpHighErrorRatio` fires.
   * @default 0.05
   */
  readonly errorRatioThreshold?: number;
  /**
   * How long the error ratio must stay high before `McpHighErrorRatio` fires.
   * @default '10m'
   */
  readonly errorRatioFor?: string;
  /**
   * 95th percentile request duration, in seconds, above which `McpHighLatency` fires; at least
   * 0.005 and below 30, the latency histogram's finite bucket range.
   * @default 1
   */
  readonly latencyP95ThresholdSeconds?: number;
  /**
   * How long the p95 latency must stay high before `McpHighLatency` fires.
   * @default '10m'
   */
  readonly latencyFor?: string;
  /**
   * How long no target may be up (or none discovered) before `McpServerDown` fires.
   * @default '5m'
   */
  readonly serverDownFor?: string;
  /**
   * The server container's memory limit in bytes, the base of `McpHighMemory`; the default is
   * 512Mi, the workload's default limit.
   * @default 536870912
   */
  readonly memoryLimitBytes?: number;
  /**
   * Share of the memory limit a pod's resident memory may use before `McpHighMemory` fires.
   * @default 0.9
   */
  readonly memoryUsageThreshold?: number;
  /**
   * How long memory must stay high before `McpHighMemory` fires.
   * @default '15m'
   */
  readonly memoryFor?: string;
  /**
   * The server container's CPU limit in cores, the base of `McpHighCpu`; the default is the
   * workload's default limit.
   * @default 1
   */
  readonly cpuLimitCores?: number;
  /**
   * Share of the CPU limit a pod may use before `McpHighCpu` fires.
   * @default 0.9
   */
  readonly cpuUsageThreshold?: number;
  /**
   * How long CPU must stay high before `McpHighCpu` fires.
   * @default '15m'
   */
  readonly cpuFor?: string;
  /**
   * Share of a tool's calls that fail through the server's fault (a dependency failing, a
   * timeout, a bug) above which `McpHighToolErrorRatio` fires. Calls refused for the caller's
   * fault (invalid arguments, unknown ids) are not counted.
   * @default 0.1
   */
  readonly toolErrorRatioThreshold?: number;
  /**
   * How long a tool's server-fault ratio must stay high before `McpHighToolErrorRatio` fires.
   * @default '15m'
   */
  readonly toolErrorFor?: string;
  /**
   * Share of requests rejected by the rate limit above which `McpRateLimitRejections` fires.
   * @default 0.1
   */
  readonly rateLimitRejectionRatioThreshold?: number;
  /**
   * How long rejections must stay high before `McpRateLimitRejections` fires.
   * @default '10m'
   */
  readonly rateLimitRejectionFor?: string;
  /**
   * How long a pod may report not ready before `McpNotReady` fires.
   * @default '5m'
   */
  readonly notReadyFor?: string;
  /**
   * How long a pod may fail its Postgres health check before `McpPostgresDown` fires.
   * @default '2m'
   */
  readonly postgresDownFor?: string;
  /**
   * How long a pod may fail its Redis health check before `McpRedisDown` fires.
   * @default '5m'
   */
  readonly redisDownFor?: string;
  /**
   * Share of requests rejected by authentication above which `McpAuthFailures` fires.
   * @default - no `McpAuthFailures` alert
   */
  readonly authFailureRatioThreshold?: number;
  /**
   * How long auth failures must stay high before `McpAuthFailures` fires.
   * @default '10m'
   */
  readonly authFailureFor?: string;
  /**
   * Target labels of the synthetic probe's metrics (its Service's `job`, and its namespace): with
   * them, `McpProbeFailing`, `McpCertificateExpiring` and `McpCertificateExpiringCritical` watch
   * the probe.
   * @default - no probe alerts
   */
  readonly probeSelector?: Selector;
  /**
   * How long every probe run must fail (or no probe be scraped) before `McpProbeFailing` fires.
   * @default '2m'
   */
  readonly probeFailingFor?: string;
  /**
   * Days before the public URL's certificate expires at which `McpCertificateExpiring` (a
   * warning) fires.
   * @default 14
   */
  readonly certificateExpiryWarningDays?: number;
  /**
   * Days before the public URL's certificate expires at which `McpCertificateExpiringCritical`
   * fires; below `certificateExpiryWarningDays`.
   * @default 3
   */
  readonly certificateExpiryCriticalDays?: number;
  /**
   * How long the certificate must stay close to expiry before either certificate alert fires
   * (a new certificate behind some of the endpoints does not page).
   * @default '10m'
   */
  readonly certificateExpiryFor?: string;
  /**
   * Service level objectives: with them, the error ratios over the burn-rate windows and the
   * budget left are recorded, and two page and two ticket burn-rate alerts watch each objective.
   * @default - no SLO rules
   */
  readonly slo?: SloProps;
  /**
   * The in-cluster Postgres backup CronJob, watched through kube-state-metrics: with it,
   * `McpPostgresBackupStale` fires when the last successful backup is older than twice the
   * longest gap of its schedule, and `McpPostgresBackupUnwatched` when the CronJob has no series.
   * @default - no backup alerts
   */
  readonly backupCronJob?: BackupCronJobTarget;
}

/** The thresholds and durations alone: what an environment tunes, without scope or limits. */
export type AlertThresholdProps = Omit<
  AlertRulesProps,
  | 'selector'
  | 'probeSelector'
  | 'runbookBaseUrl'
  | 'memoryLimitBytes'
  | 'cpuLimitCores'
  | 'slo'
  | 'backupCronJob'
>;

/**
 * The latency histogram's finite bucket bounds: a p95 threshold below the first cannot be told
 * apart from zero, and one at or above the last can never be exceeded (a quantile in the `+Inf`
 * bucket reads as the last finite bound).
 */
const LATENCY_BOUNDS = METRICS.requestDurationSeconds.buckets;
const [LOWEST_LATENCY, HIGHEST_LATENCY] = [LATENCY_BOUNDS[0], LATENCY_BOUNDS[LATENCY_BOUNDS.length - 1]];

const latencyThreshold: Validator = (value) =>
  typeof value === 'number' && value >= LOWEST_LATENCY && value < HIGHEST_LATENCY
    ? undefined
    : {
        rule: `be at least ${LOWEST_LATENCY} and less than ${HIGHEST_LATENCY} seconds, the latency histogram's finite bucket range`,
        fix: 'write 250 ms as 0.25',
      };

/** Certificates are renewed weeks ahead: a threshold beyond a year is a mistake in units. */
const certificateDays: Validator = wholeNumber(1, 365);

/** How one tunable alert setting is checked, and its value when left out. */
export interface AlertSetting {
  /** The alert it tunes. */
  readonly alert: string;
  /** A threshold (a number) or a `for` duration (a string). */
  readonly type: 'number' | 'string';
  readonly validator: Validator;
  /** The value when the setting is left out; none makes the alert opt-in. */
  readonly default?: number | string;
}

const threshold = (alert: string, value: number) => ({
  alert,
  type: 'number' as const,
  validator: fraction,
  default: value,
});
const duration = (alert: string, value: string) => ({
  alert,
  type: 'string' as const,
  validator: prometheusDuration,
  default: value,
});

/**
 * Every threshold and `for` duration an environment tunes, with its rule and default, written
 * once: the alert rules read it, and the environment file's `alerts` schema is built from it.
 */
export const ALERT_SETTINGS = {
  errorRatioThreshold: threshold('McpHighErrorRatio', 0.05),
  errorRatioFor: duration('McpHighErrorRatio', '10m'),
  latencyP95ThresholdSeconds: {
    alert: 'McpHighLatency',
    type: 'number',
    validator: latencyThreshold,
    default: 1,
  },
  latencyFor: duration('McpHighLatency', '10m'),
  serverDownFor: duration('McpServerDown', '5m'),
  memoryUsageThreshold: threshold('McpHighMemory', 0.9),
  memoryFor: duration('McpHighMemory', '15m'),
  cpuUsageThreshold: threshold('McpHighCpu', 0.9),
  cpuFor: duration('McpHighCpu', '15m'),
  toolErrorRatioThreshold: threshold('McpHighToolErrorRatio', 0.1),
  toolErrorFor: duration('McpHighToolErrorRatio', '15m'),
  rateLimitRejectionRatioThreshold: threshold('McpRateLimitRejections', 0.1),
  rateLimitRejectionFor: duration('McpRateLimitRejections', '10m'),
  notReadyFor: duration('McpNotReady', '5m'),
  postgresDownFor: duration('McpPostgresDown', '2m'),
  redisDownFor: duration('McpRedisDown', '5m'),
  authFailureRatioThreshold: { alert: 'McpAuthFailures', type: 'number', validator: fraction },
  authFailureFor: duration('McpAuthFailures', '10m'),
  probeFailingFor: duration('McpProbeFailing', '2m'),
  certificateExpiryWarningDays: {
    alert: 'McpCertificateExpiring',
    type: 'number',
    validator: certificateDays,
    default: 14,
  },
  certificateExpiryCriticalDays: {
    alert: 'McpCertificateExpiringCritical',
    type: 'number',
    validator: certificateDays,
    default: 3,
  },
  certificateExpiryFor: duration('McpCertificateExpiring and McpCertificateExpiringCritical', '10m'),
} as const satisfies { readonly [K in keyof AlertThresholdProps]-?: AlertSetting };

const WHERE = 'McpAlertRules';

function checkPositive(prop: string, value: number, fix: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidProp(WHERE, prop, 'be a number greater than 0', value, fix);
  }
}

function runbookBase(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  check(WHERE, 'runbookBaseUrl', value, httpsBaseUrl);
  return value.replace(/\/+$/, '');
}

/** Bytes as Kubernetes writes them when they divide evenly ("512Mi"), else as a number. */
function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}

const percent = (ratioValue: number): string => `${+(ratioValue * 100).toFixed(4)}%`;

/** Every threshold and duration of the alerts, resolved from `AlertRulesProps` and checked. */
export interface AlertSettings {
  readonly selector: Selector;
  readonly runbookBaseUrl?: string;
  readonly errorRatioThreshold: number;
  readonly latencyP95ThresholdSeconds: number;
  readonly memoryLimitBytes: number;
  readonly memoryUsageThreshold: number;
  readonly cpuLimitCores: number;
  readonly cpuUsageThreshold: number;
  readonly toolErrorRatioThreshold: number;
  readonly rateLimitRejectionRatioThreshold: number;
  readonly authFailureRatioThreshold?: number;
  readonly probeSelector?: Selector;
  readonly certificateExpiryWarningDays: number;
  readonly certificateExpiryCriticalDays: number;
  /** The checked SLOs, availability first; empty without `slo`. */
  readonly slo: readonly ResolvedObjective[];
  readonly durations: {
    readonly errorRatioFor: string;
    readonly latencyFor: string;
    readonly serverDownFor: string;
    readonly memoryFor: string;
    readonly cpuFor: string;
    readonly toolErrorFor: string;
    readonly rateLimitRejectionFor: string;
    readonly notReadyFor: string;
    readonly postgresDownFor: string;
    readonly redisDownFor: string;
    readonly authFailureFor: string;
    readonly probeFailingFor: string;
    readonly certificateExpiryFor: string;
  };
  readonly backupCronJob?: BackupCronJobTarget;
}

/** Applies the defaults to `props` and checks every value; throws naming the bad prop. */
export function resolveAlertSettings(props: AlertRulesProps = {}): AlertSettings {
  const selector = props.selector ?? DEFAULT_SELECTOR;
  checkSelector(WHERE, selector);
  if (props.probeSelector !== undefined) checkSelector(WHERE, props.probeSelector, 'probeSelector');
  const runbook = runbookBase(props.runbookBaseUrl);
  if (props.backupCronJob !== undefined) checkBackupCronJob(WHERE, props.backupCronJob);
  for (const [key, setting] of Object.entries(ALERT_SETTINGS) as [
    keyof AlertThresholdProps,
    AlertSetting,
  ][]) {
    const value = props[key] ?? setting.default;
    if (value !== undefined) check(WHERE, key, value, setting.validator);
  }
  const defaults = ALERT_SETTINGS;
  const settings: AlertSettings = {
    selector,
    ...(runbook !== undefined ? { runbookBaseUrl: runbook } : {}),
    errorRatioThreshold: props.errorRatioThreshold ?? defaults.errorRatioThreshold.default,
    latencyP95ThresholdSeconds:
      props.latencyP95ThresholdSeconds ?? defaults.latencyP95ThresholdSeconds.default,
    memoryLimitBytes: props.memoryLimitBytes ?? 512 * 1024 ** 2,
    memoryUsageThreshold: props.memoryUsageThreshold ?? defaults.memoryUsageThreshold.default,
    cpuLimitCores: props.cpuLimitCores ?? 1,
    cpuUsageThreshold: props.cpuUsageThreshold ?? defaults.cpuUsageThreshold.default,
    toolErrorRatioThreshold: props.toolErrorRatioThreshold ?? defaults.toolErrorRatioThreshold.default,
    rateLimitRejectionRatioThreshold:
      props.rateLimitRejectionRatioThreshold ?? defaults.rateLimitRejectionRatioThreshold.default,
    ...(props.authFailureRatioThreshold !== undefined
      ? { authFailureRatioThreshold: props.authFailureRatioThreshold }
      : {}),
    ...(props.probeSelector !== undefined ? { probeSelector: props.probeSelector } : {}),
    certificateExpiryWarningDays:
      props.certificateExpiryWarningDays ?? defaults.certificateExpiryWarningDays.default,
    certificateExpiryCriticalDays:
      props.certificateExpiryCriticalDays ?? defaults.certificateExpiryCriticalDays.default,
    slo: resolveSlo(WHERE, props.slo),
    durations: {
      errorRatioFor: props.errorRatioFor ?? defaults.errorRatioFor.default,
      latencyFor: props.latencyFor ?? defaults.latencyFor.default,
      serverDownFor: props.serverDownFor ?? defaults.serverDownFor.default,
      memoryFor: props.memoryFor ?? defaults.memoryFor.default,
      cpuFor: props.cpuFor ?? defaults.cpuFor.default,
      toolErrorFor: props.toolErrorFor ?? defaults.toolErrorFor.default,
      rateLimitRejectionFor: props.rateLimitRejectionFor ?? defaults.rateLimitRejectionFor.default,
      notReadyFor: props.notReadyFor ?? defaults.notReadyFor.default,
      postgresDownFor: props.postgresDownFor ?? defaults.postgresDownFor.default,
      redisDownFor: props.redisDownFor ?? defaults.redisDownFor.default,
      authFailureFor: props.authFailureFor ?? defaults.authFailureFor.default,
      probeFailingFor: props.probeFailingFor ?? defaults.probeFailingFor.default,
      certificateExpiryFor: props.certificateExpiryFor ?? defaults.certificateExpiryFor.default,
    },
    ...(props.backupCronJob !== undefined ? { backupCronJob: props.backupCronJob } : {}),
  };
  if (settings.certificateExpiryCriticalDays >= settings.certificateExpiryWarningDays) {
    throw invalidProp(
      WHERE,
      'certificateExpiryCriticalDays',
      `be less than certificateExpiryWarningDays (${settings.certificateExpiryWarningDays})`,
      settings.certificateExpiryCriticalDays,
      'the warning comes first, the page later',
    );
  }
  checkPositive(
    'memoryLimitBytes',
    settings.memoryLimitBytes,
    'pass the container memory limit, e.g. 536870912 for 512Mi',
  );
  checkPositive('cpuLimitCores', settings.cpuLimitCores, 'pass the container CPU limit, e.g. 0.5 for 500m');
  return settings;
}

/**
 * The recording group and the alert group for one deployment of the server, in a fixed order.
 * Every expression is checked against the metric catalogue.
 */
export function buildAlertRules(props: AlertRulesProps = {}): RuleGroup[] {
  return rulesFromSettings(resolveAlertSettings(props));
}

/** A selector as the alerts' descriptions show it: `job="mcp-server",namespace="mcp-prod"`. */
function scopeText(selector: Selector): string {
  return Object.entries(selector)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, value]) => `${label}=${JSON.stringify(value)}`)
    .join(',');
}

const DAY_SECONDS = 86_400;

/** Builds one alerting rule with the deployment's runbook link. */
export type AlertBuilder = (
  name: string,
  severity: Severity,
  expr: string,
  forDuration: string,
  summary: string,
  description: string,
) => AlertingRule;

/**
 * The alerts on the synthetic probe, scoped by its own selector: it runs apart from the server,
 * so its series carry its own job.
 */
function probeAlerts(settings: AlertSettings, alert: AlertBuilder): AlertingRule[] {
  const selector = settings.probeSelector as Selector;
  const keep = Object.keys(selector).sort();
  const { durations } = settings;
  const success = metric('probeSuccess', {}, selector);
  const secondsLeft = `${min(metric('probeTlsNotAfterTimestampSeconds', {}, selector), keep)} - time()`;
  const expiry = (name: string, severity: Severity, days: number, consequence: string): AlertingRule =>
    alert(
      name,
      severity,
      `${secondsLeft} < ${days * DAY_SECONDS}`,
      durations.certificateExpiryFor,
      `The certificate of the MCP server's public URL expires ${severity === Severity.CRITICAL ? 'within days' : 'soon'}`,
      `The certificate the public URL presents to the probe {${scopeText(selector)}} expires in ` +
        `{{ $value | humanizeDuration }} (threshold ${days} days): ${consequence}`,
    );
  return [
    alert(
      'McpProbeFailing',
      Severity.CRITICAL,
      `${max(success, keep)} == 0 or ${absent(success)}`,
      durations.probeFailingFor,
      'The MCP probe cannot use the server through its public URL',
      `Every run of the probe {${scopeText(selector)}} has failed, or none is scraped: a client cannot ` +
        'connect over TLS, initialize a session, list tools or call its tool through the public ' +
        "URL. mcp_probe_duration_seconds shows the steps of the last run, the probe's log the failing one.",
    ),
    expiry(
      'McpCertificateExpiring',
      Severity.WARNING,
      settings.certificateExpiryWarningDays,
      'renewal is overdue (cert-manager renews 30 days ahead, ACM 60); check the Certificate and its ' +
        'issuer, or the ACM certificate.',
    ),
    expiry(
      'McpCertificateExpiringCritical',
      Severity.CRITICAL,
      settings.certificateExpiryCriticalDays,
      'renewal keeps failing, and clients will refuse every connection once it expires.',
    ),
  ];
}

function rulesFromSettings(settings: AlertSettings): RuleGroup[] {
  const { selector, durations } = settings;
  const runbook = settings.runbookBaseUrl;
  const errorRatio = settings.errorRatioThreshold;
  const latencySeconds = settings.latencyP95ThresholdSeconds;
  const memoryLimitBytes = settings.memoryLimitBytes;
  const memoryUsage = settings.memoryUsageThreshold;
  const cpuLimitCores = settings.cpuLimitCores;
  const cpuUsage = settings.cpuUsageThreshold;
  const toolErrorRatio = settings.toolErrorRatioThreshold;
  const rejectionRatio = settings.rateLimitRejectionRatioThreshold;
  const authFailureRatio = settings.authFailureRatioThreshold;
  const keep = Object.keys(selector).sort();
  const window = RECORDING_WINDOW;
  const scoped = scopeText(selector);

  const alert: AlertBuilder = (name, severity, expr, forDuration, summary, description) => ({
    alert: name,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: {
      description,
      ...(runbook ? { runbook_url: `${runbook}/${name.toLowerCase()}` } : {}),
      summary,
    },
  });

  const alerts: AlertingRule[] = [
    alert(
      'McpHighErrorRatio',
      Severity.CRITICAL,
      `${recorded('requestErrorRatio', {}, selector)} > ${errorRatio}`,
      durations.errorRatioFor,
      'MCP server requests are failing with 5xx errors',
      `{{ $value | humanizePercentage }} of requests to {{ $labels.endpoint }} ended with a 5xx status ` +
        `over the last ${window} (threshold ${percent(errorRatio)}).`,
    ),
    alert(
      'McpHighLatency',
      Severity.WARNING,
      `${recorded('requestDurationP95', {}, selector)} > ${latencySeconds}`,
      durations.latencyFor,
      'MCP server requests are slow',
      `The 95th percentile duration of requests to {{ $labels.endpoint }} is {{ $value | humanizeDuration }} ` +
        `over the last ${window} (threshold ${latencySeconds}s).`,
    ),
    alert(
      'McpServerDown',
      Severity.CRITICAL,
      `${sum(metric('up', {}, selector), keep)} == 0 or ${absent(metric('up', {}, selector))}`,
      durations.serverDownFor,
      'No MCP server target is up',
      `Prometheus has scraped no target matching {${scoped}} successfully: every pod is down, ` +
        'or none is discovered (check the ServiceMonitor and its labels).',
    ),
    alert(
      'McpHighMemory',
      Severity.WARNING,
      `${metric('residentMemoryBytes', {}, selector)} / ${memoryLimitBytes} > ${memoryUsage}`,
      durations.memoryFor,
      'MCP server memory is close to its limit',
      `{{ $labels.instance }} uses {{ $value | humanizePercentage }} of its ${formatBytes(memoryLimitBytes)} ` +
        `memory limit (threshold ${percent(memoryUsage)}); at the limit it is OOM-killed.`,
    ),
    alert(
      'McpHighCpu',
      Severity.WARNING,
      `${rate(metric('cpuSecondsTotal', {}, selector), window)} / ${cpuLimitCores} > ${cpuUsage}`,
      durations.cpuFor,
      'MCP server CPU is close to its limit',
      `{{ $labels.instance }} uses {{ $value | humanizePercentage }} of its CPU limit of ${cpuLimitCores} ` +
        `${cpuLimitCores === 1 ? 'core' : 'cores'} (threshold ${percent(cpuUsage)}); at the limit it is throttled.`,
    ),
    alert(
      'McpHighToolErrorRatio',
      Severity.WARNING,
      `${recorded('toolServerErrorRatio', {}, selector)} > ${toolErrorRatio}`,
      durations.toolErrorFor,
      'An MCP tool is failing on the server',
      `{{ $value | humanizePercentage }} of calls to the tool {{ $labels.tool_name }} failed on the server ` +
        `(a dependency such as Postgres or Redis failing, a timeout, or a bug) over the last ${window} ` +
        `(threshold ${percent(toolErrorRatio)}); calls refused for bad input are not counted.`,
    ),
    alert(
      'McpRateLimitRejections',
      Severity.WARNING,
      `${ratio(
        sum(rate(metric('rateLimitRejectionsTotal', {}, selector), window), [...keep, 'endpoint']),
        sum(recorded('requestRate', {}, selector), [...keep, 'endpoint']),
      )} > ${rejectionRatio}`,
      durations.rateLimitRejectionFor,
      'Many MCP requests are rejected by the rate limit',
      `{{ $value | humanizePercentage }} of requests to {{ $labels.endpoint }} were rejected with 429 over ` +
        `the last ${window} (threshold ${percent(rejectionRatio)}): a client may be looping, or the limit is too low.`,
    ),
    alert(
      'McpNotReady',
      Severity.WARNING,
      `${metric('ready', {}, selector)} == 0`,
      durations.notReadyFor,
      'An MCP server pod is not ready',
      '{{ $labels.instance }} reports not ready, so it receives no traffic: Postgres is unreachable, ' +
        'migrations are not current, or it is draining.',
    ),
    alert(
      'McpPostgresDown',
      Severity.CRITICAL,
      `${metric('postgresUp', {}, selector)} == 0`,
      durations.postgresDownFor,
      'The MCP server cannot reach Postgres',
      '{{ $labels.instance }} fails its Postgres health check; tools that read or write memories fail.',
    ),
    alert(
      'McpRedisDown',
      Severity.WARNING,
      `${metric('redisUp', {}, selector)} == 0`,
      durations.redisDownFor,
      'The MCP server cannot reach Redis',
      '{{ $labels.instance }} fails its Redis health check: responses are not cached and rate limits ' +
        'fail open or closed as configured.',
    ),
  ];
  if (authFailureRatio !== undefined) {
    alerts.push(
      alert(
        'McpAuthFailures',
        Severity.WARNING,
        `${ratio(
          sum(rate(metric('authFailuresTotal', {}, selector), window), keep),
          sum(recorded('requestRate', {}, selector), keep),
        )} > ${authFailureRatio}`,
        durations.authFailureFor,
        'Many MCP requests fail authentication',
        `{{ $value | humanizePercentage }} of requests were rejected by authentication over the last ` +
          `${window} (threshold ${percent(authFailureRatio)}): a client has a bad credential, or someone ` +
          'is guessing keys.',
      ),
    );
  }

  if (settings.probeSelector !== undefined) alerts.push(...probeAlerts(settings, alert));
  if (settings.backupCronJob !== undefined) alerts.push(...backupAlerts(settings.backupCronJob, alert));

  for (const rule of alerts) assertKnownMetrics(rule.expr);
  return [
    { name: RECORDING_GROUP, rules: buildRecordingRules(selector) },
    { name: ALERT_GROUP, rules: alerts },
    ...buildSloRuleGroups(
      settings.slo,
      selector,
      (urgency) => (urgency === 'page' ? Severity.CRITICAL : Severity.WARNING),
      runbook,
    ),
  ];
}

function sortedRecord(record: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) {
    const value = record[key];
    if (value !== undefined) sorted[key] = value;
  }
  return sorted;
}

/**
 * The plain Prometheus rule file (`groups:`) that `promtool check rules` and Prometheus's
 * `rule_files` read. Keys come in a fixed order (record/alert, expr, for, labels, annotations;
 * label and annotation names sorted) and long expressions are never folded.
 */
export function toPrometheusRulesYaml(groups: readonly RuleGroup[]): string {
  const document = {
    groups: groups.map((group) => ({
      name: group.name,
      ...(group.interval !== undefined ? { interval: group.interval } : {}),
      rules: group.rules.map((rule) =>
        'record' in rule
          ? { record: rule.record, expr: rule.expr }
          : {
              alert: rule.alert,
              expr: rule.expr,
              for: rule.for,
              labels: sortedRecord(rule.labels),
              annotations: sortedRecord(rule.annotations),
            },
      ),
    })),
  };
  return stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
}
