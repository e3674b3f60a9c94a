import { buildAlertRules, type AlertingRule, ALERT_GROUP } from '../../../constructs/monitoring/alerts';
import { backupStaleAfterSeconds } from '../../../constructs/monitoring/backup-alerts';
import { buildRuleTests } from '../../../constructs/monitoring/rule-tests';

const SELECTOR = { job: 'team-server', namespace: 'mcp-team' };

function alerts(backupCronJob?: { name: string; namespace?: string; schedule: string }): AlertingRule[] {
  const groups = buildAlertRules({ selector: SELECTOR, ...(backupCronJob ? { backupCronJob } : {}) });
  return groups.find((group) => group.name === ALERT_GROUP)?.rules as AlertingRule[];
}

const named = (rules: AlertingRule[], name: string) => rules.find((rule) => rule.alert === name);

describe('backup alerts', () => {
  test.each([
    ['0 3 * * *', 2 * 86_400],
    ['*/15 * * * *', 2 * 15 * 60],
    ['0 3 * * 1', 2 * 7 * 86_400],
    ['0 0 1 * *', 2 * 31 * 86_400],
  ])('for %s, call a backup stale after twice the longest gap (%i s)', (schedule, threshold) => {
    expect(backupStaleAfterSeconds(schedule)).toBe(threshold);
    const stale = named(
      alerts({ name: 'team-backup', namespace: 'mcp-team', schedule }),
      'McpPostgresBackupStale',
    );
    expect(stale?.expr).toBe(
      'time() - (max by (cronjob, namespace) (kube_cronjob_status_last_successful_time{namespace="mcp-team",cronjob="team-backup"}) ' +
        'or max by (cronjob, namespace) (kube_cronjob_created{namespace="mcp-team",cronjob="team-backup"})) ' +
        `> ${threshold}`,
    );
    expect(stale?.labels).toEqual({ severity: 'warning' });
    expect(stale?.for).toBe('10m');
    expect(stale?.annotations.description).toContain(`twice the longest gap of its schedule "${schedule}"`);
  });

  test('alert when kube-state-metrics reports nothing about the CronJob', () => {
    const unwatched = named(
      alerts({ name: 'team-backup', namespace: 'mcp-team', schedule: '0 3 * * *' }),
      'McpPostgresBackupUnwatched',
    );
    expect(unwatched).toMatchObject({
      expr: 'absent(kube_cronjob_created{namespace="mcp-team",cronjob="team-backup"})',
      for: '30m',
      labels: { severity: 'warning' },
    });
  });

  test('match the CronJob in any namespace when none is given', () => {
    const stale = named(alerts({ name: 'team-backup', schedule: '0 3 * * *' }), 'McpPostgresBackupStale');
    expect(stale?.expr).toContain('kube_cronjob_status_last_successful_time{cronjob="team-backup"}');
    expect(stale?.annotations.description).toContain('{{ $labels.namespace }}/team-backup');
  });

  test('are absent without a backup CronJob', () => {
    expect(alerts().map((rule) => rule.alert)).not.toEqual(
      expect.arrayContaining(['McpPostgresBackupStale']),
    );
    expect(alerts().some((rule) => rule.expr.includes('kube_cronjob'))).toBe(false);
  });

  test('have a firing and a silent promtool case each, around the threshold', () => {
    const backupCronJob = { name: 'team-backup', namespace: 'mcp-team', schedule: '0 3 * * *' };
    const tests = buildRuleTests({ selector: SELECTOR, backupCronJob }).tests;
    const stale = tests.filter((test) => test.name.startsWith('McpPostgresBackupStale'));
    expect(stale.map((test) => test.name)).toEqual([
      'McpPostgresBackupStale fires when the last successful backup finished 2d20m ago for 10m',
      'McpPostgresBackupStale stays silent when the last successful backup finished 1d23h40m ago, in a CronJob made long before',
    ]);
    expect(stale[0]?.alert_rule_test.at(-1)?.exp_alerts).toEqual([
      {
        exp_labels: { cronjob: 'team-backup', namespace: 'mcp-team', severity: 'warning' },
        exp_annotations: expect.objectContaining({ summary: 'The Postgres backups are stale' }),
      },
    ]);
    expect(stale[1]?.promql_expr_test?.[0]?.expr).toMatch(/<= 172800\)$/);
    expect(tests.filter((test) => test.name.startsWith('McpPostgresBackupUnwatched'))).toHaveLength(2);
  });

  test.each([
    [{ name: 'Team_Backup', schedule: '0 3 * * *' }, /`backupCronJob.name` must be a CronJob name/],
    [
      { name: 'team-backup', schedule: 'daily' },
      /`backupCronJob.schedule` must be a five-field cron schedule/,
    ],
    [
      { name: 'team-backup', namespace: '', schedule: '0 3 * * *' },
      /`backupCronJob.namespace` must not be empty/,
    ],
  ])('rejects the target %j, naming the prop', (backupCronJob, message) => {
    expect(() => buildAlertRules({ selector: SELECTOR, backupCronJob })).toThrow(message);
  });
});
