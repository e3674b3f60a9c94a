import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { Token, TerraformOutput, TerraformStack, Testing } from 'cdktf';
import {
  DataEncryptionKey,
  DataNetwork,
  type IDataNetwork,
  Network,
  RdsPostgres,
  type RdsPostgresProps,
} from '../../../constructs/tf';

const NETWORK: IDataNetwork = {
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  privateSubnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0a1b2c3d4e5f67891'],
  clientSecurityGroupIds: ['sg-0a1b2c3d4e5f67890', 'sg-0a1b2c3d4e5f67891'],
};

type Overrides = Partial<Omit<RdsPostgresProps, 'encryptionKey'>>;

const synth = (overrides: Overrides = {}) =>
  Testing.synthScope((scope) => {
    const encryptionKey = new DataEncryptionKey(scope, 'DataKey');
    new RdsPostgres(scope, 'Postgres', { name: 'prod', network: NETWORK, encryptionKey, ...overrides });
  });

type Resources = Record<string, Record<string, Record<string, unknown>>>;
const resourcesOf = (json: string): Resources => JSON.parse(json).resource ?? {};
const instanceOf = (json: string) => Object.values(resourcesOf(json).aws_db_instance ?? {})[0] ?? {};
const KEY_ARN = expect.stringMatching(/^\$\{aws_kms_key\.DataKey_[A-Z0-9]+\.arn\}$/);

