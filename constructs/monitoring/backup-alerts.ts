/**
 * The alerts on the in-cluster Postgres backups, from kube-state-metrics' CronJob series, and
 * their promtool scenarios. A backup is stale when the last success (or, before the first one,
 * the CronJob's creation) lies further back than twice the longest gap between two runs of the
 * schedule: one missed or failed run is tolerated, two in a row are not. When kube-state-metrics
 * reports nothing about the CronJob at all, the backups are not watched, which is an alert too.
 */
import { KUBE_STATE_METRICS } from '@mcpenv/contract';
import { cronGaps } from '../cron';
import { invalidProp } from '../errors';
import { check, cronSchedule } from '../validators';
import { type AlertBuilder, type AlertingRule, Severity } from './alerts';
import { absent, checkSelector, durationSeconds, max, metric, type Selector } from './promql';
import type { Scenario, SeriesSpec } from './rule-tests';

/** The backup CronJob the alerts watch (`PostgresBackup` describes its own). */
export interface BackupCronJobTarget {
  /** The CronJob's name: kube-state-metrics' `cronjob` label. */
  readonly name: string;
  /**
   * Its namespace: kube-state-metrics' `namespace` label.
   * @default - any namespace
   */
  readonly namespace?: string;
  /** Its five-field schedule, in UTC. */
  readonly schedule: string;
}

/** How long `McpPostgresBackupStale` waits: scrape gaps, a run that is just finishing. */
export const BACKUP_STALE_FOR = '10m';
/** How long kube-state-metrics may report nothing about the CronJob before `McpPostgresBackupUnwatched`. */
export const BACKUP_UNWATCHED_FOR = '30m';

/** Checks the target; `where` is the construct whose prop `backupCronJob` it is. */
export function checkBackupCronJob(where: string, target: BackupCronJobTarget): void {
  if (typeof target !== 'object' || target === null) {
    throw invalidProp(where, 'backupCronJob', 'be an object with name and schedule', target);
  }
  if (typeof target.name !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/.test(target.name)) {
    throw invalidProp(where, 'backupCronJob.name', 'be a CronJob name of at most 52 characters', target.name);
  }
  if (target.namespace !== undefined) {
    checkSelector(where, { namespace: target.namespace }, 'backupCronJob');
  }
  check(where, 'backupCronJob.schedule', target.schedule, cronSchedule);
}

/** The staleness threshold: twice the longest gap between two runs, in seconds. */
export function backupStaleAfterSeconds(schedule: string): number {
  return 2 * cronGaps(schedule).longestSeconds;
}

/** The scope of the series: the namespace, when known. */
function scopeOf(target: BackupCronJobTarget): Selector {
  return target.namespace !== undefined ? { namespace: target.namespace } : {};
}

function durationText(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'm'],
  ];
  let rest = seconds;
  let text = '';
  for (const [size, unit] of units) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text || `${seconds}s`;
}

/** `McpPostgresBackupStale` and `McpPostgresBackupUnwatched` for one CronJob. */
export function backupAlerts(target: BackupCronJobTarget, alert: AlertBuilder): AlertingRule[] {
  const scope = scopeOf(target);
  const matchers = { cronjob: target.name };
  const keep = ['cronjob', 'namespace'];
  const threshold = backupStaleAfterSeconds(target.schedule);
  const lastSuccess = max(metric('cronJobLastSuccessfulTime', matchers, scope), keep);
  const created = metric('cronJobCreated', matchers, scope);
  const where = `${target.namespace ?? '{{ $labels.namespace }}'}/${target.name}`;
  return [
    alert(
      'McpPostgresBackupStale',
      Severity.WARNING,
      `time() - (${lastSuccess} or ${max(created, keep)}) > ${threshold}`,
      BACKUP_STALE_FOR,
      'The Postgres backups are stale',
      `The last successful backup by the CronJob ${where} finished {{ $value | humanizeDuration }} ago ` +
        '(or, if none ever has, the CronJob was made that long ago); the threshold is ' +
        `${durationText(threshold)}, twice the longest gap of its schedule "${target.schedule}". ` +
        `Two runs in a row failed or never started: check \`kubectl get jobs -l app.kubernetes.io/name=${target.name}\`, ` +
        'the logs of the last Job, and whether the CronJob is suspended.',
    ),
    alert(
      'McpPostgresBackupUnwatched',
      Severity.WARNING,
      absent(created),
      BACKUP_UNWATCHED_FOR,
      'The Postgres backups are not watched',
      `kube-state-metrics reports no CronJob ${target.name}${target.namespace !== undefined ? ` in ${target.namespace}` : ''}: ` +
        'it was deleted, or kube-state-metrics is not scraped, so a stale backup would go unnoticed.',
    ),
  ];
}

/** The promtool scenarios of the backup alerts (see `rule-tests.ts`). */
export function backupScenarios(target: BackupCronJobTarget): Record<string, Scenario> {
  const selector = scopeOf(target);
  const threshold = backupStaleAfterSeconds(target.schedule);
  const labels = { cronjob: target.name };
  const created = (ageSeconds: number, cronjob = target.name): SeriesSpec => ({
    name: KUBE_STATE_METRICS.cronJobCreated.name,
    labels: { cronjob },
    secondsAfterEvaluation: -ageSeconds,
  });
  const lastSuccess = (ageSeconds: number): SeriesSpec => ({
    name: KUBE_STATE_METRICS.cronJobLastSuccessfulTime.name,
    labels,
    secondsAfterEvaluation: -ageSeconds,
  });
  // Past the threshold for the whole `for` and then ten minutes more; the silent case is as far
  // below it, while the CronJob itself is far older (a rule that read its creation time fires).
  const margin = durationSeconds(BACKUP_STALE_FOR) + 600;
  const stale = threshold + margin;
  const fresh = Math.max(0, threshold - margin);
  const old = threshold * 10;
  return {
    McpPostgresBackupStale: {
      selector,
      firing: {
        story: `the last successful backup finished ${durationText(stale)} ago`,
        series: [created(old), lastSuccess(stale)],
        labels: { ...selector, ...labels },
        value: stale,
      },
      silent: {
        story: `the last successful backup finished ${durationText(fresh)} ago, in a CronJob made long before`,
        series: [created(old), lastSuccess(fresh)],
      },
    },
    McpPostgresBackupUnwatched: {
      selector,
      firing: {
        story: 'kube-state-metrics reports only another CronJob',
        series: [created(old, `${target.name}-other`)],
        labels: { ...selector, ...labels },
        value: 1,
      },
      silent: { story: 'kube-state-metrics reports the CronJob', series: [created(old)] },
    },
  };
}
