import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { restoreScript } from '../../constructs/k8s/backup';
import { runCliInProcess } from '../helpers/cli';
import { removeTempDirs, tempDir } from '../helpers/fixtures';

// The first in-process command of a file loads its libraries: seconds on a busy machine.
jest.setTimeout(60_000);

afterAll(removeTempDirs);

describe('mcpenv backup restore-job', () => {
  test('prints the restore Job of dev on stdout and the steps around it on stderr', async () => {
    const result = await runCliInProcess([
      'backup',
      'restore-job',
      '-e',
      'dev',
      '--dump',
      'mcp-20260105T030000Z.dump',
    ]);
    expect(result.status).toBe(0);
    const job = parse(result.stdout);
    expect(job).toMatchObject({ kind: 'Job', metadata: { name: 'dev-restore', namespace: 'mcp-dev' } });
    expect(job.spec.template.spec.containers[0].command[2]).toBe(restoreScript());
    expect(job.spec.template.spec.containers[0].env).toContainEqual({
      name: 'RESTORE_DUMP_NAME',
      value: 'mcp-20260105T030000Z.dump',
    });
    expect(result.stderr).toContain('kubectl -n mcp-dev scale deployment/dev-server --replicas=0');
    expect(result.stderr).toContain(
      'mcpenv backup restore-job -e dev --dump mcp-20260105T030000Z.dump | kubectl -n mcp-dev create -f -',
    );
  });

  test('fails with exit 2 for a name the backups never write', async () => {
    const result = await runCliInProcess(['backup', 'restore-job', '-e', 'dev', '--dump', 'latest.dump']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('`--dump` must be the name of a dump of this environment');
    expect(result.stdout).toBe('');
  });

  test('fails with exit 2 for an environment without backups', async () => {
    const result = await runCliInProcess([
      'backup',
      'restore-job',
      '-e',
      'prod',
      '--dump',
      'mcp-20260105T030000Z.dump',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('the environment prod has no backups: set dataTier.postgres.backup');
  });
});

test('mcpenv validate fails with exit 2 on an environment file with a bad backup schedule, naming its path', async () => {
  const file = path.join(tempDir(), 'team.yaml');
  fs.writeFileSync(
    file,
    [
      'name: team',
      'image: ghcr.io/acme/mcp:1.0.0',
      'publicUrl: https://mcp.team.example',
      'dataTier:',
      '  kind: in-cluster',
      '  postgres:',
      '    backup:',
      '      schedule: "0 25 * * *"',
      '',
    ].join('\n'),
  );
  const result = await runCliInProcess(['validate', '-c', file]);
  expect(result.status).toBe(2);
  expect(result.stderr).toContain('dataTier.postgres.backup.schedule: must be a five-field cron schedule');
  expect(result.stderr).toContain('the hour field has 25, outside 0-23');
});
