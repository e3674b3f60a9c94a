import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import {
  DataEncryptionKey,
  ElastiCacheRedis,
  type ElastiCacheRedisProps,
  type IDataNetwork,
} from '../../../constructs/tf';

const NETWORK: IDataNetwork = {
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  privateSubnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0a1b2c3d4e5f67891'],
  clientSecurityGroupIds: ['sg-0a1b2c3d4e5f67890', 'sg-0a1b2c3d4e5f67891'],
};

type Overrides = Partial<Omit<ElastiCacheRedisProps, 'encryptionKey'>>;

const synth = (overrides: Overrides = {}) =>
  Testing.synthScope((scope) => {
    const encryptionKey = new DataEncryptionKey(scope, 'DataKey');
    new ElastiCacheRedis(scope, 'Redis', { name: 'prod', network: NETWORK, encryptionKey, ...overrides });
  });

type Resources = Record<string, Record<string, Record<string, unknown>>>;
const resourcesOf = (json: string): Resources => JSON.parse(json).resource ?? {};
const groupOf = (json: string) =>
  Object.values(resourcesOf(json).aws_elasticache_replication_group ?? {})[0] ?? {};
const KEY_ARN = expect.stringMatching(/^\$\{aws_kms_key\.DataKey_[A-Z0-9]+\.arn\}$/);