describe('RdsPostgres', () => {
  test('creates a private, encrypted PostgreSQL instance with pinned engine and sizes', () => {
    expect(synth()).toHaveResourceWithProperties(DbInstance, {
      identifier: 'mcpenv-prod',
      engine: 'postgres',
      engine_version: '16.6',
      instance_class: 'db.t4g.medium',
      port: 5432,
      db_name: 'mcp',
      username: 'mcp',
      allocated_storage: 20,
      max_allocated_storage: 100,
      storage_type: 'gp3',
      storage_encrypted: true,
      kms_key_id: KEY_ARN,
      publicly_accessible: false,
      multi_az: true,
      ca_cert_identifier: 'rds-ca-rsa2048-g1',
      iam_database_authentication_enabled: true,
      enabled_cloudwatch_logs_exports: ['postgresql'],
      performance_insights_enabled: true,
      performance_insights_kms_key_id: KEY_ARN,
      auto_minor_version_upgrade: true,
      allow_major_version_upgrade: false,
      copy_tags_to_snapshot: true,
      apply_immediately: false,
    });
  });

  test('lets RDS keep the master password in Secrets Manager under the data key, so no password is written', () => {
    const json = synth();
    expect(json).toHaveResourceWithProperties(DbInstance, {
      manage_master_user_password: true,
      master_user_secret_kms_key_id: KEY_ARN,
    });
    const instance = instanceOf(json);
    expect(Object.keys(instance).filter((key) => key.startsWith('password'))).toEqual([]);
    expect(json).not.toMatch(/"password(_wo)?"\s*:/);
    expect(json).not.toMatch(/"variable"/);
  });

  test('keeps seven days of automated backups by default', () => {
    expect(synth()).toHaveResourceWithProperties(DbInstance, { backup_retention_period: 7 });
  });

  test('keeps backups longer when asked', () => {
    expect(synth({ backupRetentionDays: 35 })).toHaveResourceWithProperties(DbInstance, {
      backup_retention_period: 35,
    });
  });

  test('protects a production database from deletion and keeps a final snapshot and its backups', () => {
    expect(synth()).toHaveResourceWithProperties(DbInstance, {
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: 'mcpenv-prod-final',
      delete_automated_backups: false,
    });
  });

  test('lets a non-production database be destroyed in one step', () => {
    const json = synth({ production: false });
    expect(json).toHaveResourceWithProperties(DbInstance, {
      deletion_protection: false,
      skip_final_snapshot: true,
      delete_automated_backups: true,
    });
    expect(instanceOf(json)).not.toHaveProperty('final_snapshot_identifier');
  });

  test('requires TLS through a parameter group of the engine family', () => {
    const json = synth();
    expect(json).toHaveResourceWithProperties(DbParameterGroup, {
      name: 'mcpenv-prod-postgres16',
      family: 'postgres16',
      parameter: [{ name: 'rds.force_ssl', value: '1' }],
      lifecycle: { create_before_destroy: true },
    });
    expect(instanceOf(json).parameter_group_name).toMatch(/^\$\{aws_db_parameter_group\..+\.name\}$/);
  });

  test.each([
    ['15.10', 'postgres15'],
    ['17', 'postgres17'],
  ])('derives the parameter group family from engine version %s', (engineVersion, family) => {
    const json = synth({ engineVersion });
    expect(json).toHaveResourceWithProperties(DbParameterGroup, { family });
    expect(json).toHaveResourceWithProperties(DbInstance, { engine_version: engineVersion });
  });

  test('logs slow statements when asked', () => {
    expect(synth({ logMinDurationStatementMs: 500 })).toHaveResourceWithProperties(DbParameterGroup, {
      parameter: [
        { name: 'rds.force_ssl', value: '1' },
        { name: 'log_min_duration_statement', value: '500' },
      ],
    });
  });

  test('places the instance in a subnet group over the private subnets', () => {
    const json = synth();
    expect(json).toHaveResourceWithProperties(DbSubnetGroup, {
      name: 'mcpenv-prod',
      subnet_ids: NETWORK.privateSubnetIds,
    });
    expect(instanceOf(json).db_subnet_group_name).toMatch(/^\$\{aws_db_subnet_group\..+\.name\}$/);
  });

  test('admits each client security group on 5432 only, never a CIDR, and opens no egress', () => {
    const json = synth();
    const resources = resourcesOf(json);
    expect(json).toHaveResourceWithProperties(SecurityGroup, {
      name: 'mcpenv-prod-postgres',
      vpc_id: NETWORK.vpcId,
    });
    const [group] = Object.values(resources.aws_security_group ?? {});
    expect(group).not.toHaveProperty('ingress');
    expect(group).not.toHaveProperty('egress');
    const rules = Object.values(resources.aws_vpc_security_group_ingress_rule ?? {});
    expect(rules.map((rule) => rule.referenced_security_group_id)).toEqual(NETWORK.clientSecurityGroupIds);
    for (const rule of rules) {
      expect(rule).toMatchObject({ ip_protocol: 'tcp', from_port: 5432, to_port: 5432 });
      expect(rule.security_group_id).toMatch(/^\$\{aws_security_group\..+\.id\}$/);
      expect(Object.keys(rule).filter((key) => key.startsWith('cidr'))).toEqual([]);
      expect(rule).not.toHaveProperty('prefix_list_id');
    }
    expect(json).not.toHaveResource(VpcSecurityGroupEgressRule);
    expect(json).not.toMatch(/0\.0\.0\.0\/0|::\/0/);
    expect(instanceOf(json).vpc_security_group_ids).toEqual([
      expect.stringMatching(/^\$\{aws_security_group\..+\.id\}$/),
    ]);
  });

  test('admits the client security groups given instead of the network ones', () => {
    const json = synth({ clientSecurityGroupIds: ['sg-0a1b2c3d4e5f6789a'] });
    const rules = Object.values(resourcesOf(json).aws_vpc_security_group_ingress_rule ?? {});
    expect(rules.map((rule) => rule.referenced_security_group_id)).toEqual(['sg-0a1b2c3d4e5f6789a']);
  });

  test('works with the subnets and VPC of a created network', () => {
    const json = Testing.synthScope((scope) => {
      const encryptionKey = new DataEncryptionKey(scope, 'DataKey');
      const network = new DataNetwork(scope, 'Network', {
        network: Network.create({
          cidrBlock: '10.40.0.0/16',
          availabilityZones: ['eu-west-1a', 'eu-west-1b'],
          clientSecurityGroupIds: ['sg-0a1b2c3d4e5f67890'],
        }),
      });
      new RdsPostgres(scope, 'Postgres', { name: 'prod', network, encryptionKey });
    });
    expect(json).toHaveResourceWithProperties(DbSubnetGroup, {
      subnet_ids: [
        expect.stringMatching(/^\$\{aws_subnet\..*PrivateSubnet1.*\.id\}$/),
        expect.stringMatching(/^\$\{aws_subnet\..*PrivateSubnet2.*\.id\}$/),
      ],
    });
    expect(json).toHaveResourceWithProperties(SecurityGroup, {
      vpc_id: expect.stringMatching(/^\$\{aws_vpc\..+\.id\}$/),
    });
  });

  test('uses the identifier, windows, class, storage and names given', () => {
    expect(
      synth({
        identifier: 'orders-db',
        instanceClass: 'db.r7g.large',
        allocatedStorageGb: 100,
        maxAllocatedStorageGb: 500,
        multiAz: false,
        username: 'app_owner',
        databaseName: 'memory',
        backupWindow: '02:00-02:30',
        maintenanceWindow: 'sun:23:30-mon:00:30',
      }),
    ).toHaveResourceWithProperties(DbInstance, {
      identifier: 'orders-db',
      final_snapshot_identifier: 'orders-db-final',
      instance_class: 'db.r7g.large',
      allocated_storage: 100,
      max_allocated_storage: 500,
      multi_az: false,
      username: 'app_owner',
      db_name: 'memory',
      backup_window: '02:00-02:30',
      maintenance_window: 'sun:23:30-mon:00:30',
    });
  });

  test('exposes the endpoint, port, master secret ARN and database name', () => {
    let postgres: RdsPostgres | undefined;
    const json = Testing.synthScope((scope) => {
      const encryptionKey = new DataEncryptionKey(scope, 'DataKey');
      postgres = new RdsPostgres(scope, 'Postgres', { name: 'prod', network: NETWORK, encryptionKey });
      new TerraformOutput(scope, 'address', { value: postgres.endpointAddress });
      new TerraformOutput(scope, 'secret', { value: postgres.masterUserSecretArn });
    });
    const values = Object.values(JSON.parse(json).output as Record<string, { value: string }>).map(
      (o) => o.value,
    );
    expect(values).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\$\{aws_db_instance\.Postgres_[A-Z0-9]+\.address\}$/),
        expect.stringMatching(
          /^\$\{aws_db_instance\.Postgres_[A-Z0-9]+\.master_user_secret\[0\]\.secret_arn\}$/,
        ),
      ]),
    );
    expect(postgres?.port).toBe(5432);
    expect(postgres?.databaseName).toBe('mcp');
    expect(postgres?.identifier).toBe('mcpenv-prod');
  });

  test.each(['16.6.1', 'latest', '11.22'])('rejects engine version %s', (engineVersion) => {
    expect(() => synth({ engineVersion })).toThrow(
      /RdsPostgres: `engineVersion` must be a PostgreSQL version 12 or later, as major.minor \("16.6"\)/,
    );
  });

  test('rejects an identifier RDS does not accept', () => {
    expect(() => synth({ identifier: 'Orders--DB' })).toThrow(
      /`identifier` must be a valid RDS identifier: .* \(got "Orders--DB"\)/,
    );
  });

  test('rejects two instances with one identifier in a stack, naming both', () => {
    expect(() =>
      Testing.synthScope((scope) => {
        const encryptionKey = new DataEncryptionKey(scope, 'DataKey');
        new RdsPostgres(scope, 'Orders', { name: 'prod', network: NETWORK, encryptionKey });
        new RdsPostgres(scope, 'Billing', {
          name: 'billing',
          identifier: 'mcpenv-prod',
          network: NETWORK,
          encryptionKey,
        });
      }),
    ).toThrow(
      /^RdsPostgres: RDS instance identifier "mcpenv-prod" is used by both `[^`]*\/Orders` and `[^`]*\/Billing`: an AWS account and region hold one instance per identifier .*; give one of them a different `name` or `identifier`$/,
    );
  });

  test('accepts one identifier in two stacks, which may deploy to different accounts', () => {
    const app = Testing.app();
    const stacks = ['staging', 'production'].map((account) => {
      const stack = new TerraformStack(app, account);
      const encryptionKey = new DataEncryptionKey(stack, 'DataKey');
      new RdsPostgres(stack, 'Postgres', { name: 'app', network: NETWORK, encryptionKey });
      return stack;
    });
    for (const stack of stacks) {
      expect(Testing.synth(stack)).toHaveResourceWithProperties(DbInstance, { identifier: 'mcpenv-app' });
    }
  });

  test('rejects a name that makes an identifier RDS does not accept', () => {
    expect(() => synth({ name: 'prod_eu' })).toThrow(
      /`name` must make a valid RDS identifier "mcpenv-<name>"/,
    );
  });

  test('rejects an instance class that is not an RDS class', () => {
    expect(() => synth({ instanceClass: 't4g.medium' })).toThrow(
      /`instanceClass` must be an RDS instance class such as "db.t4g.medium" \(got "t4g.medium"\)/,
    );
  });

  test.each([10, 0])('rejects %p GiB, less storage than gp3 allows', (allocatedStorageGb) => {
    expect(() => synth({ allocatedStorageGb })).toThrow(
      /`allocatedStorageGb` must be a whole number from 20 to 65536 \(got \d+\)/,
    );
  });

  test('rejects an autoscaling ceiling below the allocated storage', () => {
    expect(() => synth({ allocatedStorageGb: 200, maxAllocatedStorageGb: 100 })).toThrow(
      /`maxAllocatedStorageGb` must be a whole number from 220 to 65536, at least 10% above `allocatedStorageGb` \(200\) \(got 100\)/,
    );
  });

  test.each([0, 3, 36, 7.5])('rejects %p days of backups', (backupRetentionDays) => {
    expect(() => synth({ backupRetentionDays })).toThrow(
      /`backupRetentionDays` must be a whole number from 7 to 35 \(got [\d.]+\); a week of point-in-time recovery/,
    );
  });

  test('rejects a reserved master user name', () => {
    expect(() => synth({ username: 'rdsadmin' })).toThrow(
      /`username` must be 1 to 63 letters.*\(got "rdsadmin"\)/,
    );
  });

  test('rejects a database name PostgreSQL reserves or cannot take', () => {
    expect(() => synth({ databaseName: 'template1' })).toThrow(/`databaseName` must be 1 to 63 letters/);
  });

  test('rejects a backup window that is malformed or shorter than 30 minutes', () => {
    expect(() => synth({ backupWindow: '02:00-02:15' })).toThrow(
      /`backupWindow` must be a UTC window of at least 30 minutes such as "02:00-03:00" \(got "02:00-02:15"\)/,
    );
  });

  test('rejects a maintenance window that is not weekly', () => {
    expect(() => synth({ maintenanceWindow: '03:00-04:00' })).toThrow(
      /`maintenanceWindow` must be a UTC window of at least 30 minutes such as "sun:03:00-sun:04:00"/,
    );
  });

  test('rejects a negative slow statement threshold', () => {
    expect(() => synth({ logMinDurationStatementMs: -1 })).toThrow(
      /`logMinDurationStatementMs` must be a whole number from 0 to 2147483647 \(got -1\)/,
    );
  });

  test('rejects a network with fewer than two private subnets', () => {
    expect(() => synth({ network: { ...NETWORK, privateSubnetIds: ['subnet-0a1b2c3d4e5f67890'] } })).toThrow(
      /RdsPostgres: `network.privateSubnetIds` must list at least 2 ids/,
    );
  });

  test('rejects a network without client security groups', () => {
    expect(() => synth({ network: { ...NETWORK, clientSecurityGroupIds: [] } })).toThrow(
      /RdsPostgres: `network.clientSecurityGroupIds` must list at least one id \(got \[\]\)/,
    );
  });

  test('rejects a malformed client security group id', () => {
    expect(() => synth({ clientSecurityGroupIds: ['sg-nodes'] })).toThrow(
      /RdsPostgres: `clientSecurityGroupIds` must be an id such as "sg-0a1b2c3d4e5f67890" \(got "sg-nodes"\)/,
    );
  });

  test('rejects client security groups given as one unresolved list', () => {
    expect(() => synth({ clientSecurityGroupIds: Token.asList('${var.client_sgs}') })).toThrow(
      /`clientSecurityGroupIds` must be a list written out in code/,
    );
  });

  test.each([
    ['name', /RdsPostgres: `name` is required: pass a short name such as the environment name/],
    ['network', /RdsPostgres: `network` is required: pass a DataNetwork/],
    ['encryptionKey', /RdsPostgres: `encryptionKey` is required: pass a DataEncryptionKey/],
  ])('fails with a ValidationError when %s is missing (plain JavaScript)', (prop, message) => {
    expect(() =>
      Testing.synthScope((scope) => {
        const props: Record<string, unknown> = {
          name: 'prod',
          network: NETWORK,
          encryptionKey: new DataEncryptionKey(scope, 'DataKey'),
        };
        delete props[prop];
        new RdsPostgres(scope, 'RdsPostgres', props as unknown as RdsPostgresProps);
      }),
    ).toThrow(message);
  });
});
