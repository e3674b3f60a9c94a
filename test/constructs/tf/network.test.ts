import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { TerraformOutput, TerraformStack, Testing } from 'cdktf';
import {
  DataEncryptionKey,
  DataNetwork,
  type DataNetworkProps,
  ElastiCacheRedis,
  type ExistingNetworkOptions,
  FlowLogs,
  Network,
  type NewNetworkOptions,
  RdsPostgres,
  type S3FlowLogsOptions,
} from '../../../constructs/tf';

const EXISTING: ExistingNetworkOptions = {
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  privateSubnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0a1b2c3d4e5f67891'],
  clientSecurityGroupIds: ['sg-0a1b2c3d4e5f67890'],
};

const NEW: NewNetworkOptions = {
  cidrBlock: '10.40.0.0/16',
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
};

const synthCreate = (options: Partial<NewNetworkOptions> = {}) =>
  Testing.synthScope((scope) => {
    new DataNetwork(scope, 'Network', { network: Network.create({ ...NEW, ...options }) });
  });

const synthExisting = (options: Partial<ExistingNetworkOptions> = {}) =>
  Testing.synthScope((scope) => {
    new DataNetwork(scope, 'Network', { network: Network.existing({ ...EXISTING, ...options }) });
  });

type Resources = Record<string, Record<string, Record<string, unknown>>>;
const resourcesOf = (json: string): Resources => JSON.parse(json).resource ?? {};

