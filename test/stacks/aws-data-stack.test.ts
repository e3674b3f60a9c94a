import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Testing } from 'cdktf';
import type { AwsDataTierSpec } from '../../constructs/spec';
import { AwsDataStack } from '../../stacks/aws-data-stack';
import { awsSpec } from '../helpers/fixtures';

function synthStack(overrides: Parameters<typeof awsSpec>[0] = {}) {
  const spec = awsSpec(overrides);
  if (spec.dataTier?.kind !== 'aws') throw new Error('expected an aws data tier');
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
          kind: 'existing',
          vpcId: 'vpc-0123456789abcdef0',
          privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
          clientSecurityGroupIds: ['sg-0123456789abcdef0'],
        },
      },
    });
    expect(existing).not.toHaveResource(Vpc);
  });

  test('passes dataTier.postgres and dataTier.redis to RdsPostgres and ElastiCacheRedis under their own names', () => {
    const tier = awsSpec().dataTier as AwsDataTierSpec;
    const json = synthStack({
      dataTier: {
        ...tier,
        postgres: { production: false, allocatedStorageGb: 50, logMinDurationStatementMs: 0 },
        redis: { numCacheClusters: 1, snapshotRetentionDays: 0 },
      },
    });
    expect(json).toHaveResourceWithProperties(DbInstance, {
      allocated_storage: 50,
      deletion_protection: false,
    });
    expect(json).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      num_cache_clusters: 1,
      automatic_failover_enabled: false,
      snapshot_retention_limit: 0,
    });
  });

  test.each<[string, Partial<AwsDataTierSpec>, string]>([
    [
      'zero storage',
      { postgres: { allocatedStorageGb: 0 } },
      'AwsDataStack: `dataTier.postgres.allocatedStorageGb` must be a whole number from 20 to 65536 (got 0)',
    ],
    [
      'zero days of backups',
      { postgres: { backupRetentionDays: 0 } },
      'AwsDataStack: `dataTier.postgres.backupRetentionDays` must be a whole number from 7 to 35 (got 0)',
    ],
    [
      'zero cache nodes',
      { redis: { numCacheClusters: 0 } },
      'AwsDataStack: `dataTier.redis.numCacheClusters` must be a whole number from 1 to 6 (got 0)',
    ],
    [
      'an existing network with one subnet',
      {
        network: {
          kind: 'existing',
          vpcId: 'vpc-0123456789abcdef0',
          privateSubnetIds: ['subnet-0123456789abcdef0'],
          clientSecurityGroupIds: ['sg-0123456789abcdef0'],
        },
      },
      'AwsDataStack: `dataTier.network.privateSubnetIds` must list at least 2 ids',
    ],
    [
      'a network without client security groups',
      {
        network: {
          kind: 'create',
          cidrBlock: '10.0.0.0/16',
          availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        },
      },
      'AwsDataStack: `dataTier.network.clientSecurityGroupIds` must list at least one id (got [])',
    ],
  ])('rejects %s, naming the spec path of the prop', (_case, override, message) => {
    const tier = awsSpec().dataTier as AwsDataTierSpec;
    expect(() => synthStack({ dataTier: { ...tier, ...override } })).toThrow(message);
  });
});
