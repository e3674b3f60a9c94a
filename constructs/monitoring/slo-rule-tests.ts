/**
 * `promtool test rules` cases for the SLO burn-rate alerts, generated from the same objectives as
 * the rules. For each alert (an objective and a window pair with factor f and budget b):
 *
 * - **firing**: a bad share of 1.05·f·b from the start, so both windows burn just above f, and
 *   the alert fires once its `for` has passed (and not before), with the annotations
 *   Alertmanager receives, the budget left included;
 * - **short window only**: the long window burns at 0.95·f and the short one above f: silent;
 * - **long window only**: the long window burns above f and the short one at 0.95·f: silent.
 *
 * So a factor edited in `rules.yaml` by more than 5% fails a case: raised, the firing case stays
 * silent; lowered, one of the silent cases fires. Each silent case also checks, with PromQL, that
 * its windows are on the sides it claims.
 *
 * The shares are laid out by phases (a bad share per minute), and every window's ratio is computed
 * here the way Prometheus computes it: counters start high, so `rate` extrapolates the bad and the
 * total series alike and a window's ratio is the bad increase over the total increase between its
 * first and last samples. Both range semantics are checked (Prometheus 2 includes a sample on the
 * window's left edge, Prometheus 3 does not), so the cases hold on either.
 */
import { METRICS, type SloWindow } from '@mcpenv/contract';
import type { AlertingRule, RuleGroup } from './alerts';
import { renderAnnotation } from './annotations';
import { durationSeconds, promNumber, type Selector, sloRecorded, tidyNumber } from './promql';
import type { AlertRuleTest, ExpressionTest, InputSeries, RuleTestCase } from './rule-tests';
import { BURN_RATE_WINDOWS, type BurnRateWindowPair, type ResolvedObjective } from './slo';
import { SLO_ALERT_GROUP } from './slo-rules';

/** The pod the synthetic series come from. */
const INSTANCE = '10.0.0.7:3000';
/** Requests per minute in every case. */
const PER_MINUTE = 60;
/** Where every counter starts: far above what a case adds, so `rate` never extrapolates to zero. */
const COUNTER_START = 1_000_000;
/** How far above or below the factor the cases put a window. */
const MARGIN = 0.05;

/** A stretch of sample intervals with one bad share. */
interface Phase {
  readonly steps: number;
  readonly badShare: number;
}

/**
 * How often promtool evaluates the rules in the slow pairs' cases. Their windows span hours to
 * days: evaluated every minute like the other cases, they would take promtool most of a minute;
 * every five, a few seconds. They go in a test file of their own (`rules.slo.test.yaml`), since
 * promtool takes one evaluation interval per file.
 */
export const SLOW_EVALUATION_INTERVAL = '5m';

/** Whether a pair's cases are evaluated every five minutes: all but the 1h/5m page. */
export function isSlowPair(pair: BurnRateWindowPair): boolean {
  return durationSeconds(pair.shortWindow) >= 30 * 60;
}

/**
 * Minutes between input samples: one for the 1h/5m page, five for the others (a 30-minute short
 * window still holds six samples), so each sample lines up with an evaluation.
 */
function stepMinutes(pair: BurnRateWindowPair): number {
  return isSlowPair(pair) ? 5 : 1;
}

const minutesOf = (window: SloWindow): number => durationSeconds(window) / 60;

/** The bad share per sample interval, the first first (interval i runs from sample i-1 to sample i). */
function perStep(phases: readonly Phase[]): number[] {
  return phases.flatMap((phase) => Array.from({ length: phase.steps }, () => phase.badShare));
}

/**
 * A window's error ratio at sample `at`, as Prometheus computes it: the bad increase over the
 * total increase between the first and last samples in the range. `leftClosed` includes a sample
 * on the left edge (Prometheus 2).
 */
export function windowRatio(
  shares: readonly number[],
  at: number,
  windowSteps: number,
  leftClosed: boolean,
): number {
  const first = Math.max(0, at - windowSteps + (leftClosed ? 0 : 1));
  const steps = shares.slice(first, at);
  return steps.reduce((total, share) => total + share, 0) / steps.length;
}

