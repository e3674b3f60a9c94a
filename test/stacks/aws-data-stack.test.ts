import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Testing } from 'cdktf';
import { AwsDataStack } from '../../stacks/aws-data-stack';
import { awsSpec } from '../helpers/fixtures';

function synthStack() {
  const app = Testing.app();
  const stack = new AwsDataStack(app, { spec: awsSpec(), region: 'eu-west-1' });
  return Testing.synth(stack, true);
}

describe('AwsDataStack', () => {
  test('configures the AWS provider for the region with environment tags', () => {
    expect(synthStack()).toHaveProviderWithProperties(AwsProvider, {
      region: 'eu-west-1',
      default_tags: [{ tags: { 'mcpenv:environment': 'prod', 'managed-by': 'mcpenv' } }],
    });
  });

  test('creates the data tier encryption key', () => {
    expect(synthStack()).toHaveResourceWithProperties(KmsKey, {
      enable_key_rotation: true,
      description: 'mcpenv prod: data tier encryption',
    });
  });

  test('keeps local state at a relative path, so output does not depend on the working folder', () => {
    const { terraform } = JSON.parse(synthStack());
    expect(terraform.backend).toEqual({ local: { path: 'terraform.aws-data.tfstate' } });
    expect(terraform.required_providers.aws).toEqual({ source: 'aws', version: '5.100.0' });
  });
});
