import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup, type DbParameterGroupParameter } from '@cdktf/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
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
} from './internal';
import type { IDataNetwork } from './network';

/** The port PostgreSQL listens on. */
const POSTGRES_PORT = 5432;

export interface RdsPostgresProps {
  /**
   * Short name of the database, such as the environment name (`prod`); the instance identifier
   * and the names of its subnet, parameter and security groups derive from it.
   */
  readonly name: string;
  /** Where the instance lives and which clients may connect (a `DataNetwork`, or any `IDataNetwork`). */
  readonly network: IDataNetwork;
  /**
   * Key that encrypts the storage, the snapshots, the Performance Insights data and the managed
   * master user secret.
   */
  readonly encryptionKey: DataEncryptionKey;
  /**
   * Whether this is a production database. Production: deletion protection on, and a final
   * snapshot (`<identifier>-final`) and the automated backups are kept when the instance is
   * deleted. Otherwise: no deletion protection, no final snapshot and automated backups go with
   * the instance, so a test environment can be destroyed in one step.
   * @default true
   */
  readonly production?: boolean;
  /**
   * Security groups allowed to connect on 5432.
   * @default - the network's `clientSecurityGroupIds`
   */
  readonly clientSecurityGroupIds?: string[];
  /**
   * RDS instance identifier: lowercase letters, digits and single hyphens, starting with a letter,
   * at most 63 characters. Changing it replaces the instance. Unique among the stack's instances:
   * the names of the subnet, parameter and security groups and the final snapshot derive from it.
   * @default - `mcpenv-<name>`
   */
  readonly identifier?: string;
  /**
   * PostgreSQL version, `major.minor` (`16.6`) or the major alone (`16`). Automatic minor
   * upgrades are on, so once RDS moves the instance past a `major.minor` pin the next plan asks
   * for a downgrade that RDS refuses: then set this to the running version, or give the major
   * alone and let RDS own the minor version. The parameter group family follows the major.
   * @default '16.6'
   */
  readonly engineVersion?: string;
  /**
   * Instance class.
   * @default 'db.t4g.medium'
   */
  readonly instanceClass?: string;
  /**
   * Storage allocated at creation, in GiB (gp3: 20 to 65536).
   * @default 20
   */
  readonly allocatedStorageGb?: number;
  /**
   * Ceiling for storage autoscaling, in GiB; RDS requires it to be at least 10% above
   * `allocatedStorageGb`.
   * @default 100
   */
  readonly maxAllocatedStorageGb?: number;
  /**
   * A standby in a second availability zone with automatic failover.
   * @default true
   */
  readonly multiAz?: boolean;
  /**
   * Master user name; its password is generated and rotated by RDS in Secrets Manager.
   * @default 'mcp'
   */
  readonly username?: string;
  /**
   * Name of the database created with the instance.
   * @default 'mcp'
   */
  readonly databaseName?: string;
  /**
   * Days of automated backups (point-in-time recovery), 7 to 35.
   * @default 7
   */
  readonly backupRetentionDays?: number;
  /**
   * Daily backup window in UTC, `hh24:mi-hh24:mi`, at least 30 minutes.
   * @default - chosen by RDS
   */
  readonly backupWindow?: string;
  /**
   * Weekly maintenance window in UTC, `ddd:hh24:mi-ddd:hh24:mi`, at least 30 minutes.
   * @default - chosen by RDS
   */
  readonly maintenanceWindow?: string;
  /**
   * Log every statement that runs at least this long, in milliseconds (`log_min_duration_statement`).
   * @default - not set: PostgreSQL's default, no statements logged for their duration
   */
  readonly logMinDurationStatementMs?: number;
}

const WHERE = 'RdsPostgres';

/**
 * PostgreSQL on Amazon RDS, private and encrypted: storage, snapshots, Performance Insights and
 * the master password secret under the data key; TLS required; reachable on 5432 from the client
 * security groups only; the master password generated and kept by RDS in Secrets Manager, so it
 * never appears in Terraform configuration or state.
 */
