import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironment } from '../../app/environments';
import { synthEnvironment } from '../../app/synth';
import { checkTerraformSecrets, scanForCredentials } from '../../app/validate';
import { readTree, removeTempDirs, tempDir } from '../helpers/fixtures';

afterAll(removeTempDirs);

describe.each(['dev', 'staging', 'prod'])('every file synthesized for %s', (environment) => {
  const out = path.join(tempDir(), environment);
  beforeAll(() => {
    synthEnvironment(loadEnvironment(environment), { outDir: out });
  });

  test('holds no credential-shaped value', () => {
    const findings = [...readTree(out)].flatMap(([file, bytes]) =>
      scanForCredentials(bytes.toString('utf8'), file),
    );
    expect(findings).toEqual([]);
  });

  test('passes secrets to Terraform only as expressions, never literals', () => {
    const stacks = path.join(out, 'terraform', 'stacks');
    const files = fs.readdirSync(stacks).map((stack) => path.join(stacks, stack, 'cdk.tf.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(checkTerraformSecrets(JSON.parse(fs.readFileSync(file, 'utf8')), file)).toEqual([]);
    }
  });
});

describe('the secret checks', () => {
  test('catch a literal password in Terraform JSON and a credential in any text', () => {
    const stack = { resource: { aws_db_instance: { db: { password: 'hunter2hunter2', username: 'mcp' } } } };
    expect(checkTerraformSecrets(stack, 'x.json')).toEqual([
      expect.objectContaining({ rule: 'no-literal-secrets', path: 'resource.aws_db_instance.db.password' }),
    ]);
    expect(
      checkTerraformSecrets({ resource: { x: { y: { password: '${var.db_password}' } } } }, 'x.json'),
    ).toEqual([]);
    expect(scanForCredentials('url: postgres://app:s3cret@db:5432/x', 'f')).toHaveLength(1);
    expect(scanForCredentials('key: AKIAABCDEFGHIJKLMNOP', 'f')).toHaveLength(1);
    expect(scanForCredentials('host: db.internal', 'f')).toEqual([]);
  });
});
