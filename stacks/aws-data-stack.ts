import '../constructs/peers/provider-aws';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { McpEnvironmentSpec } from '../constructs/spec';
import { DataEncryptionKey } from '../constructs/tf/data-encryption-key';
import { DataNetwork, Network } from '../constructs/tf/network';
import { RdsPostgres } from '../constructs/tf/postgres';
import { ElastiCacheRedis } from '../constructs/tf/redis';
import { configureBackend } from './backend';
import type { AwsDataConnections } from './kubernetes-stack';

/** Stack id; also its folder under `<out>/terraform/stacks/`. A public contract: never rename. */
export const AWS_DATA_STACK_ID = 'aws-data';

type AwsDataTier = Extract<McpEnvironmentSpec['dataTier'], { kind: 'aws' }>;

export interface AwsDataStackProps {
  readonly spec: McpEnvironmentSpec;
  readonly tier: AwsDataTier;
}

/**
 * The AWS-managed data tier of an environment: network (existing or new private subnets), a
 * customer-managed KMS key, Postgres on RDS and Redis on ElastiCache, and the outputs a
 * Kubernetes side consumes.
 */
export class AwsDataStack extends TerraformStack {
  readonly encryptionKey: DataEncryptionKey;
  readonly network: DataNetwork;
  readonly postgres: RdsPostgres;
  readonly redis: ElastiCacheRedis;
  /** What the Kubernetes stack reads from this one (cross-stack references). */
  readonly connections: AwsDataConnections;

  constructor(scope: Construct, props: AwsDataStackProps) {
    super(scope, AWS_DATA_STACK_ID);
    const { spec, tier } = props;
    configureBackend(this, spec, AWS_DATA_STACK_ID);

    new AwsProvider(this, 'aws', {
      region: tier.region,
      defaultTags: [{ tags: { 'mcpenv:environment': spec.name, 'managed-by': 'mcpenv' } }],
    });

    this.encryptionKey = new DataEncryptionKey(this, 'DataKey', {
      alias: `mcpenv/${spec.name}/data`,
      description: `mcpenv ${spec.name}: data tier encryption`,
    });

    const net = tier.network;
    this.network = new DataNetwork(this, 'Network', {
      network:
        net.vpcId !== undefined
          ? Network.existing({
              vpcId: net.vpcId,
              privateSubnetIds: [...(net.privateSubnetIds ?? [])],
              clientSecurityGroupIds: [...net.clientSecurityGroupIds],
            })
          : Network.create({
              cidrBlock: tier.vpcCidrs[0] as string,
              availabilityZones: [...(net.availabilityZones ?? [])],
              clientSecurityGroupIds: [...net.clientSecurityGroupIds],
              name: `mcpenv-${spec.name}`,
            }),
    });

    const pg = tier.postgres;
    this.postgres = new RdsPostgres(this, 'Postgres', {
      name: spec.name,
      network: this.network,
      encryptionKey: this.encryptionKey,
      production: tier.production,
      ...(pg.engineVersion ? { engineVersion: pg.engineVersion } : {}),
      ...(pg.instanceClass ? { instanceClass: pg.instanceClass } : {}),
      ...(pg.allocatedStorageGb ? { allocatedStorageGb: pg.allocatedStorageGb } : {}),
      ...(pg.backupRetentionDays ? { backupRetentionDays: pg.backupRetentionDays } : {}),
      ...(pg.multiAz === undefined ? {} : { multiAz: pg.multiAz }),
    });

    const redis = tier.redis;
    this.redis = new ElastiCacheRedis(this, 'Redis', {
      name: spec.name,
      network: this.network,
      encryptionKey: this.encryptionKey,
      ...(redis.engineVersion ? { engineVersion: redis.engineVersion } : {}),
      ...(redis.nodeType ? { nodeType: redis.nodeType } : {}),
      ...(redis.nodes ? { numCacheClusters: redis.nodes } : {}),
    });

    const output = (id: string, value: string | number, description: string) =>
      new TerraformOutput(this, id, { value, description });
    output('data_kms_key_arn', this.encryptionKey.key.arn, 'ARN of the KMS key that encrypts the data tier.');
    output('vpc_id', this.network.vpcId, 'VPC of the data tier.');
    output('postgres_address', this.postgres.endpointAddress, 'Host name of the RDS instance.');
    output('postgres_port', this.postgres.port, 'Port of the RDS instance.');
    output('postgres_database', this.postgres.databaseName, 'Database name.');
    output(
      'postgres_secret_arn',
      this.postgres.masterUserSecretArn,
      'Secrets Manager secret RDS manages for the master user.',
    );
    output('redis_address', this.redis.primaryEndpointAddress, 'Primary endpoint of the ElastiCache group.');
    output('redis_port', this.redis.port, 'Port of the ElastiCache group.');
    output(
      'redis_secret_arn',
      this.redis.authTokenSecretArn,
      'Secrets Manager secret holding the Redis auth token.',
    );

    this.connections = {
      region: tier.region,
      postgresAddress: this.postgres.endpointAddress,
      postgresPort: this.postgres.port,
      postgresDatabase: this.postgres.databaseName,
      postgresSecretArn: this.postgres.masterUserSecretArn,
      redisAddress: this.redis.primaryEndpointAddress,
      redisPort: this.redis.port,
      redisSecretArn: this.redis.authTokenSecretArn,
    };
  }
}