/** A counter's values in promtool's expanding notation, `extra` samples past the phases. */
function counterValues(phases: readonly Phase[], perStepOf: (phase: Phase) => number, extra: number): string {
  const segments: string[] = [];
  let value = COUNTER_START;
  let firstSegment = true;
  const all = phases.map((phase, index) =>
    index === phases.length - 1 ? { ...phase, steps: phase.steps + extra } : phase,
  );
  for (const phase of all) {
    const step = perStepOf(phase);
    if (firstSegment) {
      segments.push(`${tidyNumber(value)}+${tidyNumber(step)}x${phase.steps}`);
      firstSegment = false;
    } else {
      segments.push(`${tidyNumber(value + step)}+${tidyNumber(step)}x${phase.steps - 1}`);
    }
    value += step * phase.steps;
  }
  return segments.join(' ');
}

/** The input series of one case: bad and good requests, or slow and fast ones. */
function inputSeries(
  objective: ResolvedObjective,
  phases: readonly Phase[],
  selector: Selector,
  minutesPerStep: number,
): InputSeries[] {
  const extra = 2;
  const series = (name: string, labels: Record<string, string>, perMinuteOf: (phase: Phase) => number) => {
    const all: Record<string, string> = { ...selector, instance: INSTANCE, ...labels };
    const body = Object.keys(all)
      .sort()
      .map((label) => `${label}=${JSON.stringify(all[label])}`)
      .join(',');
    return { series: `${name}{${body}}`, values: counterValues(phases, perMinuteOf, extra) };
  };
  const perStep = PER_MINUTE * minutesPerStep;
  const bad = (phase: Phase) => perStep * phase.badShare;
  const good = (phase: Phase) => perStep * (1 - phase.badShare);
  const every = () => perStep;
  const none = () => 0;
  if (objective.indicator === 'availability') {
    const requests = (status: string) => ({
      method: 'tools/call',
      status,
      endpoint: '/mcp',
      protocol_version: '2026-07-28',
    });
    return [
      series(METRICS.requestsTotal.name, requests('500'), bad),
      series(METRICS.requestsTotal.name, requests('200'), good),
      // Refused for the caller's fault: counts as a request, not as an error.
      series(METRICS.requestsTotal.name, requests('400'), none),
    ];
  }
  // Fast requests land in the threshold's own bucket, slow ones in the next: a rule reading the
  // bucket below or above the threshold sees all or none of them as fast.
  const bounds = METRICS.requestDurationSeconds.buckets;
  const threshold = objective.thresholdSeconds ?? 0;
  const bucket = (le: number | '+Inf', count: (phase: Phase) => number) =>
    series(
      `${METRICS.requestDurationSeconds.name}_bucket`,
      { method: 'tools/call', endpoint: '/mcp', protocol_version: '2026-07-28', le: String(le) },
      count,
    );
  return bounds
    .map((le) => bucket(le, le < threshold ? none : le === threshold ? good : every))
    .concat(bucket('+Inf', every));
}

/** The bad share of a lead of `leadSteps` so that it and `tail` together average `target`. */
function leadShare(target: number, tail: Phase, leadSteps: number): number {
  return (target * (leadSteps + tail.steps) - tail.badShare * tail.steps) / leadSteps;
}

/**
 * The shortest two phases, a lead and then a tail two steps longer than the short window, such
 * that the short window sees only the tail's `shortShare` and the long window averages
 * `longShare`, with every claim holding under both range semantics. Throws when no lead up to the
 * long window makes the shares possible (0 to 1).
 */
