/**
 * Service level objectives for one deployment of the MCP server, and what they compile to: error
 * ratios recorded over the windows of multiwindow, multi-burn-rate alerting (the SRE Workbook's
 * "Alerting on SLOs", as Sloth and Pyrra generate it), the share of the error budget left over
 * the 30-day period, and the page and ticket alerts on the burn rate.
 *
 * The burn rate is how fast the budget goes: at 1 the budget lasts exactly the period, at 14.4
 * 2% of it is gone in an hour. An alert needs both windows of its pair above its factor: the long
 * window shows the burn is real, the short one that it is still going on, so an alert resets
 * minutes after the errors stop.
 */
import { METRICS, SLO_INDICATORS, SLO_PERIOD, type SloIndicator, type SloWindow } from '@mcpenv/contract';
import { invalidProp } from '../errors';
import { check, type Validator } from '../validators';
import { tidyNumber } from './promql';

/** An availability objective: the share of `/mcp` requests not answered with a 5xx status. */
export interface AvailabilityObjective {
  /**
   * Percentage of requests that must succeed over 30 days, e.g. 99.9; above 93.06 (below it the
   * fast-burn page could never fire) and below 100 (a 100% objective leaves no error budget).
   */
  readonly objective: number;
}

/** A latency objective: the share of measured `/mcp` requests that finish within a threshold. */
export interface LatencyObjective {
  /**
   * Percentage of requests that must finish within `thresholdSeconds` over 30 days, e.g. 99;
   * above 93.06 and below 100, as for availability.
   */
  readonly objective: number;
  /**
   * The threshold in seconds: one of the bucket bounds of `mcp_request_duration_seconds` (0.005,
   * 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), since only a bucket bound can be
   * counted exactly. Another value needs the bucket added to the metric catalogue first.
   */
  readonly thresholdSeconds: number;
}

/** The SLOs of one deployment; each is optional. */
export interface SloProps {
  readonly availability?: AvailabilityObjective;
  readonly latency?: LatencyObjective;
}

/** One checked objective. */
export interface ResolvedObjective {
  readonly indicator: SloIndicator;
  /** The objective as written, in percent (99.9). */
  readonly objectivePercent: number;
  /** The error budget: the share of events allowed to be bad (0.001 for 99.9%). */
  readonly errorBudget: number;
  /** For latency, the threshold in seconds. */
  readonly thresholdSeconds?: number;
}

/** Whether an SLO alert pages a human now or opens a ticket. */
export type BurnRateUrgency = 'page' | 'ticket';

/** One multiwindow burn-rate alert: both windows above `factor` times the budget. */
export interface BurnRateWindowPair {
  readonly urgency: BurnRateUrgency;
  /** The burn rate both windows must exceed. */
  readonly factor: number;
  readonly longWindow: SloWindow;
  readonly shortWindow: SloWindow;
  /** How long both must stay above it before the alert fires. */
  readonly for: string;
  /** Share of the 30-day budget spent when the long window burns at `factor`, for the text. */
  readonly budgetSpent: string;
}

/**
 * The SRE Workbook's recommended pairs for a 30-day SLO: pages for 2% of the budget spent in an
 * hour and 5% in six hours, tickets for 10% in a day and 10% in three days. The `for` durations
 * keep a single bad evaluation from firing (Pyrra uses the same ones).
 */
export const BURN_RATE_WINDOWS: readonly BurnRateWindowPair[] = [
  { urgency: 'page', factor: 14.4, longWindow: '1h', shortWindow: '5m', for: '2m', budgetSpent: '2%' },
  { urgency: 'page', factor: 6, longWindow: '6h', shortWindow: '30m', for: '15m', budgetSpent: '5%' },
  { urgency: 'ticket', factor: 3, longWindow: '1d', shortWindow: '2h', for: '1h', budgetSpent: '10%' },
  { urgency: 'ticket', factor: 1, longWindow: '3d', shortWindow: '6h', for: '3h', budgetSpent: '10%' },
];

/** The highest burn-rate factor: an objective whose budget times it reaches 1 can never page. */
const FASTEST_BURN = Math.max(...BURN_RATE_WINDOWS.map((pair) => pair.factor));
/** The lowest objective, in percent, at which the fastest burn is still below 100% errors. */
export const LOWEST_OBJECTIVE_PERCENT = 100 * (1 - 1 / FASTEST_BURN);

