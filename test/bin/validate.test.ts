import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironment } from '../../app/environments';
import { synthEnvironment } from '../../app/synth';
import { runCli, runCliInProcess } from '../helpers/cli';
import { removeTempDirs, tempDir } from '../helpers/fixtures';

// The first in-process command of a file loads its libraries: seconds on a busy machine.
jest.setTimeout(60_000);

afterAll(removeTempDirs);

describe('mcpenv validate', () => {
  const out = path.join(tempDir(), 'dev');
  beforeAll(() => {
    synthEnvironment(loadEnvironment('dev'), { outDir: out });
  });

  // Only node on the PATH: no terraform or promtool here (the integration tier runs them), so
  // nothing in the unit tier reaches beyond this machine.
  const nodeBin = tempDir('mcpenv-path-');
  fs.symlinkSync(process.execPath, path.join(nodeBin, 'node'));
  const nodeOnly = { PATH: nodeBin };

  test('passes a fresh synth output and reports every check as JSON', async () => {
    const result = await runCliInProcess(['validate', out, '--json'], { env: nodeOnly });
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { check: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(['kubernetes', 'secrets', 'promtool', 'terraform:kubernetes']),
    );
    expect(report.checks.find((c) => c.check === 'kubernetes')?.status).toBe('passed');
    // A check whose program is missing says so instead of passing.
    expect(report.checks.find((c) => c.check === 'promtool')).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining('promtool is not on the PATH'),
    });
    expect(report.checks.find((c) => c.check === 'terraform:kubernetes')).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining('terraform is not on the PATH'),
    });
  });

  test('fails with exit 2 and lists every finding with its file, object and rule', async () => {
    const broken = path.join(tempDir(), 'broken');
    fs.cpSync(out, broken, { recursive: true });
    const manifest = path.join(broken, 'kubernetes', 'mcpenv.k8s.yaml');
    const text = fs.readFileSync(manifest, 'utf8');
    fs.writeFileSync(
      manifest,
      text.replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false') +
        '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\n  namespace: mcp-dev\nstringData:\n  password: hunter2\n',
    );
    const result = await runCliInProcess(['validate', broken], { env: nodeOnly });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /mcpenv\.k8s\.yaml:\d+ .*StatefulSet mcp-dev\/dev-postgres .*readOnlyRootFilesystem.*\[read-only-root-filesystem\]/,
    );
    expect(result.stderr).toMatch(/Secret mcp-dev\/leaked.*\[no-literal-secrets\]/);
    expect(result.stderr).toMatch(/error: \d+ finding\(s\) in kubernetes/);
  });

  test('fails with exit 2 for a folder that does not exist', () => {
    const result = runCli(['validate', '/nonexistent/out']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('/nonexistent/out is not a folder: run `mcpenv synth` first');
  });
});

describe('mcpenv validate --config and --env', () => {
  const AWS = `name: team
image: ghcr.io/acme/mcp:1.0.0
publicUrl: https://mcp.team.example
dataTier:
  kind: aws
  region: eu-west-1
  vpcCidrs: [10.0.0.0/16]
  network:
    kind: create
    cidrBlock: 10.0.0.0/16
    availabilityZones: [eu-west-1a, eu-west-1b]
    clientSecurityGroupIds: [sg-0123456789abcdef0]
`;

  test('passes a good environment file, writing nothing', async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'team.yaml');
    fs.writeFileSync(file, AWS);
    const result = await runCliInProcess(['validate', '--config', file, '--json'], { cwd });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ environment: 'team', source: file, ok: true });
    expect(fs.readdirSync(cwd)).toEqual(['team.yaml']);
  });

  test('passes a shipped environment by name', async () => {
    const result = await runCliInProcess(['validate', '--env', 'staging']);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('passed  environment staging: schema and construct rules');
  });

  test('fails with exit 2 for a YAML alias bomb, naming the file, with no stack trace', async () => {
    const file = path.join(tempDir(), 'team.yaml');
    const chain = Array.from({ length: 200 }, (_, i) => `y${i + 1}: &y${i + 1} [*y${i}]`).join('\n');
    fs.writeFileSync(file, `${AWS}y0: &y0 [1]\n${chain}\n`);
    const result = await runCliInProcess(['validate', '--config', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `error: ${file} is not a valid environment:\n  - YAML aliases expand too far`,
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  test('fails with exit 2 for a zero a construct refuses, naming the file and the YAML path', async () => {
    const file = path.join(tempDir(), 'team.yaml');
    fs.writeFileSync(file, `${AWS}  redis:\n    numCacheClusters: 0\n`);
    const result = await runCliInProcess(['validate', '--config', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `error: ${file} is not a valid environment:\n  - dataTier.redis.numCacheClusters: must be a whole number from 1 to 6 (got 0); a primary and up to five replicas`,
    );
  });
});
