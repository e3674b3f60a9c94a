import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Fn, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { invalidProp } from '../errors';
import { requireProps } from '../validators';
import type { DataEncryptionKey } from './data-encryption-key';
import {
  checkNetworkShape,
  checkWholeNumber,
  checkWindow,
  claimName,
  clientOnlySecurityGroup,
  isAwsName,
  variableNameIsUnique,
} from './internal';
import type { IDataNetwork } from './network';

/** The port Redis listens on. */
const REDIS_PORT = 6379;

/**
 * What ElastiCache accepts as an AUTH token: 16 to 128 characters, letters, digits and
 * `! & # $ ^ < > -` only (the CreateReplicationGroup API reference; stricter than "printable, no
 * @ \" /", so a token that passes here is never refused by AWS).
 */
const AUTH_TOKEN_PATTERN = '^[A-Za-z0-9!&#$^<>-]{16,128}$';

export interface ElastiCacheRedisProps {
  /**
   * Short name of the cache, such as the environment name (`prod`); the replication group id and
   * the names of its subnet group, security group and secret derive from it.
   */
  readonly name: string;
  /** Where the cache lives and which clients may connect (a `DataNetwork`, or any `IDataNetwork`). */
  readonly network: IDataNetwork;
  /** Key that encrypts the cache at rest, its snapshots, and the connection secret. */
  readonly encryptionKey: DataEncryptionKey;
  /**
   * Security groups allowed to connect on 6379.
   * @default - the network's `clientSecurityGroupIds`
   */
  readonly clientSecurityGroupIds?: string[];
  /**
   * Replication group id: lowercase letters, digits and single hyphens, starting with a letter, at
   * most 40 characters. Changing it replaces the cache. Unique among the stack's caches: the names
   * of the subnet group, the security group and the connection secret derive from it.
   * @default - `mcpenv-<name>`
   */
  readonly replicationGroupId?: string;
  /**
   * Redis OSS 7 version, `major.minor`; the default parameter group `default.redis7` goes with it.
   * @default '7.1'
   */
  readonly engineVersion?: string;
  /**
   * Node type.
   * @default 'cache.t4g.small'
   */
  readonly nodeType?: string;
  /**
   * Nodes: a primary and up to five replicas (1 to 6). With more than one, automatic failover and
   * Multi-AZ are on.
   * @default 2
   */
  readonly numCacheClusters?: number;
  /**
   * Days ElastiCache keeps automatic snapshots, 0 to 35 (0 turns them off).
   * @default 1
   */
  readonly snapshotRetentionDays?: number;
  /**
   * Daily snapshot window in UTC, `hh24:mi-hh24:mi`, at least 60 minutes.
   * @default - chosen by ElastiCache
   */
  readonly snapshotWindow?: string;
  /**
   * Weekly maintenance window in UTC, `ddd:hh24:mi-ddd:hh24:mi`, at least 60 minutes.
   * @default - chosen by ElastiCache
   */
  readonly maintenanceWindow?: string;
  /**
   * Name of the Terraform variable that carries the AUTH token; operators set it as the
   * environment variable `TF_VAR_<variable name>`. Unique in the stack, so each cache has its own.
   * @default - `redis_<name>_auth_token` with "-" as "_": `TF_VAR_redis_prod_auth_token` for the name `prod`
   */
  readonly authTokenVariableName?: string;
}

const WHERE = 'ElastiCacheRedis';

/**
 * Redis OSS on Amazon ElastiCache (a replication group, cluster mode off), private and encrypted:
 * TLS required, AUTH token required, encrypted at rest with the data key, reachable on 6379 from
 * the client security groups only.
 *
 * The AUTH token comes from a sensitive Terraform variable (`redis_<name>_auth_token`, set as
 * `TF_VAR_redis_<name>_auth_token`), so it is never written into the configuration; consumers
 * read it, with the endpoint, from a Secrets Manager secret encrypted with the data key. Terraform state does hold it (ElastiCache's
 * `auth_token` and the secret's value are ordinary attributes): keep state encrypted.
 */