/** The latency histogram's bucket bounds, the only thresholds a latency SLO can count exactly. */
export const LATENCY_THRESHOLDS: readonly number[] = METRICS.requestDurationSeconds.buckets;

/** An objective in percent: above the lowest the fast-burn page can fire at, below 100. */
export const objectivePercent: Validator = (value) => {
  const lowest = Math.ceil(LOWEST_OBJECTIVE_PERCENT * 100) / 100;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { rule: 'be a percentage such as 99.9', fix: 'write 99.9% as 99.9' };
  }
  if (value >= 100) {
    return {
      rule: 'be less than 100: a 100% objective leaves no error budget to alert on',
      fix: 'use 99.9 or 99.99',
    };
  }
  if (value <= LOWEST_OBJECTIVE_PERCENT) {
    return {
      rule:
        `be at least ${lowest}: below it, ${FASTEST_BURN} times the error budget is more than every ` +
        'request, so the fast-burn page could never fire',
      fix: value > 0 && value <= 1 ? 'write the objective in percent: 99.9, not 0.999' : 'use 99 or 99.9',
    };
  }
  return undefined;
};

/** A latency threshold: one of the latency histogram's bucket bounds. */
export const latencyThreshold: Validator = (value) => {
  if (typeof value === 'number' && LATENCY_THRESHOLDS.includes(value)) return undefined;
  const nearest =
    typeof value === 'number' && Number.isFinite(value)
      ? [...LATENCY_THRESHOLDS].sort((a, b) => Math.abs(a - value) - Math.abs(b - value) || a - b)[0]
      : undefined;
  return {
    rule:
      `be one of the bucket bounds of ${METRICS.requestDurationSeconds.name} (${LATENCY_THRESHOLDS.join(', ')} ` +
      'seconds): a threshold between buckets cannot be counted exactly',
    fix:
      (nearest !== undefined ? `use ${nearest}, the nearest bound, ` : 'use a bound, ') +
      'or add the bucket to the catalogue (LATENCY_BUCKETS in @mcpenv/contract) so the server exposes it',
  };
};

/**
 * Checks `slo` and returns its objectives in a fixed order (availability, latency). Errors name
 * `prop` and the field, e.g. `slo.latency.thresholdSeconds`.
 */
export function resolveSlo(where: string, slo: SloProps | undefined, prop = 'slo'): ResolvedObjective[] {
  if (slo === undefined) return [];
  if (slo === null || typeof slo !== 'object' || Array.isArray(slo)) {
    throw invalidProp(where, prop, 'be an object with availability and/or latency', slo);
  }
  const known = new Set<string>(SLO_INDICATORS);
  for (const key of Object.keys(slo)) {
    if (!known.has(key)) {
      throw invalidProp(
        where,
        `${prop}.${key}`,
        'not be set: SLOs are availability and latency',
        key,
        'remove it',
      );
    }
  }
  const objectives: ResolvedObjective[] = [];
  for (const indicator of SLO_INDICATORS) {
    const spec = slo[indicator] as Partial<LatencyObjective> | undefined;
    if (spec === undefined) continue;
    if (spec === null || typeof spec !== 'object') {
      throw invalidProp(
        where,
        `${prop}.${indicator}`,
        'be an object with an objective',
        spec,
        'write { objective: 99.9 }',
      );
    }
    check(where, `${prop}.${indicator}.objective`, spec.objective, objectivePercent);
    const objective = spec.objective as number;
    if (indicator === 'latency') {
      check(where, `${prop}.latency.thresholdSeconds`, spec.thresholdSeconds, latencyThreshold);
    }
    const threshold = indicator === 'latency' ? spec.thresholdSeconds : undefined;
    objectives.push({
      indicator,
      objectivePercent: objective,
      errorBudget: tidyNumber(1 - objective / 100),
      ...(threshold !== undefined ? { thresholdSeconds: threshold } : {}),
    });
  }
  return objectives;
}

/** The SLO period in days, for texts. */
export const SLO_PERIOD_TEXT = `${SLO_PERIOD.replace(/d$/, '')} days`;
