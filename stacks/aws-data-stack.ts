import '../constructs/peers/provider-aws';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { type PropOrigins, reportedAs } from '../constructs/errors';
import {
  type AwsDataTierSpec,
  type McpEnvironmentSpec,
  type NetworkSpec,
  optionsOf,
} from '../constructs/spec';
import { DataEncryptionKey } from '../constructs/tf/data-encryption-key';
import { DataNetwork, Network } from '../constructs/tf/network';
import { RdsPostgres } from '../constructs/tf/postgres';
import { ElastiCacheRedis } from '../constructs/tf/redis';
import { configureBackend } from './backend';
import type { AwsDataConnections } from './kubernetes-stack';

/** Stack id; also its folder under `<out>/terraform/stacks/`. A public contract: never rename. */
export const AWS_DATA_STACK_ID = 'aws-data';

export interface AwsDataStackProps {
  readonly spec: McpEnvironmentSpec;
  readonly tier: AwsDataTierSpec;
}

/** How the stack signs the prop errors it reports under the spec's paths. */
export const AWS_DATA_STACK_NAME = 'AwsDataStack';

/** The spec's paths for the props of the constructs the stack makes from it. */
const SPEC_PATHS: PropOrigins = {
  'Network.existing': { prefix: 'dataTier.network.' },
  'Network.create': { prefix: 'dataTier.network.', props: { name: 'name' } },
  DataNetwork: { prefix: 'dataTier.' },
  RdsPostgres: { prefix: 'dataTier.postgres.', props: { name: 'name', network: 'dataTier.network' } },
  ElastiCacheRedis: { prefix: 'dataTier.redis.', props: { name: 'name', network: 'dataTier.network' } },
};

function networkOf(network: NetworkSpec, name: string): Network {
  return network.kind === 'existing'
    ? Network.existing(optionsOf(network))
    : Network.create({ ...optionsOf(network), name: `mcpenv-${name}` });
}

/**
 * The AWS-managed data tier of an environment: network (existing or new private subnets), a
 * customer-managed KMS key, Postgres on RDS and Redis on ElastiCache, and the outputs a
 * Kubernetes side consumes. A prop error of a construct it makes is reported under the spec's
 * path for that prop.
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

    const fromSpec = <T>(build: () => T): T => reportedAs(AWS_DATA_STACK_NAME, SPEC_PATHS, build);
    this.network = fromSpec(
      () => new DataNetwork(this, 'Network', { network: networkOf(tier.network, spec.name) }),
    );
    const placement = { name: spec.name, network: this.network, encryptionKey: this.encryptionKey };
    this.postgres = fromSpec(() => new RdsPostgres(this, 'Postgres', { ...tier.postgres, ...placement }));
    this.redis = fromSpec(() => new ElastiCacheRedis(this, 'Redis', { ...tier.redis, ...placement }));

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
