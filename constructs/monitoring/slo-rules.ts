/**
 * The rule groups an environment's SLOs compile to:
 *
 * - `mcp-server.slo`: each objective's error ratio over every alert window (5m to 3d), recorded
 *   from the raw counters so every window is exact;
 * - `mcp-server.slo-budget`, evaluated every 5 minutes (a 30-day range is costly and moves
 *   slowly): the error ratio over the 30-day period and the share of the budget left;
 * - `mcp-server.slo-alerts`: per objective, the two page and two ticket burn-rate alerts.
 *
 * Every series keeps the selector's labels only, so two environments on one Prometheus never
 * write the same series.
 */
import { SLO_PERIOD, SLO_WINDOWS, type SloIndicator, type SloWindow } from '@mcpenv/contract';
import type { AlertingRule, RuleGroup, Severity } from './alerts';
import {
  assertKnownMetrics,
  durationSeconds,
  histogramBuckets,
  Match,
  metric,
  promNumber,
  rate,
  ratio,
  type Selector,
  sloRecorded,
  sum,
} from './promql';
import type { RecordingRule } from './recording-rules';
import {
  BURN_RATE_WINDOWS,
  type BurnRateUrgency,
  type BurnRateWindowPair,
  type ResolvedObjective,
  SLO_PERIOD_TEXT,
} from './slo';

/** Name of the group recording the error ratios over the alert windows. */
export const SLO_RECORDING_GROUP = 'mcp-server.slo';
/** Name of the group recording the 30-day error ratio and the budget left. */
export const SLO_BUDGET_GROUP = 'mcp-server.slo-budget';
/** How often the budget group is evaluated. */
export const SLO_BUDGET_INTERVAL = '5m';
/** Name of the group holding the burn-rate alerts. */
export const SLO_ALERT_GROUP = 'mcp-server.slo-alerts';

/** What each indicator counts, for the alerts' texts. */
const WHAT_FAILS: Readonly<Record<SloIndicator, (objective: ResolvedObjective) => string>> = {
  availability: () => 'requests answered with a 5xx status',
  latency: (objective) => `requests slower than ${objective.thresholdSeconds}s`,
};

/**
 * A matcher for one `le` bound whichever way it is written: prom-client writes `1`, Prometheus 3
 * stores classic histograms' bounds normalized to `1.0`.
 */
export function bucketBound(seconds: number): Match {
  const text = String(seconds).replaceAll('.', '\\.');
  return Match.regex(Number.isInteger(seconds) ? `${text}(\\.0)?` : text);
}

/**
 * The error ratio of `objective` over `window`: bad events over all events, 0 (not absent) when
 * none were bad, and 0 rather than a division by zero when there was no traffic.
 */
export function sloErrorRatioExpr(
  objective: ResolvedObjective,
  window: SloWindow,
  selector: Selector,
): string {
  const keep = Object.keys(selector).sort();
  if (objective.indicator === 'availability') {
    return ratio(
      sum(rate(metric('requestsTotal', { status: Match.regex('5..') }, selector), window), keep),
      sum(rate(metric('requestsTotal', {}, selector), window), keep),
    );
  }
  const all = sum(rate(histogramBuckets('requestDurationSeconds', { le: '+Inf' }, selector), window), keep);
  const fast = sum(
    rate(
      histogramBuckets(
        'requestDurationSeconds',
        { le: bucketBound(objective.thresholdSeconds ?? 0) },
        selector,
      ),
      window,
    ),
    keep,
  );
  return ratio(`(${all} - ${fast})`, all);
}

/** The alert name for one indicator and window pair, e.g. `McpAvailabilityBurnRate1h`. */
export function burnRateAlertName(indicator: SloIndicator, pair: BurnRateWindowPair): string {
  return `Mcp${indicator[0]?.toUpperCase()}${indicator.slice(1)}BurnRate${pair.longWindow}`;
}

/** The Go template that prints the budget left, read at the alert's evaluation. */
export function budgetLeftTemplate(indicator: SloIndicator, selector: Selector): string {
  return (
    `{{ with query \`${sloRecorded(indicator, 'budget', selector)}\` }}` +
    '{{ . | first | value | humanizePercentage }}{{ else }}unknown{{ end }}'
  );
}

/** Hours in the SLO period, for "the whole budget goes in …". */
const PERIOD_HOURS = Number(SLO_PERIOD.replace(/d$/, '')) * 24;

