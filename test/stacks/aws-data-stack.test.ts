import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Testing } from 'cdktf';
import { AwsDataStack } from '../../stacks/aws-data-stack';
import { awsSpec } from '../helpers/fixtures';

function synthStack(overrides: Parameters<typeof awsSpec>[0] = {}) {
  const spec = awsSpec(overrides);
  if (spec.dataTier.kind !== 'aws') throw new Error('expected an aws data tier');
  const stack = new AwsDataStack(Testing.app(), { spec, tier: spec.dataTier });
  return Testing.synth(stack, true);
}

describe('AwsDataStack', () => {
  const json = synthStack();

  test('configures the AWS provider for the region with environment tags', () => {
    expect(json).toHaveProviderWithProperties(AwsProvider, {
      region: 'eu-west-1',
      default_tags: [{ tags: { 'mcpenv:environment': 'prod', 'managed-by': 'mcpenv' } }],
    });
  });

  test('creates the KMS key, a VPC, RDS and ElastiCache', () => {
    expect(json).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
    expect(json).toHaveResourceWithProperties(Vpc, { cidr_block: '10.0.0.0/16' });
    expect(json).toHaveResourceWithProperties(DbInstance, {
      storage_encrypted: true,
      publicly_accessible: false,
    });
    expect(json).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      transit_encryption_enabled: true,
      // A string attribute in hashicorp/aws 5.100.
      at_rest_encryption_enabled: 'true',
    });
  });

  test('outputs what a Kubernetes side needs: endpoints, ports, secret ARNs', () => {
    const { output } = JSON.parse(json);
    expect(Object.keys(output).sort()).toEqual([
      'data_kms_key_arn',
      'postgres_address',
      'postgres_database',
      'postgres_port',
      'postgres_secret_arn',
      'redis_address',
      'redis_port',
      'redis_secret_arn',
      'vpc_id',
    ]);
  });

  test('keeps local state at a relative path, so output does not depend on the working folder', () => {
    const { terraform } = JSON.parse(json);
    expect(terraform.backend).toEqual({ local: { path: '../aws-data/terraform.aws-data.tfstate' } });
  });

  test('uses an existing VPC when one is given, creating none', () => {
    const existing = synthStack({
      dataTier: {
        kind: 'aws',
        region: 'eu-west-1',
        vpcCidrs: ['10.9.0.0/16'],
        network: {
          vpcId: 'vpc-0123456789abcdef0',
          privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
          clientSecurityGroupIds: ['sg-0123456789abcdef0'],
        },
      },
    });
    expect(existing).not.toHaveResource(Vpc);
  });
});