function twoPhases(
  pair: BurnRateWindowPair,
  threshold: number,
  shortShare: number,
  longShare: number,
  claims: readonly WindowClaim[],
): Phase[] {
  const step = stepMinutes(pair);
  const tail: Phase = { steps: minutesOf(pair.shortWindow) / step + 2, badShare: shortShare };
  const longest = minutesOf(pair.longWindow) / step - tail.steps;
  for (let leadSteps = 1; leadSteps <= longest; leadSteps++) {
    const badShare = leadShare(longShare, tail, leadSteps);
    if (badShare < 0 || badShare > 1) continue;
    const phases = [{ steps: leadSteps, badShare }, tail];
    if (claimsHold(perStep(phases), leadSteps + tail.steps, step, threshold, claims)) return phases;
  }
  throw new Error(
    `no phases give ${pair.shortWindow} at ${shortShare / threshold}x and ${pair.longWindow} at ` +
      `${longShare / threshold}x the threshold`,
  );
}

/** A share a little past `threshold` on the high side, below 1. */
const above = (threshold: number): number => Math.min(threshold * (1 + MARGIN), (threshold + 1) / 2);
const below = (threshold: number): number => threshold * (1 - MARGIN);

interface WindowClaim {
  readonly window: SloWindow;
  readonly over: boolean;
}

/** Whether at sample `at` each window is on its side of the threshold under both range semantics. */
function claimsHold(
  shares: readonly number[],
  at: number,
  step: number,
  threshold: number,
  claims: readonly WindowClaim[],
): boolean {
  return claims.every((claim) =>
    [true, false].every((leftClosed) => {
      const ratio = windowRatio(shares, at, minutesOf(claim.window) / step, leftClosed);
      return claim.over ? ratio > threshold * (1 + MARGIN / 2) : ratio < threshold * (1 - MARGIN / 2);
    }),
  );
}

/** Throws unless the claims hold (a layout bug here, never a rule's fault). */
function checkClaims(
  shares: readonly number[],
  at: number,
  step: number,
  threshold: number,
  claims: readonly WindowClaim[],
  what: string,
): void {
  if (!claimsHold(shares, at, step, threshold, claims)) {
    throw new Error(`the ${what} case does not put its windows on the sides it claims`);
  }
}

function objectiveStory(objective: ResolvedObjective): string {
  return objective.indicator === 'availability'
    ? `of requests fail with 500`
    : `of requests take longer than ${objective.thresholdSeconds}s`;
}

const percent = (share: number): string => `${promNumber(share * 100)}%`;