export class RdsPostgres extends Construct {
  /** The DB instance (the construct's `Resource`). */
  readonly instance: DbInstance;
  /** The instance's security group: 5432 from the client security groups, nothing else. */
  readonly securityGroup: SecurityGroup;
  readonly subnetGroup: DbSubnetGroup;
  readonly parameterGroup: DbParameterGroup;
  /** Host name of the instance (known after apply). */
  readonly endpointAddress: string;
  /** Port the instance listens on. */
  readonly port: number = POSTGRES_PORT;
  /** ARN of the Secrets Manager secret with the master `username` and `password` (known after apply). */
  readonly masterUserSecretArn: string;
  /** Name of the database created with the instance. */
  readonly databaseName: string;
  /** The RDS instance identifier. */
  readonly identifier: string;

  constructor(scope: Construct, id: string, props: RdsPostgresProps) {
    super(scope, id);
    requireProps(WHERE, props, {
      name: 'pass a short name such as the environment name ("prod"); the database\'s AWS names derive from it',
      network:
        'pass a DataNetwork (or any IDataNetwork) with the VPC, its private subnets and the client security groups',
      encryptionKey: 'pass a DataEncryptionKey',
    });
    const identifier = props.identifier ?? `mcpenv-${props.name}`;
    if (!isAwsName(identifier, 63)) {
      const derived = props.identifier === undefined;
      throw invalidProp(
        WHERE,
        derived ? 'name' : 'identifier',
        derived
          ? 'make a valid RDS identifier "mcpenv-<name>": lowercase letters, digits and single hyphens, ' +
              'at most 56 characters, not ending in a hyphen'
          : 'be a valid RDS identifier: a lowercase letter, then lowercase letters, digits and single ' +
              'hyphens, at most 63 characters, not ending in a hyphen',
        derived ? props.name : props.identifier,
      );
    }
    claimName(this, {
      construct: WHERE,
      kind: 'RDS instance identifier',
      name: identifier,
      consequence:
        'an AWS account and region hold one instance per identifier (and one subnet, parameter and ' +
        'security group per name derived from it), so the second would fail to create',
      fix: 'give one of them a different `name` or `identifier`',
    });
    const engineVersion = props.engineVersion ?? '16.6';
    const version = /^(\d+)(\.\d+)?$/.exec(engineVersion);
    const major = Number(version?.[1]);
    if (!version || major < 12) {
      throw invalidProp(
        WHERE,
        'engineVersion',
        'be a PostgreSQL version 12 or later, as major.minor ("16.6") or the major alone ("16")',
        engineVersion,
      );
    }
    const instanceClass = props.instanceClass ?? 'db.t4g.medium';
    if (!/^db\.[a-z0-9-]+\.[a-z0-9]+$/.test(instanceClass)) {
      throw invalidProp(
        WHERE,
        'instanceClass',
        'be an RDS instance class such as "db.t4g.medium"',
        instanceClass,
      );
    }
    const allocatedStorageGb = props.allocatedStorageGb ?? 20;
    checkWholeNumber(WHERE, 'allocatedStorageGb', allocatedStorageGb, 20, 65536);
    const maxAllocatedStorageGb = props.maxAllocatedStorageGb ?? 100;
    const minimumCeiling = Math.ceil((allocatedStorageGb * 11) / 10);
    if (
      !Number.isInteger(maxAllocatedStorageGb) ||
      maxAllocatedStorageGb < minimumCeiling ||
      maxAllocatedStorageGb > 65536
    ) {
      throw invalidProp(
        WHERE,
        'maxAllocatedStorageGb',
        `be a whole number from ${minimumCeiling} to 65536, at least 10% above \`allocatedStorageGb\` ` +
          `(${allocatedStorageGb})`,
        maxAllocatedStorageGb,
      );
    }
    const username = props.username ?? 'mcp';
    if (
      !/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/.test(username) ||
      /^(rdsadmin|postgres|rds_.*|pg_.*)$/i.test(username)
    ) {
      throw invalidProp(
        WHERE,
        'username',
        'be 1 to 63 letters, digits or "_", starting with a letter, and not reserved ' +
          '("rdsadmin", "postgres", "rds_*", "pg_*")',
        username,
      );
    }
    const databaseName = props.databaseName ?? 'mcp';
    if (
      !/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/.test(databaseName) ||
      /^(template0|template1|rdsadmin)$/i.test(databaseName)
    ) {
      throw invalidProp(
        WHERE,
        'databaseName',
        'be 1 to 63 letters, digits or "_", starting with a letter, and not "template0", "template1" or "rdsadmin"',
        databaseName,
      );
    }
    const backupRetentionDays = props.backupRetentionDays ?? 7;
    checkWholeNumber(
      WHERE,
      'backupRetentionDays',
      backupRetentionDays,
      7,
      35,
      'a week of point-in-time recovery is the floor for data the MCP server keeps',
    );
    if (props.backupWindow !== undefined) {
      checkWindow(WHERE, 'backupWindow', props.backupWindow, 'daily', 30);
    }
    if (props.maintenanceWindow !== undefined) {
      checkWindow(WHERE, 'maintenanceWindow', props.maintenanceWindow, 'weekly', 30);
    }
    if (props.logMinDurationStatementMs !== undefined) {
      checkWholeNumber(WHERE, 'logMinDurationStatementMs', props.logMinDurationStatementMs, 0, 2147483647);
    }
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

    const production = props.production ?? true;
    const family = `postgres${major}`;
    const keyArn = props.encryptionKey.key.arn;

    this.subnetGroup = new DbSubnetGroup(this, 'SubnetGroup', {
      name: identifier,
      description: `Private subnets of ${identifier} (managed by mcpenv)`,
      subnetIds: props.network.privateSubnetIds,
    });
    this.securityGroup = clientOnlySecurityGroup(this, 'SecurityGroup', {
      vpcId: props.network.vpcId,
      name: `${identifier}-postgres`,
      service: 'PostgreSQL',
      port: POSTGRES_PORT,
      clientSecurityGroupIds,
    });
    const parameters: DbParameterGroupParameter[] = [{ name: 'rds.force_ssl', value: '1' }];
    if (props.logMinDurationStatementMs !== undefined) {
      parameters.push({ name: 'log_min_duration_statement', value: String(props.logMinDurationStatementMs) });
    }
    // The family is in the name, so a major upgrade creates the new group before the old one goes.
    this.parameterGroup = new DbParameterGroup(this, 'ParameterGroup', {
      name: `${identifier}-${family}`,
      family,
      description: `${identifier}: TLS required (managed by mcpenv)`,
      parameter: parameters,
      lifecycle: { createBeforeDestroy: true },
    });

    this.instance = new DbInstance(this, 'Resource', {
      identifier,
      engine: 'postgres',
      engineVersion,
      instanceClass,
      port: POSTGRES_PORT,
      dbName: databaseName,
      username,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: keyArn,
      iamDatabaseAuthenticationEnabled: true,
      allocatedStorage: allocatedStorageGb,
      maxAllocatedStorage: maxAllocatedStorageGb,
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyId: keyArn,
      multiAz: props.multiAz ?? true,
      dbSubnetGroupName: this.subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      publiclyAccessible: false,
      parameterGroupName: this.parameterGroup.name,
      caCertIdentifier: 'rds-ca-rsa2048-g1',
      backupRetentionPeriod: backupRetentionDays,
      ...(props.backupWindow === undefined ? {} : { backupWindow: props.backupWindow }),
      ...(props.maintenanceWindow === undefined ? {} : { maintenanceWindow: props.maintenanceWindow }),
      copyTagsToSnapshot: true,
      deletionProtection: production,
      skipFinalSnapshot: !production,
      ...(production ? { finalSnapshotIdentifier: `${identifier}-final` } : {}),
      deleteAutomatedBackups: !production,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      applyImmediately: false,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: keyArn,
      enabledCloudwatchLogsExports: ['postgresql'],
    });

    this.identifier = identifier;
    this.databaseName = databaseName;
    this.endpointAddress = this.instance.address;
    this.masterUserSecretArn = this.instance.masterUserSecret.get(0).secretArn;
  }
}
