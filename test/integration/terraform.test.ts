import * as path from 'node:path';
import { loadEnvironment } from '../../app/environments';
import { synthEnvironment } from '../../app/synth';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import { OfflineTerraform, type TerraformPlan } from '../helpers/terraform';

afterAll(removeTempDirs);

describe('the prod AWS stack with the real terraform, offline', () => {
  let terraform: OfflineTerraform;
  let plan: TerraformPlan;

  beforeAll(() => {
    const out = path.join(tempDir(), 'prod');
    synthEnvironment(loadEnvironment('prod'), { outDir: out });
    terraform = new OfflineTerraform(
      path.join(out, 'terraform', 'stacks', 'aws-data'),
      tempDir('mcpenv-tf-'),
    );
    terraform.run('init', '-input=false');
    terraform.run('plan', '-input=false', '-out=plan.tfplan', '-lock=false');
    plan = terraform.showPlan('plan.tfplan');
  }, 600_000);

  test('terraform validate passes', () => {
    expect(terraform.run('validate').stdout).toContain('Success! The configuration is valid.');
  });

  test('the plan creates the data tier key and its alias, and nothing else', () => {
    const changes = plan.resource_changes.map((c) => [
      c.address.replace(/_[0-9A-F]{8}$/, ''),
      c.change.actions,
    ]);
    expect(changes.sort()).toEqual([
      ['aws_kms_alias.DataKey_Alias', ['create']],
      ['aws_kms_key.DataKey', ['create']],
    ]);
  });

  test('the planned key rotates yearly and waits 30 days before deletion', () => {
    const key = plan.planned_values.root_module.resources?.find((r) => r.type === 'aws_kms_key');
    expect(key?.values).toMatchObject({
      enable_key_rotation: true,
      deletion_window_in_days: 30,
      tags_all: { 'mcpenv:environment': 'prod', 'managed-by': 'mcpenv' },
    });
  });
});