/** The three cases of one burn-rate alert. */
function casesForAlert(
  rule: AlertingRule,
  objective: ResolvedObjective,
  pair: BurnRateWindowPair,
  selector: Selector,
): RuleTestCase[] {
  const budget = objective.errorBudget;
  const threshold = pair.factor * budget;
  const story = objectiveStory(objective);
  const forMinutes = Math.ceil(durationSeconds(rule.for) / 60);
  const series = (window: SloWindow) => sloRecorded(objective.indicator, window, selector);
  const claimTest = (at: number, claims: readonly WindowClaim[]): ExpressionTest[] =>
    claims.map((claim) => ({
      expr: `count(${series(claim.window)} / ${promNumber(budget)} ${claim.over ? '>' : '<='} ${promNumber(pair.factor)})`,
      eval_time: `${at}m`,
      exp_samples: [{ labels: '{}', value: 1 }],
    }));

  // Firing: one share from the start; the rule's rates have two samples from the first step on.
  const step = stepMinutes(pair);
  const firingShare = above(threshold);
  const firingAt = Math.ceil((forMinutes + 10) / step) * step;
  const firingPhases: Phase[] = [{ steps: firingAt / step, badShare: firingShare }];
  checkClaims(
    perStep(firingPhases),
    firingAt / step,
    step,
    threshold,
    [
      { window: pair.longWindow, over: true },
      { window: pair.shortWindow, over: true },
    ],
    'firing',
  );
  const labels = { ...selector, ...rule.labels };
  const budgetLeft = 1 - firingShare / budget;
  const annotations: Record<string, string> = {};
  for (const key of Object.keys(rule.annotations).sort()) {
    const template = rule.annotations[key as keyof AlertingRule['annotations']];
    if (template !== undefined) {
      annotations[key] = renderAnnotation(template, labels, firingShare / budget, (query) =>
        query === sloRecorded(objective.indicator, 'budget', selector) ? budgetLeft : undefined,
      );
    }
  }
  const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const fired: AlertRuleTest[] = [
    { eval_time: `${forMinutes}m`, alertname: rule.alert, exp_alerts: [] },
    {
      eval_time: `${firingAt}m`,
      alertname: rule.alert,
      exp_alerts: [{ exp_labels: sorted, exp_annotations: annotations }],
    },
  ];

  const silentCase = (name: string, phases: Phase[], claims: WindowClaim[]): RuleTestCase => {
    const at = phases.reduce((total, phase) => total + phase.steps, 0) * step;
    checkClaims(perStep(phases), at / step, step, threshold, claims, name);
    return {
      name: `${rule.alert} stays silent when ${name}`,
      interval: `${step}m`,
      input_series: inputSeries(objective, phases, selector, step),
      alert_rule_test: [{ eval_time: `${at}m`, alertname: rule.alert, exp_alerts: [] }],
      promql_expr_test: claimTest(at, claims),
    };
  };
  const shortOnlyClaims: WindowClaim[] = [
    { window: pair.shortWindow, over: true },
    { window: pair.longWindow, over: false },
  ];
  const longOnlyClaims: WindowClaim[] = [
    { window: pair.longWindow, over: true },
    { window: pair.shortWindow, over: false },
  ];
  const shortOnly = twoPhases(pair, threshold, above(threshold), below(threshold), shortOnlyClaims);
  const longOnly = twoPhases(pair, threshold, below(threshold), above(threshold), longOnlyClaims);
  const burn = (share: number) => `${promNumber(Number((share / budget).toPrecision(4)))}x`;
  return [
    {
      name:
        `${rule.alert} fires when ${percent(firingShare)} ${story} (${burn(firingShare)} the budget, ` +
        `both windows over ${promNumber(pair.factor)}x) for ${rule.for}`,
      interval: `${step}m`,
      input_series: inputSeries(objective, firingPhases, selector, step),
      alert_rule_test: fired,
    },
    silentCase(
      `only the short window burns over ${promNumber(pair.factor)}x: ${pair.longWindow} at ` +
        `${burn(below(threshold))}, ${pair.shortWindow} at ${burn(above(threshold))}`,
      shortOnly,
      shortOnlyClaims,
    ),
    silentCase(
      `only the long window burns over ${promNumber(pair.factor)}x: ${pair.longWindow} at ` +
        `${burn(above(threshold))}, ${pair.shortWindow} at ${burn(below(threshold))}`,
      longOnly,
      longOnlyClaims,
    ),
  ];
}

/**
 * The cases for the alerts of the SLO alert group in `groups`, in its order: those of the 1h/5m
 * page (`speed: 'fast'`, for the main test file evaluated every minute) or of the other pairs
 * (`'slow'`, evaluated every `SLOW_EVALUATION_INTERVAL`). An SLO alert this cannot place (an
 * objective or a window pair it does not know) throws.
 */
export function buildSloRuleTests(
  objectives: readonly ResolvedObjective[],
  selector: Selector,
  groups: readonly RuleGroup[],
  speed: 'fast' | 'slow',
): RuleTestCase[] {
  const alerts = (groups.find((group) => group.name === SLO_ALERT_GROUP)?.rules ?? []).filter(
    (rule): rule is AlertingRule => 'alert' in rule,
  );
  return alerts.flatMap((rule) => {
    const objective = objectives.find((candidate) => candidate.indicator === rule.labels.slo);
    const pair = BURN_RATE_WINDOWS.find(
      (candidate) =>
        candidate.longWindow === rule.labels.long_window &&
        candidate.shortWindow === rule.labels.short_window,
    );
    if (objective === undefined || pair === undefined) {
      throw new Error(`the SLO alert ${rule.alert} has no objective or window pair the rule tests know`);
    }
    return isSlowPair(pair) === (speed === 'slow') ? casesForAlert(rule, objective, pair, selector) : [];
  });
}