describe('DataNetwork with Network.create', () => {
  test('creates a VPC with DNS support and DNS host names', () => {
    expect(synthCreate()).toHaveResourceWithProperties(Vpc, {
      cidr_block: '10.40.0.0/16',
      enable_dns_support: true,
      enable_dns_hostnames: true,
      tags: { Name: 'mcpenv-data' },
    });
  });

  test('creates one private subnet per zone, with ranges computed in order from the VPC range', () => {
    const subnets = Object.values(resourcesOf(synthCreate()).aws_subnet ?? {});
    expect(subnets.map((s) => [s.availability_zone, s.cidr_block, s.map_public_ip_on_launch])).toEqual([
      ['eu-west-1a', '10.40.0.0/20', false],
      ['eu-west-1b', '10.40.16.0/20', false],
      ['eu-west-1c', '10.40.32.0/20', false],
    ]);
  });

  test('synthesizes byte-identical output for the same input', () => {
    expect(synthCreate()).toEqual(synthCreate());
  });

  test('cuts subnets of the prefix length asked for', () => {
    const subnets = Object.values(resourcesOf(synthCreate({ subnetPrefixLength: 24 })).aws_subnet ?? {});
    expect(subnets.map((s) => s.cidr_block)).toEqual(['10.40.0.0/24', '10.40.1.0/24', '10.40.2.0/24']);
  });

  test('keeps subnets at /28 or larger in a small VPC', () => {
    const json = synthCreate({ cidrBlock: '10.50.0.0/26', availabilityZones: ['eu-west-1a', 'eu-west-1b'] });
    const subnets = Object.values(resourcesOf(json).aws_subnet ?? {});
    expect(subnets.map((s) => s.cidr_block)).toEqual(['10.50.0.0/28', '10.50.0.16/28']);
  });

  test('gives every subnet its own route table with no route out of the VPC', () => {
    const json = synthCreate();
    const resources = resourcesOf(json);
    const tables = Object.values(resources.aws_route_table ?? {});
    expect(tables).toHaveLength(3);
    for (const table of tables) expect(table.route).toEqual([]);
    const associations = Object.values(resources.aws_route_table_association ?? {});
    expect(new Set(associations.map((a) => a.subnet_id)).size).toBe(3);
    expect(new Set(associations.map((a) => a.route_table_id)).size).toBe(3);
    expect(json).toHaveResource(RouteTableAssociation);
    expect(json).not.toMatch(/internet_gateway|nat_gateway|0\.0\.0\.0\/0/);
  });

  test('strips every rule from the VPC default security group', () => {
    const json = synthCreate();
    expect(json).toHaveResource(DefaultSecurityGroup);
    const [group] = Object.values(resourcesOf(json).aws_default_security_group ?? {});
    expect(group).not.toHaveProperty('ingress');
    expect(group).not.toHaveProperty('egress');
  });

  test('names the VPC, subnets and route tables after the name given', () => {
    const json = synthCreate({ name: 'mcpenv-prod' });
    expect(json).toHaveResourceWithProperties(Vpc, { tags: { Name: 'mcpenv-prod' } });
    expect(json).toHaveResourceWithProperties(Subnet, { tags: { Name: 'mcpenv-prod-private-eu-west-1b' } });
    expect(json).toHaveResourceWithProperties(RouteTable, {
      tags: { Name: 'mcpenv-prod-private-eu-west-1b' },
    });
  });

  test('creates no flow log unless asked', () => {
    expect(synthCreate()).not.toHaveResource(FlowLog);
  });

  test('sends flow logs of all traffic to a new log group through a role for the flow log service', () => {
    const json = synthCreate({ flowLogs: FlowLogs.toCloudWatchLogs({ retentionDays: 90 }) });
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: '/mcpenv/mcpenv-data/vpc-flow-logs',
      retention_in_days: 90,
    });
    expect(json).toHaveResourceWithProperties(FlowLog, {
      traffic_type: 'ALL',
      log_destination_type: 'cloud-watch-logs',
      log_destination: expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..+\.arn\}$/),
      iam_role_arn: expect.stringMatching(/^\$\{aws_iam_role\..+\.arn\}$/),
      vpc_id: expect.stringMatching(/^\$\{aws_vpc\..+\.id\}$/),
    });
    const [role] = Object.values(resourcesOf(json).aws_iam_role ?? {});
    expect(JSON.parse(String(role?.assume_role_policy))).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
  });

  test('keeps flow logs in CloudWatch for a year by default', () => {
    expect(synthCreate({ flowLogs: FlowLogs.toCloudWatchLogs() })).toHaveResourceWithProperties(
      CloudwatchLogGroup,
      { retention_in_days: 365 },
    );
  });

  test('sends flow logs to an existing S3 bucket without creating a role', () => {
    const json = synthCreate({ flowLogs: FlowLogs.toS3({ bucketArn: 'arn:aws:s3:::org-log-archive/vpc' }) });
    expect(json).toHaveResourceWithProperties(FlowLog, {
      traffic_type: 'ALL',
      log_destination_type: 's3',
      log_destination: 'arn:aws:s3:::org-log-archive/vpc',
    });
    expect(json).not.toHaveResource(IamRole);
  });

  test('exposes the created VPC and subnets as references, and the client security groups as given', () => {
    let network: DataNetwork | undefined;
    const json = Testing.synthScope((scope) => {
      network = new DataNetwork(scope, 'Network', {
        network: Network.create({ ...NEW, clientSecurityGroupIds: ['sg-0a1b2c3d4e5f67890'] }),
      });
      new TerraformOutput(scope, 'vpc', { value: network.vpcId });
      new TerraformOutput(scope, 'subnets', { value: network.privateSubnetIds });
    });
    const outputs = Object.values(JSON.parse(json).output as Record<string, { value: unknown }>);
    expect(outputs.map((o) => o.value)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\$\{aws_vpc\..+\.id\}$/),
        [
          expect.stringMatching(/^\$\{aws_subnet\..*PrivateSubnet1.*\.id\}$/),
          expect.stringMatching(/^\$\{aws_subnet\..*PrivateSubnet2.*\.id\}$/),
          expect.stringMatching(/^\$\{aws_subnet\..*PrivateSubnet3.*\.id\}$/),
        ],
      ]),
    );
    expect(network?.clientSecurityGroupIds).toEqual(['sg-0a1b2c3d4e5f67890']);
    expect(network?.subnets).toHaveLength(3);
  });

  test('rejects a malformed CIDR block', () => {
    expect(() => synthCreate({ cidrBlock: '10.40.0.0' })).toThrow(
      /Network.create: `cidrBlock` must be an IPv4 network from \/16 to \/28 .*\(got "10.40.0.0"\)/,
    );
  });

  test('rejects a CIDR block with host bits set', () => {
    expect(() => synthCreate({ cidrBlock: '10.40.1.0/16' })).toThrow(
      /`cidrBlock` must be an IPv4 network .*no host bits set/,
    );
  });

  test('rejects a VPC range larger than /16 or smaller than /28', () => {
    expect(() => synthCreate({ cidrBlock: '10.0.0.0/8' })).toThrow(
      /`cidrBlock` must be an IPv4 network from \/16/,
    );
  });

  test('rejects fewer than two availability zones', () => {
    expect(() => synthCreate({ availabilityZones: ['eu-west-1a'] })).toThrow(
      /`availabilityZones` must list at least two availability zones \(got \["eu-west-1a"\]\)/,
    );
  });

  test('rejects a zone that is not an availability zone name', () => {
    expect(() => synthCreate({ availabilityZones: ['eu-west-1a', 'euw1-az2'] })).toThrow(
      /`availabilityZones` must be an availability zone such as "eu-west-1a" \(got "euw1-az2"\)/,
    );
  });

  test('rejects a zone listed twice', () => {
    expect(() => synthCreate({ availabilityZones: ['eu-west-1a', 'eu-west-1a'] })).toThrow(
      /`availabilityZones` must not list a zone twice/,
    );
  });

  test('rejects zones from more than one region', () => {
    expect(() => synthCreate({ availabilityZones: ['eu-west-1a', 'us-east-1b'] })).toThrow(
      /`availabilityZones` must all be in one region/,
    );
  });

  test('rejects a subnet prefix length that is not longer than the VPC range or beyond /28', () => {
    expect(() => synthCreate({ subnetPrefixLength: 29 })).toThrow(
      /`subnetPrefixLength` must be a whole number from 17 to 28 .*\(got 29\)/,
    );
  });

  test('rejects a VPC range too small for a subnet per zone', () => {
    expect(() =>
      synthCreate({
        cidrBlock: '10.40.0.0/27',
        availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      }),
    ).toThrow(/`cidrBlock` must leave room for 3 subnets of \/28 \(got "10.40.0.0\/27"\)/);
  });

  test('rejects a name AWS tags and IAM role names cannot carry', () => {
    expect(() => synthCreate({ name: 'my data net' })).toThrow(/`name` must be 1 to 50 letters/);
  });

  test('rejects a malformed client security group id', () => {
    expect(() => synthCreate({ clientSecurityGroupIds: ['eks-nodes'] })).toThrow(
      /Network.create: `clientSecurityGroupIds` must be an id such as "sg-0a1b2c3d4e5f67890" \(got "eks-nodes"\)/,
    );
  });

  test('rejects two networks of one name with CloudWatch flow logs in a stack: one IAM role name', () => {
    expect(() =>
      Testing.synthScope((scope) => {
        const flowLogs = FlowLogs.toCloudWatchLogs();
        new DataNetwork(scope, 'Orders', { network: Network.create({ ...NEW, flowLogs }) });
        new DataNetwork(scope, 'Billing', { network: Network.create({ ...NEW, flowLogs }) });
      }),
    ).toThrow(
      /^FlowLogs.toCloudWatchLogs: IAM role "mcpenv-data-vpc-flow-logs" is used by both `[^`]*\/Orders` and `[^`]*\/Billing`: .*; give the networks different names \(`Network.create\(\{ name \}\)`\)$/,
    );
  });

  test('rejects a flow log retention CloudWatch Logs does not offer', () => {
    expect(() => FlowLogs.toCloudWatchLogs({ retentionDays: 100 })).toThrow(
      /FlowLogs.toCloudWatchLogs: `retentionDays` must be one of 1, 3, .* \(got 100\)/,
    );
  });

  test('rejects a flow log destination that is not an S3 bucket ARN', () => {
    expect(() => FlowLogs.toS3({ bucketArn: 's3://org-log-archive' })).toThrow(
      /FlowLogs.toS3: `bucketArn` must be an S3 bucket ARN/,
    );
  });
});

