import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironment } from '../../app/environments';
import { synthEnvironment } from '../../app/synth';
import { runCli, runCliInProcess } from '../helpers/cli';
import { removeTempDirs, tempDir } from '../helpers/fixtures';

// The first in-process command of a file loads its libraries: seconds on a busy machine.
jest.setTimeout(60_000);

afterAll(removeTempDirs);

const base = path.join(tempDir(), 'base');
beforeAll(() => {
  synthEnvironment(loadEnvironment('prod'), { outDir: base });
});

/** A copy of the base output with the first aws_db_instance edited. */
function headWithDatabase(edit: (db: Record<string, unknown>) => void): string {
  const head = path.join(tempDir(), 'head');
  fs.cpSync(base, head, { recursive: true });
  const file = path.join(head, 'terraform', 'stacks', 'aws-data', 'cdk.tf.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(Object.values(json.resource.aws_db_instance)[0] as Record<string, unknown>);
  fs.writeFileSync(file, JSON.stringify(json, null, 2));
  return head;
}

const statefulSet = (name: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ${name}
  namespace: shop
spec:
  serviceName: postgres
`;

/** A folder holding one manifest file, as `cdk8s synth` writes it. */
function manifestsFolder(text: string): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'app.k8s.yaml'), text);
  return dir;
}

describe('mcpenv diff', () => {
  test('exits 2 with --fail-on monitoring when an alert changes, and with --fail-on security only for security', async () => {
    const spec = loadEnvironment('prod');
    const head = path.join(tempDir(), 'head');
    synthEnvironment({ ...spec, alerts: { latencyP95ThresholdSeconds: 5 } }, { outDir: head });
    const failing = await runCliInProcess([
      'diff',
      '--base',
      base,
      '--head',
      head,
      '--fail-on',
      'monitoring',
    ]);
    expect(failing.status).toBe(2);
    expect(failing.stdout).toContain('! monitoring: an alert or recording rule changes');
    expect(failing.stderr).toContain('changes at or above --fail-on monitoring');
    const security = await runCliInProcess(['diff', '--base', base, '--head', head, '--fail-on', 'security']);
    expect(security.status).toBe(0);
  });

  test('exits 2 with --fail-on replace when a replacement is planned, 0 without it', async () => {
    const head = headWithDatabase((db) => {
      db.username = 'mcp_owner';
    });
    const failing = await runCliInProcess(['diff', '--base', base, '--head', head, '--fail-on', 'replace']);
    expect(failing.status).toBe(2);
    expect(failing.stdout).toContain('! replace: changing username replaces the aws_db_instance');
    const json = await runCliInProcess(['diff', '--base', base, '--head', head, '--format', 'json']);
    expect(json.status).toBe(0);
  });

  test('exits 2 with --fail-on destroy when a stateful resource is replaced, and says the replacement destroys its data', async () => {
    const head = headWithDatabase((db) => {
      db.storage_encrypted = false;
    });
    const result = await runCliInProcess(['diff', '--base', base, '--head', head, '--fail-on', 'destroy']);
    expect(result.status).toBe(2);
    expect(result.stdout).toContain(
      '! destroy: the replacement destroys the aws_db_instance and its data: the new one starts empty',
    );
    expect(result.stderr).toContain('changes at or above --fail-on destroy');
  });

  test('exits 2 with --fail-on destroy when a StatefulSet in a plain manifests folder is renamed', () => {
    const before = manifestsFolder(statefulSet('mcp-postgres'));
    const after = manifestsFolder(statefulSet('shop-postgres'));
    const result = runCli(['diff', '--base', before, '--head', after, '--fail-on', 'destroy']);
    expect(result.status).toBe(2);
    expect(result.stdout.split('\n')).toEqual([
      '0 changed, 1 added, 1 removed — warnings: 1 destroy',
      '- kubernetes apps/v1 StatefulSet shop/mcp-postgres',
      expect.stringMatching(/^ {4}! destroy: removing the StatefulSet destroys it and its data: /),
      '+ kubernetes apps/v1 StatefulSet shop/shop-postgres',
      '',
    ]);
    expect(result.stderr).toContain('changes at or above --fail-on destroy');
  });

  test('rejects with exit 2 a folder it cannot read, naming it and the layouts it reads', async () => {
    const empty = tempDir();
    const result = await runCliInProcess(['diff', '--base', empty, '--head', base]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${empty} holds no synth output that mcpenv diff can read`);
    expect(result.stderr).toContain('a cdktf output folder (manifest.json and stacks/<stack>/cdk.tf.json');
    expect(result.stderr).toContain('a folder of Kubernetes manifests (*.yaml or *.yml files');
  });

  test('rejects with exit 2 two folders of different layouts', async () => {
    const manifests = manifestsFolder(statefulSet('mcp-postgres'));
    const result = await runCliInProcess(['diff', '--base', base, '--head', manifests]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('compare two folders of one layout');
  });

  test('rejects an unknown format with exit 2', async () => {
    const result = await runCliInProcess(['diff', '--base', base, '--format', 'html']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--format must be one of md, json, text (got "html")');
  });
});