/** Every string in a JSON document, with the key it sits under. */
function stringsOf(value: unknown, key = ''): [string, string][] {
  if (typeof value === 'string') return [[key, value]];
  if (Array.isArray(value)) return value.flatMap((item) => stringsOf(item, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringsOf(v, k));
  return [];
}

describe('ElastiCacheRedis', () => {
  test('creates a Redis 7 replication group with a replica, failover and Multi-AZ', () => {
    expect(synth()).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      replication_group_id: 'mcpenv-prod',
      engine: 'redis',
      engine_version: '7.1',
      parameter_group_name: 'default.redis7',
      node_type: 'cache.t4g.small',
      num_cache_clusters: 2,
      port: 6379,
      automatic_failover_enabled: true,
      multi_az_enabled: true,
      auto_minor_version_upgrade: 'true',
    });
  });

  test('requires TLS and encrypts at rest with the data key', () => {
    expect(synth()).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      transit_encryption_enabled: true,
      transit_encryption_mode: 'required',
      at_rest_encryption_enabled: 'true',
      kms_key_id: KEY_ARN,
    });
  });

  test('turns failover and Multi-AZ off for a single node', () => {
    expect(synth({ numCacheClusters: 1 })).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      num_cache_clusters: 1,
      automatic_failover_enabled: false,
      multi_az_enabled: false,
    });
  });

  test.each([3, 6])('keeps failover and Multi-AZ on with %p nodes', (numCacheClusters) => {
    expect(synth({ numCacheClusters })).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      num_cache_clusters: numCacheClusters,
      automatic_failover_enabled: true,
      multi_az_enabled: true,
    });
  });

  test('keeps one day of snapshots by default, and the windows ElastiCache chooses', () => {
    const group = groupOf(synth());
    expect(group.snapshot_retention_limit).toBe(1);
    expect(group).not.toHaveProperty('snapshot_window');
    expect(group).not.toHaveProperty('maintenance_window');
  });

  test('uses the snapshot retention, windows, node type and id given', () => {
    expect(
      synth({
        replicationGroupId: 'orders-cache',
        nodeType: 'cache.r7g.large',
        snapshotRetentionDays: 0,
        snapshotWindow: '23:30-00:30',
        maintenanceWindow: 'sun:05:00-sun:06:00',
      }),
    ).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      replication_group_id: 'orders-cache',
      node_type: 'cache.r7g.large',
      snapshot_retention_limit: 0,
      snapshot_window: '23:30-00:30',
      maintenance_window: 'sun:05:00-sun:06:00',
    });
  });

  test('takes the AUTH token from a sensitive, required, validated Terraform variable named after it', () => {
    const json = synth();
    expect(json).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      auth_token: '${var.redis_prod_auth_token}',
      auth_token_update_strategy: 'ROTATE',
    });
    const variable = JSON.parse(json).variable.redis_prod_auth_token;
    expect(variable).toEqual({
      type: 'string',
      sensitive: true,
      nullable: false,
      description: expect.stringContaining('Pass it as TF_VAR_redis_prod_auth_token'),
      validation: [
        {
          condition: '${can(regex("^[A-Za-z0-9!&#$^<>-]{16,128}$", var.redis_prod_auth_token))}',
          error_message: expect.stringContaining('16 to 128 characters'),
        },
      ],
    });
  });

  test('derives the variable from the name, "-" as "_", so two caches named apart never share it', () => {
    const json = Testing.synthScope((scope) => {
      const encryptionKey = new DataEncryptionKey(scope, 'DataKey');
      new ElastiCacheRedis(scope, 'Sessions', { name: 'eu-sessions', network: NETWORK, encryptionKey });
      new ElastiCacheRedis(scope, 'Cache', { name: 'eu-cache', network: NETWORK, encryptionKey });
    });
    expect(Object.keys(JSON.parse(json).variable).sort()).toEqual([
      'redis_eu_cache_auth_token',
      'redis_eu_sessions_auth_token',
    ]);
  });

  test('names the variable as asked', () => {
    const json = synth({ authTokenVariableName: 'sessions_redis_auth_token' });
    expect(Object.keys(JSON.parse(json).variable)).toEqual(['sessions_redis_auth_token']);
    expect(json).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      auth_token: '${var.sessions_redis_auth_token}',
    });
  });

  test('never writes the AUTH token, or anything like a secret, as a literal', () => {
    const json = synth();
    const document = JSON.parse(json);
    expect(JSON.stringify(document.variable)).not.toMatch(/"default"/);
    const strings = stringsOf(document);
    const secrets = strings.filter(([key]) => ['auth_token', 'password', 'secret_string'].includes(key));
    expect(secrets.map(([key]) => key).sort()).toEqual(['auth_token', 'secret_string']);
    for (const [, value] of secrets) expect(value).toMatch(/^\$\{.*\bvar\.redis_prod_auth_token\b.*\}$/);
    // Upper case, lower case and digits, 16 characters or more, outside any expression.
    const secretLike = /^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)[A-Za-z0-9!&#$^<>_+=/-]{16,}$/;
    expect(strings.filter(([, value]) => !value.includes('${') && secretLike.test(value))).toEqual([]);
  });

  test('stores host, port, AUTH token and TLS flag in a secret encrypted with the data key', () => {
    const json = synth();
    expect(json).toHaveResourceWithProperties(SecretsmanagerSecret, {
      name: 'mcpenv-prod/redis-connection',
      kms_key_id: KEY_ARN,
      recovery_window_in_days: 7,
    });
    expect(json).toHaveResourceWithProperties(SecretsmanagerSecretVersion, {
      secret_id: expect.stringMatching(/^\$\{aws_secretsmanager_secret\..+\.id\}$/),
      secret_string: expect.stringMatching(
        /^\$\{jsonencode\(\{"host" = aws_elasticache_replication_group\.Redis_[A-Z0-9]+\.primary_endpoint_address, "port" = 6379, "password" = var\.redis_prod_auth_token, "tls" = true\}\)\}$/,
      ),
    });
  });

  test('places the cache in a subnet group over the private subnets', () => {
    const json = synth();
    expect(json).toHaveResourceWithProperties(ElasticacheSubnetGroup, {
      name: 'mcpenv-prod',
      subnet_ids: NETWORK.privateSubnetIds,
    });
    expect(groupOf(json).subnet_group_name).toMatch(/^\$\{aws_elasticache_subnet_group\..+\.name\}$/);
  });

  test('admits each client security group on 6379 only, never a CIDR, and opens no egress', () => {
    const json = synth();
    const resources = resourcesOf(json);
    expect(json).toHaveResourceWithProperties(SecurityGroup, {
      name: 'mcpenv-prod-redis',
      vpc_id: NETWORK.vpcId,
    });
    const [group] = Object.values(resources.aws_security_group ?? {});
    expect(group).not.toHaveProperty('ingress');
    expect(group).not.toHaveProperty('egress');
    const rules = Object.values(resources.aws_vpc_security_group_ingress_rule ?? {});
    expect(rules.map((rule) => rule.referenced_security_group_id)).toEqual(NETWORK.clientSecurityGroupIds);
    for (const rule of rules) {
      expect(rule).toMatchObject({ ip_protocol: 'tcp', from_port: 6379, to_port: 6379 });
      expect(Object.keys(rule).filter((key) => key.startsWith('cidr'))).toEqual([]);
      expect(rule).not.toHaveProperty('prefix_list_id');
    }
    expect(json).not.toHaveResource(VpcSecurityGroupEgressRule);
    expect(json).not.toMatch(/0\.0\.0\.0\/0|::\/0/);
    expect(groupOf(json).security_group_ids).toEqual([
      expect.stringMatching(/^\$\{aws_security_group\..+\.id\}$/),
    ]);
  });

  test('admits the client security groups given instead of the network ones', () => {
    const json = synth({ clientSecurityGroupIds: ['sg-0a1b2c3d4e5f6789a'] });
    const rules = Object.values(resourcesOf(json).aws_vpc_security_group_ingress_rule ?? {});
    expect(rules.map((rule) => rule.referenced_security_group_id)).toEqual(['sg-0a1b2c3d4e5f6789a']);
  });

  test('exposes the endpoint, port, secret ARN and variable', () => {
    let redis: ElastiCacheRedis | undefined;
    const json = Testing.synthScope((scope) => {
      const encryptionKey = new DataEncryptionKey(scope, 'DataKey');
      redis = new ElastiCacheRedis(scope, 'Redis', { name: 'prod', network: NETWORK, encryptionKey });
      new TerraformOutput(scope, 'address', { value: redis.primaryEndpointAddress });
      new TerraformOutput(scope, 'secret', { value: redis.authTokenSecretArn });
    });
    const values = Object.values(JSON.parse(json).output as Record<string, { value: string }>).map(
      (o) => o.value,
    );
    expect(values).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^\$\{aws_elasticache_replication_group\.Redis_[A-Z0-9]+\.primary_endpoint_address\}$/,
        ),
        expect.stringMatching(/^\$\{aws_secretsmanager_secret\..+\.arn\}$/),
      ]),
    );
    expect(redis?.port).toBe(6379);
    expect(redis?.authTokenVariable.sensitive).toBe(true);
    expect(redis?.replicationGroupId).toBe('mcpenv-prod');
  });

  test('rejects a replication group id ElastiCache does not accept', () => {
    expect(() => synth({ replicationGroupId: 'a'.repeat(41) })).toThrow(
      /ElastiCacheRedis: `replicationGroupId` must be a valid replication group id: .*at most 40 characters/,
    );
  });

  test('rejects a name that makes a replication group id ElastiCache does not accept', () => {
    expect(() => synth({ name: 'Prod' })).toThrow(
      /`name` must make a valid replication group id "mcpenv-<name>".* \(got "Prod"\)/,
    );
  });

  test.each(['6.2', '7', '7.1.0', 'latest'])('rejects engine version %s', (engineVersion) => {
    expect(() => synth({ engineVersion })).toThrow(
      /`engineVersion` must be a Redis OSS 7 version as major.minor such as "7.1"/,
    );
  });

  test('rejects a node type that is not an ElastiCache node type', () => {
    expect(() => synth({ nodeType: 'db.t4g.small' })).toThrow(
      /`nodeType` must be an ElastiCache node type such as "cache.t4g.small" \(got "db.t4g.small"\)/,
    );
  });

  test.each([0, 7])('rejects %p nodes', (numCacheClusters) => {
    expect(() => synth({ numCacheClusters })).toThrow(
      /`numCacheClusters` must be a whole number from 1 to 6 \(got \d\); a primary and up to five replicas/,
    );
  });

  test('rejects snapshot retention beyond 35 days', () => {
    expect(() => synth({ snapshotRetentionDays: 36 })).toThrow(
      /`snapshotRetentionDays` must be a whole number from 0 to 35 \(got 36\)/,
    );
  });

  test('rejects a snapshot window shorter than an hour', () => {
    expect(() => synth({ snapshotWindow: '02:00-02:30' })).toThrow(
      /`snapshotWindow` must be a UTC window of at least 60 minutes such as "02:00-03:00" \(got "02:00-02:30"\)/,
    );
  });

  test('rejects a malformed maintenance window', () => {
    expect(() => synth({ maintenanceWindow: 'sunday 03:00' })).toThrow(
      /`maintenanceWindow` must be a UTC window of at least 60 minutes such as "sun:03:00-sun:04:00"/,
    );
  });

  test('rejects two caches with one replication group id in a stack, naming both', () => {
    expect(() =>
      Testing.synthScope((scope) => {
        const encryptionKey = new DataEncryptionKey(scope, 'DataKey');
        new ElastiCacheRedis(scope, 'First', { name: 'prod', network: NETWORK, encryptionKey });
        new ElastiCacheRedis(scope, 'Second', {
          name: 'prod',
          network: NETWORK,
          encryptionKey,
          authTokenVariableName: 'second_redis_auth_token',
        });
      }),
    ).toThrow(
      /^ElastiCacheRedis: ElastiCache replication group id "mcpenv-prod" is used by both `[^`]*\/First` and `[^`]*\/Second`: .*; give one of them a different `name` or `replicationGroupId`$/,
    );
  });

  test('rejects two caches sharing one AUTH token variable in a stack, naming both', () => {
    expect(() =>
      Testing.synthScope((scope) => {
        const encryptionKey = new DataEncryptionKey(scope, 'DataKey');
        for (const name of ['eu', 'us']) {
          new ElastiCacheRedis(scope, name, {
            name,
            network: NETWORK,
            encryptionKey,
            authTokenVariableName: 'redis_auth_token',
          });
        }
      }),
    ).toThrow(
      /^ElastiCacheRedis: Terraform variable "redis_auth_token" is used by both `[^`]*\/eu` and `[^`]*\/us`: both caches would take their AUTH token from the one variable \(TF_VAR_redis_auth_token\); give one of them a different `name` or `authTokenVariableName`$/,
    );
  });

  test("rejects a stack variable of the org's own named like the AUTH token variable", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'data');
    const encryptionKey = new DataEncryptionKey(stack, 'DataKey');
    new ElastiCacheRedis(stack, 'Redis', { name: 'prod', network: NETWORK, encryptionKey });
    new TerraformVariable(stack, 'OrgToken', { type: 'string' }).overrideLogicalId('redis_prod_auth_token');
    expect(() => Testing.synth(stack, true)).toThrow(
      /Terraform variable "redis_prod_auth_token" is used by both `data\/OrgToken` and `data\/Redis\/AuthToken`: .*; rename the other variable, or set `authTokenVariableName`/,
    );
  });

  test('rejects a name that makes no Terraform variable name', () => {
    expect(() => synth({ name: 'prod.eu', replicationGroupId: 'mcpenv-prod-eu' })).toThrow(
      /`name` must make a Terraform variable name "redis_<name>_auth_token".*\(got "prod.eu"\); or set `authTokenVariableName`/,
    );
  });

  test('rejects a variable name that cannot be set through the environment', () => {
    expect(() => synth({ authTokenVariableName: 'redis-auth-token' })).toThrow(
      /`authTokenVariableName` must be letters, digits and "_".*TF_VAR_<name>/,
    );
  });

  test('rejects a network with fewer than two private subnets', () => {
    expect(() => synth({ network: { ...NETWORK, privateSubnetIds: [] } })).toThrow(
      /ElastiCacheRedis: `network.privateSubnetIds` must list at least 2 ids/,
    );
  });

  test('rejects an empty list of client security groups', () => {
    expect(() => synth({ clientSecurityGroupIds: [] })).toThrow(
      /ElastiCacheRedis: `clientSecurityGroupIds` must list at least one id \(got \[\]\)/,
    );
  });

  test.each([
    ['name', /ElastiCacheRedis: `name` is required: pass a short name such as the environment name/],
    ['network', /ElastiCacheRedis: `network` is required: pass a DataNetwork/],
    ['encryptionKey', /ElastiCacheRedis: `encryptionKey` is required: pass a DataEncryptionKey/],
  ])('fails with a ValidationError when %s is missing (plain JavaScript)', (prop, message) => {
    expect(() =>
      Testing.synthScope((scope) => {
        const props: Record<string, unknown> = {
          name: 'prod',
          network: NETWORK,
          encryptionKey: new DataEncryptionKey(scope, 'DataKey'),
        };
        delete props[prop];
        new ElastiCacheRedis(scope, 'ElastiCacheRedis', props as unknown as ElastiCacheRedisProps);
      }),
    ).toThrow(message);
  });
});