/** Hours as the alerts' texts say them: "1h", "1 day", "3 days", "2d 2h". */
function durationText(hours: number): string {
  if (hours < 24) return `${hours}h`;
  if (hours % 24 === 0) return hours === 24 ? '1 day' : `${hours / 24} days`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** Builds one burn-rate alert; `severityOf` maps page and ticket to the rules' severities. */
function burnRateAlert(
  objective: ResolvedObjective,
  pair: BurnRateWindowPair,
  selector: Selector,
  severityOf: (urgency: BurnRateUrgency) => Severity,
  runbookBaseUrl: string | undefined,
): AlertingRule {
  const { indicator, errorBudget } = objective;
  const name = burnRateAlertName(indicator, pair);
  const burn = (window: SloWindow) =>
    `${sloRecorded(indicator, window, selector)} / ${promNumber(errorBudget)} > ${promNumber(pair.factor)}`;
  const objectiveText =
    `${promNumber(objective.objectivePercent)}% ${indicator} objective` +
    (objective.thresholdSeconds !== undefined ? ` (requests within ${objective.thresholdSeconds}s)` : '');
  const speed = pair.urgency === 'page' ? 'fast' : 'steadily';
  return {
    alert: name,
    expr: assertKnownMetrics(`${burn(pair.longWindow)} and ${burn(pair.shortWindow)}`),
    for: pair.for,
    labels: {
      severity: severityOf(pair.urgency),
      long_window: pair.longWindow,
      short_window: pair.shortWindow,
      slo: indicator,
    },
    annotations: {
      description:
        `The MCP server's ${WHAT_FAILS[indicator](objective)} spend the error budget of the ` +
        `${objectiveText} {{ $value | humanize }} times as fast as ${SLO_PERIOD_TEXT} allow, over the ` +
        `last ${pair.longWindow} and still over the last ${pair.shortWindow} (threshold ` +
        `${promNumber(pair.factor)}x): at this rate ${pair.budgetSpent} of the budget goes in ` +
        `${durationText(durationSeconds(pair.longWindow) / 3600)}, ` +
        `and all of it in ${durationText(PERIOD_HOURS / pair.factor)}. Error budget left over ` +
        `${SLO_PERIOD_TEXT}: ${budgetLeftTemplate(indicator, selector)}.`,
      ...(runbookBaseUrl !== undefined ? { runbook_url: `${runbookBaseUrl}/${name.toLowerCase()}` } : {}),
      summary: `The MCP server is burning its ${indicator} error budget ${speed} (${pair.urgency})`,
    },
  };
}

/**
 * The recording, budget and alert groups for `objectives` (none without objectives), scoped by
 * `selector`.
 */
export function buildSloRuleGroups(
  objectives: readonly ResolvedObjective[],
  selector: Selector,
  severityOf: (urgency: BurnRateUrgency) => Severity,
  runbookBaseUrl?: string,
): RuleGroup[] {
  if (objectives.length === 0) return [];
  const record = (record: string, expr: string): RecordingRule => ({
    record,
    expr: assertKnownMetrics(expr),
  });
  // With no scope, the selector is the bare series name.
  const series = (objective: ResolvedObjective, window: SloWindow | 'budget') =>
    sloRecorded(objective.indicator, window);
  return [
    {
      name: SLO_RECORDING_GROUP,
      rules: objectives.flatMap((objective) =>
        SLO_WINDOWS.map((window) =>
          record(series(objective, window), sloErrorRatioExpr(objective, window, selector)),
        ),
      ),
    },
    {
      name: SLO_BUDGET_GROUP,
      interval: SLO_BUDGET_INTERVAL,
      rules: objectives.flatMap((objective) => [
        record(series(objective, SLO_PERIOD), sloErrorRatioExpr(objective, SLO_PERIOD, selector)),
        record(
          series(objective, 'budget'),
          `1 - ${sloRecorded(objective.indicator, SLO_PERIOD, selector)} / ${promNumber(objective.errorBudget)}`,
        ),
      ]),
    },
    {
      name: SLO_ALERT_GROUP,
      rules: objectives.flatMap((objective) =>
        BURN_RATE_WINDOWS.map((pair) => burnRateAlert(objective, pair, selector, severityOf, runbookBaseUrl)),
      ),
    },
  ];
}
