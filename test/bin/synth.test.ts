import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, runCliInProcess } from '../helpers/cli';
import { readTree, removeTempDirs, tempDir } from '../helpers/fixtures';

// The first in-process command of a file loads its libraries: seconds on a busy machine.
jest.setTimeout(60_000);

afterAll(removeTempDirs);

describe('mcpenv synth', () => {
  test('synthesizes the default environment (dev) into dist/dev with a summary on stderr', () => {
    const cwd = tempDir();
    const result = runCli(['synth'], { cwd });
    expect(result.stderr).toMatch(
      /^synthesized dev into dist\/dev in [\d.]+s: 8 files, \d+ Kubernetes objects/m,
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(fs.existsSync(path.join(cwd, 'dist', 'dev', 'kubernetes', 'mcpenv.k8s.yaml'))).toBe(true);
    // dev declares SLOs: the slow burn-rate alerts' cases sit beside the others.
    expect(fs.readdirSync(path.join(cwd, 'dist', 'dev', 'monitoring')).sort()).toEqual([
      'dashboards',
      'rules.slo.test.yaml',
      'rules.test.yaml',
      'rules.yaml',
    ]);
  });

  test('synthesizes prod into --out, with a JSON summary on stdout when asked', async () => {
    const out = path.join(tempDir(), 'out');
    const result = await runCliInProcess(['synth', '--env', 'prod', '--out', out, '--json']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      environment: 'prod',
      outDir: out,
      files: 9,
      kubernetesObjects: expect.any(Number),
      terraformStacks: 2,
      terraformResources: expect.any(Number),
    });
    expect(fs.existsSync(path.join(out, 'terraform', 'stacks', 'aws-data', 'cdk.tf.json'))).toBe(true);
  });

  test('fails with exit 2 for an unknown environment, lists the known ones and leaves the output untouched', async () => {
    const out = path.join(tempDir(), 'out');
    const first = await runCliInProcess(['synth', '--env', 'prod', '--out', out]);
    expect(first.status).toBe(0);
    const before = readTree(out);
    const result = await runCliInProcess(['synth', '--env', 'nosuch', '--out', out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'error: unknown environment "nosuch": known environments are dev, prod, staging',
    );
    expect(readTree(out)).toEqual(before);
  });

  test.each([
    ['availability:\n    objective: 100', 'slo.availability.objective: must be less than 100'],
    ['availability:\n    objective: 0', 'slo.availability.objective: must be at least 93.06'],
    [
      'latency:\n    objective: 99\n    thresholdSeconds: 0.3',
      'slo.latency.thresholdSeconds: must be one of the bucket bounds of mcp_request_duration_seconds',
    ],
  ])(
    'exits 2 for an impossible SLO (%s), naming the field, and leaves the output untouched',
    async (slo, message) => {
      const dir = tempDir();
      const out = path.join(dir, 'out');
      expect((await runCliInProcess(['synth', '--env', 'dev', '--out', out])).status).toBe(0);
      const before = readTree(out);
      const config = path.join(dir, 'team.yaml');
      fs.writeFileSync(
        config,
        `${fs.readFileSync(path.join('app', 'environments', 'dev.yaml'), 'utf8').replace(/\nslo:[\s\S]*$/, '\n')}slo:\n  ${slo}\n`,
      );
      const result = await runCliInProcess(['synth', '--config', config, '--out', out]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(message);
      expect(readTree(out)).toEqual(before);
    },
  );

  test('prints step timings on stderr and rejects an unknown --only part with exit 2', async () => {
    const out = path.join(tempDir(), 'out');
    const result = await runCliInProcess(['synth', '--out', out]);
    expect(result.stderr).toMatch(/^ {2}build chart \d+ ms$/m);
    expect(result.stderr).toMatch(/^ {2}write terraform \d+ ms$/m);
    const bad = await runCliInProcess(['synth', '--out', out, '--only', 'helm']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--only must be one of kubernetes, terraform, monitoring (got "helm")');
  });

  test('fails with exit 2 for an unknown flag', () => {
    const result = runCli(['synth', '--nope']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown option '--nope'");
  });

  test('writes no colour codes when stderr is not a terminal, even without NO_COLOR', () => {
    const result = runCli(['synth', '--env', 'nosuch'], { env: { NO_COLOR: '' } });
    expect(result.stderr).toContain('error: unknown environment');
    expect(result.stderr).not.toContain('\u001b[');
  });

  test('prints the version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const result = await runCliInProcess(['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});

const TEAM = 'name: team\nimage: ghcr.io/acme/mcp:1.0.0\npublicUrl: https://mcp.team.example\n';

describe('mcpenv synth --config', () => {
  test('synthesizes an environment file outside app/environments, into dist/<name>', async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'team.yaml');
    fs.writeFileSync(
      file,
      'name: team\nimage: ghcr.io/acme/mcp:1.0.0\npublicUrl: https://mcp.team.example\n',
    );
    const result = await runCliInProcess(['synth', '--config', file], { cwd });
    expect(result.status).toBe(0);
    expect(fs.existsSync(path.join(cwd, 'dist', 'team', 'kubernetes', 'mcpenv.k8s.yaml'))).toBe(true);
  });

  test('fails with exit 2, naming the field, for a bad file, and writes nothing', async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'team.yaml');
    fs.writeFileSync(
      file,
      'name: team\nimage: ghcr.io/acme/mcp\npublicUrl: https://mcp.team.example\nreplica: 3\n',
    );
    const result = await runCliInProcess(['synth', '--config', file], { cwd });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('image: must be pinned');
    expect(result.stderr).toContain('unknown key "replica"');
    expect(fs.existsSync(path.join(cwd, 'dist'))).toBe(false);
  });

  test('fails with exit 2 for a value a construct refuses, naming the file and the YAML path, and writes nothing', async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'team.yaml');
    fs.writeFileSync(file, `${TEAM}replicas: 4\nmaxReplicas: 2\n`);
    const result = await runCliInProcess(['synth', '--config', file], { cwd });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `error: ${file} is not a valid environment:\n  - maxReplicas: must be a whole number of at least replicas (4) (got 2)`,
    );
    expect(fs.existsSync(path.join(cwd, 'dist'))).toBe(false);
  });

  test('rejects --env together with --config', async () => {
    const result = await runCliInProcess(['synth', '--env', 'dev', '--config', 'x.yaml']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--env and --config name the environment twice');
  });
});

describe('mcpenv schema', () => {
  test('prints a JSON Schema of environment files with every top-level field described', async () => {
    const result = await runCliInProcess(['schema']);
    expect(result.status).toBe(0);
    const schema = JSON.parse(result.stdout) as {
      $schema: string;
      properties: Record<string, { description?: string }>;
      required: string[];
    };
    expect(schema.$schema).toContain('json-schema.org');
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'image', 'publicUrl']));
    for (const [field, property] of Object.entries(schema.properties)) {
      expect({ field, described: Boolean(property.description) }).toEqual({ field, described: true });
    }
  });
});