describe('DataNetwork with Network.existing', () => {
  test('creates nothing and passes the given ids through', () => {
    let network: DataNetwork | undefined;
    const json = Testing.synthScope((scope) => {
      network = new DataNetwork(scope, 'Network', { network: Network.existing(EXISTING) });
    });
    expect(json).not.toHaveResource(Vpc);
    expect(json).not.toHaveResource(Subnet);
    expect(network?.vpcId).toBe(EXISTING.vpcId);
    expect(network?.privateSubnetIds).toEqual(EXISTING.privateSubnetIds);
    expect(network?.clientSecurityGroupIds).toEqual(EXISTING.clientSecurityGroupIds);
    expect(network?.vpc).toBeUndefined();
  });

  test('rejects a malformed VPC id', () => {
    expect(() => synthExisting({ vpcId: 'my-vpc' })).toThrow(
      /Network.existing: `vpcId` must be an id such as "vpc-0a1b2c3d4e5f67890" \(got "my-vpc"\)/,
    );
  });

  test('rejects fewer than two private subnets', () => {
    expect(() => synthExisting({ privateSubnetIds: ['subnet-0a1b2c3d4e5f67890'] })).toThrow(
      /`privateSubnetIds` must list at least 2 ids .*; give private subnets in at least two availability zones/,
    );
  });

  test('rejects a malformed subnet id', () => {
    expect(() => synthExisting({ privateSubnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-XYZ'] })).toThrow(
      /`privateSubnetIds` must be an id such as "subnet-0a1b2c3d4e5f67890" \(got "subnet-XYZ"\)/,
    );
  });

  test('rejects a subnet listed twice', () => {
    expect(() =>
      synthExisting({ privateSubnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0a1b2c3d4e5f67890'] }),
    ).toThrow(/`privateSubnetIds` must not list an id twice/);
  });

  test('rejects an empty list of client security groups', () => {
    expect(() => synthExisting({ clientSecurityGroupIds: [] })).toThrow(
      /`clientSecurityGroupIds` must list at least one id \(got \[\]\); name the security groups of the cluster/,
    );
  });

  test('rejects a malformed client security group id', () => {
    expect(() => synthExisting({ clientSecurityGroupIds: ['sg-123'] })).toThrow(
      /`clientSecurityGroupIds` must be an id such as "sg-0a1b2c3d4e5f67890" \(got "sg-123"\)/,
    );
  });
});

describe('the data tier in one stack', () => {
  let outdir: string | undefined;
  afterEach(() => {
    if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
    outdir = undefined;
  });

  test('synthesizes network, Postgres and Redis together into one Terraform configuration', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'data');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const key = new DataEncryptionKey(stack, 'DataKey');
    const network = new DataNetwork(stack, 'Network', {
      network: Network.create({ ...NEW, clientSecurityGroupIds: ['sg-0a1b2c3d4e5f67890'] }),
    });
    new RdsPostgres(stack, 'Postgres', { name: 'prod', network, encryptionKey: key });
    new ElastiCacheRedis(stack, 'Redis', { name: 'prod', network, encryptionKey: key });

    outdir = Testing.fullSynth(stack);
    const file = path.join(outdir, 'stacks', 'data', 'cdk.tf.json');
    const text = fs.readFileSync(file, 'utf8');
    const config = JSON.parse(text);

    expect(text).toHaveResource(DbInstance);
    expect(text).toHaveResource(ElasticacheReplicationGroup);
    expect(Object.keys(config.variable)).toEqual(['redis_prod_auth_token']);
    expect(config.data).toBeUndefined();
    expect(Object.keys(config.terraform.required_providers)).toEqual(['aws']);
    // Both stores sit in the created subnets and share the one key.
    const subnetRefs = Object.keys(config.resource.aws_subnet).map((id: string) => `\${aws_subnet.${id}.id}`);
    const [dbSubnets] = Object.values(config.resource.aws_db_subnet_group) as { subnet_ids: string[] }[];
    const [cacheSubnets] = Object.values(config.resource.aws_elasticache_subnet_group) as {
      subnet_ids: string[];
    }[];
    expect(dbSubnets?.subnet_ids).toEqual(subnetRefs);
    expect(cacheSubnets?.subnet_ids).toEqual(subnetRefs);
    const keys = new Set(text.match(/\$\{aws_kms_key\.[A-Za-z0-9_]+\.arn\}/g));
    expect(keys.size).toBe(1);
  });
});

describe('network required props', () => {
  const without = <T extends object>(options: T, prop: string): T => {
    const copy: Record<string, unknown> = { ...(options as Record<string, unknown>) };
    delete copy[prop];
    return copy as T;
  };

  test.each<[string, () => unknown, RegExp]>([
    [
      'Network.existing without vpcId',
      () => Network.existing(without(EXISTING, 'vpcId')),
      /Network.existing: `vpcId` is required: pass the VPC/,
    ],
    [
      'Network.existing without privateSubnetIds',
      () => Network.existing(without(EXISTING, 'privateSubnetIds')),
      /Network.existing: `privateSubnetIds` is required: pass at least two private subnets/,
    ],
    [
      'Network.existing without clientSecurityGroupIds',
      () => Network.existing(without(EXISTING, 'clientSecurityGroupIds')),
      /Network.existing: `clientSecurityGroupIds` is required: pass the security groups/,
    ],
    [
      'Network.create without cidrBlock',
      () => Network.create(without(NEW, 'cidrBlock')),
      /Network.create: `cidrBlock` is required: pass the VPC's IPv4 range/,
    ],
    [
      'Network.create without availabilityZones',
      () => Network.create(without(NEW, 'availabilityZones')),
      /Network.create: `availabilityZones` is required: pass at least two availability zones/,
    ],
    [
      'Network.create without options',
      () => Network.create(undefined as unknown as NewNetworkOptions),
      /Network.create: `props` is required: pass an object with cidrBlock, availabilityZones/,
    ],
    [
      'FlowLogs.toS3 without bucketArn',
      () => FlowLogs.toS3({} as unknown as S3FlowLogsOptions),
      /FlowLogs.toS3: `bucketArn` is required: pass the ARN of the bucket/,
    ],
    [
      'DataNetwork without network',
      () =>
        Testing.synthScope((scope) => {
          new DataNetwork(scope, 'Network', {} as unknown as DataNetworkProps);
        }),
      /DataNetwork: `network` is required: pass Network.existing/,
    ],
  ])('fails with a ValidationError for %s (plain JavaScript)', (_case, build, message) => {
    expect(build).toThrow(message);
  });
});
