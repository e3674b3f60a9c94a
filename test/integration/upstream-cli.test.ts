import * as path from 'node:path';
import { loadEnvironment } from '../../app/environments';
import { synthEnvironment } from '../../app/synth';
import { readTree, removeTempDirs, tempDir } from '../helpers/fixtures';
import { run } from '../helpers/programs';

const ROOT = path.resolve(__dirname, '..', '..');
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
/** Offline: no version checks, no telemetry, no crash reports. */
const OFFLINE = {
  CHECKPOINT_DISABLE: '1',
  DISABLE_VERSION_CHECK: 'true',
  CDK8S_CHECK_UPGRADE: 'false',
  CI: 'true',
};

afterAll(removeTempDirs);

describe.each(['dev', 'prod'])('the upstream CLIs and mcpenv agree on %s', (environment) => {
  let mcpenvOut: string;

  beforeAll(() => {
    mcpenvOut = path.join(tempDir(), environment);
    synthEnvironment(loadEnvironment(environment), { outDir: mcpenvOut });
  });

  test('`cdk8s synth` writes the same manifests', () => {
    const out = tempDir('mcpenv-cdk8s-');
    run(bin('cdk8s'), ['synth', '--output', out], {
      cwd: ROOT,
      env: { ...OFFLINE, MCPENV_ENV: environment },
      timeoutMs: 180_000,
    });
    expect(readTree(out)).toEqual(readTree(path.join(mcpenvOut, 'kubernetes')));
  });

  test('`cdktf synth` writes the same Terraform JSON', () => {
    const out = tempDir('mcpenv-cdktf-');
    run(bin('cdktf'), ['synth', '--output', out], {
      cwd: ROOT,
      env: { ...OFFLINE, MCPENV_ENV: environment },
      timeoutMs: 180_000,
    });
    expect(readTree(out)).toEqual(readTree(path.join(mcpenvOut, 'terraform')));
  });
});