export class ElastiCacheRedis extends Construct {
  /** The replication group (the construct's `Resource`). */
  readonly replicationGroup: ElasticacheReplicationGroup;
  /** The cache's security group: 6379 from the client security groups, nothing else. */
  readonly securityGroup: SecurityGroup;
  readonly subnetGroup: ElasticacheSubnetGroup;
  /** Host name of the primary endpoint (known after apply). */
  readonly primaryEndpointAddress: string;
  /** Port the cache listens on. */
  readonly port: number = REDIS_PORT;
  /**
   * Secret whose value is JSON: `host`, `port`, `password` (the AUTH token) and `tls` (always
   * true: clients must connect with TLS, e.g. a `rediss://` URL).
   */
  readonly authTokenSecret: SecretsmanagerSecret;
  /** ARN of `authTokenSecret`. */
  readonly authTokenSecretArn: string;
  /** The sensitive variable that carries the AUTH token. */
  readonly authTokenVariable: TerraformVariable;
  /** The replication group id. */
  readonly replicationGroupId: string;

  constructor(scope: Construct, id: string, props: ElastiCacheRedisProps) {
    super(scope, id);
    requireProps(WHERE, props, {
      name: 'pass a short name such as the environment name ("prod"); the cache\'s AWS names derive from it',
      network:
        'pass a DataNetwork (or any IDataNetwork) with the VPC, its private subnets and the client security groups',
      encryptionKey: 'pass a DataEncryptionKey',
    });
    const replicationGroupId = props.replicationGroupId ?? `mcpenv-${props.name}`;
    if (!isAwsName(replicationGroupId, 40)) {
      const derived = props.replicationGroupId === undefined;
      throw invalidProp(
        WHERE,
        derived ? 'name' : 'replicationGroupId',
        derived
          ? 'make a valid replication group id "mcpenv-<name>": lowercase letters, digits and single ' +
              'hyphens, at most 33 characters, not ending in a hyphen'
          : 'be a valid replication group id: a lowercase letter, then lowercase letters, digits and ' +
              'single hyphens, at most 40 characters, not ending in a hyphen',
        derived ? props.name : props.replicationGroupId,
      );
    }
    claimName(this, {
      construct: WHERE,
      kind: 'ElastiCache replication group id',
      name: replicationGroupId,
      consequence:
        'an AWS account and region hold one replication group per id (and one subnet group, security ' +
        'group and secret per name derived from it), so the second would fail to create',
      fix: 'give one of them a different `name` or `replicationGroupId`',
    });
    const engineVersion = props.engineVersion ?? '7.1';
    if (!/^7\.\d+$/.test(engineVersion)) {
      throw invalidProp(
        WHERE,
        'engineVersion',
        'be a Redis OSS 7 version as major.minor such as "7.1"',
        engineVersion,
      );
    }
    const nodeType = props.nodeType ?? 'cache.t4g.small';
    if (!/^cache\.[a-z0-9-]+\.[a-z0-9]+$/.test(nodeType)) {
      throw invalidProp(WHERE, 'nodeType', 'be an ElastiCache node type such as "cache.t4g.small"', nodeType);
    }
    const numCacheClusters = props.numCacheClusters ?? 2;
    checkWholeNumber(WHERE, 'numCacheClusters', numCacheClusters, 1, 6, 'a primary and up to five replicas');
    const snapshotRetentionDays = props.snapshotRetentionDays ?? 1;
    checkWholeNumber(WHERE, 'snapshotRetentionDays', snapshotRetentionDays, 0, 35);
    if (props.snapshotWindow !== undefined) {
      checkWindow(WHERE, 'snapshotWindow', props.snapshotWindow, 'daily', 60);
    }
    if (props.maintenanceWindow !== undefined) {
      checkWindow(WHERE, 'maintenanceWindow', props.maintenanceWindow, 'weekly', 60);
    }
    const variableName = props.authTokenVariableName ?? `redis_${props.name.replace(/-/g, '_')}_auth_token`;
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(variableName)) {
      if (props.authTokenVariableName === undefined) {
        throw invalidProp(
          WHERE,
          'name',
          'make a Terraform variable name "redis_<name>_auth_token": letters, digits, "-" and "_"',
          props.name,
          'or set `authTokenVariableName`',
        );
      }
      throw invalidProp(
        WHERE,
        'authTokenVariableName',
        'be letters, digits and "_", not starting with a digit',
        variableName,
        'it becomes part of the environment variable TF_VAR_<name>',
      );
    }
    claimName(this, {
      construct: WHERE,
      kind: 'Terraform variable',
      name: variableName,
      consequence: `both caches would take their AUTH token from the one variable (TF_VAR_${variableName})`,
      fix: 'give one of them a different `name` or `authTokenVariableName`',
    });
    const clientSecurityGroupIds = props.clientSecurityGroupIds ?? props.network.clientSecurityGroupIds;
    checkNetworkShape(
      WHERE,
      {
        vpcId: props.network.vpcId,
        privateSubnetIds: props.network.privateSubnetIds,
        clientSecurityGroupIds,
      },
      props.clientSecurityGroupIds === undefined
        ? 'network.clientSecurityGroupIds'
        : 'clientSecurityGroupIds',
    );

