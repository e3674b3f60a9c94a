import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { runCli, runCliInProcess } from '../helpers/cli';
import { removeTempDirs, tempDir } from '../helpers/fixtures';

// The first in-process command of a file loads its libraries: seconds on a busy machine.
jest.setTimeout(60_000);

afterAll(removeTempDirs);

const ROOT = path.resolve(__dirname, '..', '..');
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  });

describe('the pull-request diff, run locally as CI runs it', () => {
  test('synthesizes the base and head commits of an environment change and diffs them in Markdown', async () => {
    const repo = tempDir('mcpenv-repo-');
    git(repo, 'init', '-q');
    const prod = fs.readFileSync(path.join(ROOT, 'app', 'environments', 'prod.yaml'), 'utf8');
    fs.writeFileSync(path.join(repo, 'prod.yaml'), prod);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'base');
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    fs.writeFileSync(
      path.join(repo, 'prod.yaml'),
      prod
        .replace('replicas: 3', 'replicas: 4')
        .replace('backupRetentionDays: 14', 'backupRetentionDays: 21')
        .replace('name: prod', 'name: prod'),
    );
    git(repo, 'commit', '-qam', 'head');

    const out = tempDir('mcpenv-pr-');
    fs.writeFileSync(path.join(out, 'base.yaml'), git(repo, 'show', `${base}:prod.yaml`));
    fs.writeFileSync(path.join(out, 'head.yaml'), git(repo, 'show', 'HEAD:prod.yaml'));
    for (const side of ['base', 'head']) {
      const synth = await runCliInProcess([
        'synth',
        '--config',
        path.join(out, `${side}.yaml`),
        '--out',
        path.join(out, side),
      ]);
      expect(synth.status).toBe(0);
    }
    const result = runCli([
      'diff',
      '--base',
      path.join(out, 'base'),
      '--head',
      path.join(out, 'head'),
      '--format',
      'md',
    ]);
    expect(result.status).toBe(0);
    const markdown = result.stdout;
    expect(markdown.split('\n')[0]).toBe('**mcpenv diff:** 2 changed, 0 added, 0 removed');
    expect(markdown).toContain('<code>autoscaling/v2 HorizontalPodAutoscaler mcp-prod/prod-server</code>');
    expect(markdown).toContain('| `spec.minReplicas` | 3 | 4 |');
    expect(markdown).toContain('| `backup_retention_period` | 14 | 21 |');
    const gate = await runCliInProcess([
      'diff',
      '--base',
      path.join(out, 'base'),
      '--head',
      path.join(out, 'head'),
      '--fail-on',
      'destroy',
    ]);
    expect(gate.status).toBe(0);
  });

  test('the GitHub and GitLab definitions run these same commands', () => {
    const github = parse(fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'mcpenv-diff.yml'), 'utf8'));
    const steps = JSON.stringify(github.jobs.diff.steps);
    for (const command of [
      'mcpenv -- synth --env',
      'mcpenv -- diff --base',
      '--format md',
      'updateComment',
    ]) {
      expect(steps).toContain(command);
    }
    const gitlab = fs.readFileSync(path.join(ROOT, '.ci', 'gitlab', 'mcpenv-diff.gitlab-ci.yml'), 'utf8');
    expect(parse(gitlab)['mcpenv-diff'].script.join('\n')).toContain(
      'mcpenv -- diff --base /tmp/base --head /tmp/head --format md',
    );
  });
});