    const keyArn = props.encryptionKey.key.arn;
    const failover = numCacheClusters > 1;

    this.authTokenVariable = new TerraformVariable(this, 'AuthToken', {
      type: 'string',
      sensitive: true,
      nullable: false,
      description:
        `AUTH token of the ElastiCache Redis ${replicationGroupId}. Pass it as TF_VAR_${variableName}: ` +
        '16 to 128 characters, letters, digits and ! & # $ ^ < > - only.',
    });
    // The variable's name is what operators type (TF_VAR_...), so it is set, not generated.
    this.authTokenVariable.overrideLogicalId(variableName);
    this.authTokenVariable.node.addValidation(
      variableNameIsUnique(
        this.authTokenVariable,
        WHERE,
        'rename the other variable, or set `authTokenVariableName`',
      ),
    );
    this.authTokenVariable.addValidation({
      condition: Fn.can(Fn.regex(AUTH_TOKEN_PATTERN, this.authTokenVariable.stringValue)),
      errorMessage:
        `The ${variableName} variable must be 16 to 128 characters long and use only letters, digits ` +
        'and ! & # $ ^ < > - (ElastiCache refuses any other AUTH token).',
    });
    const authToken = this.authTokenVariable.stringValue;

    this.subnetGroup = new ElasticacheSubnetGroup(this, 'SubnetGroup', {
      name: replicationGroupId,
      description: `Private subnets of ${replicationGroupId} (managed by mcpenv)`,
      subnetIds: props.network.privateSubnetIds,
    });
    this.securityGroup = clientOnlySecurityGroup(this, 'SecurityGroup', {
      vpcId: props.network.vpcId,
      name: `${replicationGroupId}-redis`,
      service: 'Redis',
      port: REDIS_PORT,
      clientSecurityGroupIds,
    });

    this.replicationGroup = new ElasticacheReplicationGroup(this, 'Resource', {
      replicationGroupId,
      description: `mcpenv Redis ${replicationGroupId}`,
      engine: 'redis',
      engineVersion,
      parameterGroupName: 'default.redis7',
      nodeType,
      numCacheClusters,
      port: REDIS_PORT,
      automaticFailoverEnabled: failover,
      multiAzEnabled: failover,
      subnetGroupName: this.subnetGroup.name,
      securityGroupIds: [this.securityGroup.id],
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      // This provider version types these two as strings.
      atRestEncryptionEnabled: 'true',
      autoMinorVersionUpgrade: 'true',
      kmsKeyId: keyArn,
      authToken,
      authTokenUpdateStrategy: 'ROTATE',
      snapshotRetentionLimit: snapshotRetentionDays,
      ...(props.snapshotWindow === undefined ? {} : { snapshotWindow: props.snapshotWindow }),
      ...(props.maintenanceWindow === undefined ? {} : { maintenanceWindow: props.maintenanceWindow }),
    });

    this.authTokenSecret = new SecretsmanagerSecret(this, 'AuthTokenSecret', {
      name: `${replicationGroupId}/redis-connection`,
      description: `Connection to the ElastiCache Redis ${replicationGroupId}: host, port, password, tls (managed by mcpenv)`,
      kmsKeyId: keyArn,
      recoveryWindowInDays: 7,
    });
    new SecretsmanagerSecretVersion(this, 'AuthTokenSecretValue', {
      secretId: this.authTokenSecret.id,
      secretString: Fn.jsonencode({
        host: this.replicationGroup.primaryEndpointAddress,
        port: REDIS_PORT,
        password: authToken,
        tls: true,
      }),
    });

    this.replicationGroupId = replicationGroupId;
    this.primaryEndpointAddress = this.replicationGroup.primaryEndpointAddress;
    this.authTokenSecretArn = this.authTokenSecret.arn;
  }
}
