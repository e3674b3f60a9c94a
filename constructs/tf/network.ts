import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { invalidProp } from '../errors';
import { availabilityZone, AVAILABILITY_ZONE, check, parseCidr, requireProps } from '../validators';
import { checkResourceId, checkResourceIds, claimName, subnetCidrs } from './internal';

/**
 * Where the data stores live and who may reach them. `DataNetwork` is one; a plain object works
 * too, e.g. for a network managed elsewhere.
 */
export interface IDataNetwork {
  /** The VPC. */
  readonly vpcId: string;
  /** Private subnets for the data stores, in at least two availability zones. */
  readonly privateSubnetIds: string[];
  /** Security groups of the clients (cluster nodes or pods) that may connect to the data stores. */
  readonly clientSecurityGroupIds: string[];
}

export interface ExistingNetworkOptions {
  /** The VPC, such as `vpc-0a1b2c3d4e5f67890`. */
  readonly vpcId: string;
  /**
   * Private subnets for the data stores: at least two, in different availability zones (RDS and
   * ElastiCache subnet groups need two zones; the ids alone cannot show the zone, so this is on you).
   */
  readonly privateSubnetIds: string[];
  /** Security groups of the cluster nodes or pods that connect to the data stores: at least one. */
  readonly clientSecurityGroupIds: string[];
}

export interface NewNetworkOptions {
  /** The VPC's IPv4 range, /16 to /28, such as `10.40.0.0/16`. */
  readonly cidrBlock: string;
  /**
   * Availability zones, one private subnet each: at least two, all in one region, such as
   * `['eu-west-1a', 'eu-west-1b']`. Given, not looked up, so synth and plan need no AWS access.
   * Subnet ids and ranges follow this order: append new zones at the end.
   */
  readonly availabilityZones: string[];
  /**
   * Security groups of the clients that may connect to the data stores.
   * @default - none: pass them to the data stores' `clientSecurityGroupIds` instead
   */
  readonly clientSecurityGroupIds?: string[];
  /**
   * Prefix length of each private subnet; subnet N gets the N-th block of that size in `cidrBlock`.
   * @default - 4 bits longer than the VPC's (a /20 in a /16), at most /28
   */
  readonly subnetPrefixLength?: number;
  /**
   * `Name` tag of the VPC and the prefix of its subnets' and route tables' `Name` tags, and of the
   * flow log's IAM role and log group names (so unique in the stack with CloudWatch flow logs).
   * @default 'mcpenv-data'
   */
  readonly name?: string;
  /**
   * VPC flow logs. Off by default: they are billed per GB ingested, they need a destination that
   * many organisations already run centrally (an account-wide or organisation-wide flow log, a
   * log-archive bucket), and these subnets carry only data-store traffic that the security groups
   * already restrict to known clients. Turn them on where no central flow log covers this VPC.
   * @default - no flow logs
   */
  readonly flowLogs?: FlowLogs;
}

/** What a network choice gives the data stores. */
export interface NetworkBinding extends IDataNetwork {
  /** The VPC, when the choice created one. */
  readonly vpc?: Vpc;
  /** The private subnets, when the choice created them. */
  readonly subnets: Subnet[];
}

/** The network of the data tier: a typed choice. */
export abstract class Network {
  /** A VPC and private subnets that already exist, such as the EKS cluster's. */
  static existing(options: ExistingNetworkOptions): Network {
    return new ExistingNetwork(options);
  }

  /**
   * A new VPC with one private subnet per availability zone and no route to the internet: the
   * data stores need none, and their clients reach them through the VPC (or a peering).
   */
  static create(options: NewNetworkOptions): Network {
    return new NewNetwork(options);
  }

  /** Creates whatever the choice needs under `scope`. */
  abstract bind(scope: Construct): NetworkBinding;
}

class ExistingNetwork extends Network {
  constructor(private readonly options: ExistingNetworkOptions) {
    super();
    const where = 'Network.existing';
    requireProps(where, options, {
      vpcId: 'pass the VPC, such as "vpc-0a1b2c3d4e5f67890"',
      privateSubnetIds: 'pass at least two private subnets in different availability zones',
      clientSecurityGroupIds: 'pass the security groups of the cluster nodes or pods that connect',
    });
    checkResourceId(where, 'vpcId', options.vpcId, 'vpc');
    checkResourceIds(
      where,
      'privateSubnetIds',
      options.privateSubnetIds,
      'subnet',
      2,
      'give private subnets in at least two availability zones',
    );
    checkResourceIds(
      where,
      'clientSecurityGroupIds',
      options.clientSecurityGroupIds,
      'sg',
      1,
      'name the security groups of the cluster nodes or pods that connect',
    );
  }

  bind(): NetworkBinding {
    return {
      vpcId: this.options.vpcId,
      privateSubnetIds: [...this.options.privateSubnetIds],
      clientSecurityGroupIds: [...this.options.clientSecurityGroupIds],
      subnets: [],
    };
  }
}

class NewNetwork extends Network {
  private readonly subnetCidrs: string[];

  constructor(private readonly options: NewNetworkOptions) {
    super();
    const where = 'Network.create';
    requireProps(where, options, {
      cidrBlock: 'pass the VPC\'s IPv4 range, such as "10.40.0.0/16"',
      availabilityZones: 'pass at least two availability zones, such as ["eu-west-1a", "eu-west-1b"]',
    });
    const vpc = typeof options.cidrBlock === 'string' ? parseCidr(options.cidrBlock) : undefined;
    if (vpc === undefined || vpc.hostBits || vpc.prefixLength < 16 || vpc.prefixLength > 28) {
      throw invalidProp(
        where,
        'cidrBlock',
        'be an IPv4 network from /16 to /28 such as "10.40.0.0/16"',
        options.cidrBlock,
        'the address must be the first of its range (no host bits set)',
      );
    }
    const zones = options.availabilityZones;
    if (zones.length < 2) {
      throw invalidProp(
        where,
        'availabilityZones',
        'list at least two availability zones',
        zones,
        'RDS and ElastiCache subnet groups need subnets in two zones',
      );
    }
    for (const zone of zones) check(where, 'availabilityZones', zone, availabilityZone);
    if (new Set(zones).size !== zones.length) {
      throw invalidProp(where, 'availabilityZones', 'not list a zone twice', zones);
    }
    const regions = new Set(zones.map((zone) => AVAILABILITY_ZONE.exec(zone)?.[1]));
    if (regions.size > 1) {
      throw invalidProp(where, 'availabilityZones', 'all be in one region (a VPC is regional)', zones);
    }
    const subnetPrefixLength = options.subnetPrefixLength ?? Math.min(vpc.prefixLength + 4, 28);
    if (
      !Number.isInteger(subnetPrefixLength) ||
      subnetPrefixLength <= vpc.prefixLength ||
      subnetPrefixLength > 28
    ) {
      throw invalidProp(
        where,
        'subnetPrefixLength',
        `be a whole number from ${vpc.prefixLength + 1} to 28 (longer than the VPC's /${vpc.prefixLength})`,
        subnetPrefixLength,
      );
    }
    if (2 ** (subnetPrefixLength - vpc.prefixLength) < zones.length) {
      throw invalidProp(
        where,
        options.subnetPrefixLength === undefined ? 'cidrBlock' : 'subnetPrefixLength',
        `leave room for ${zones.length} subnets of /${subnetPrefixLength}`,
        options.subnetPrefixLength === undefined ? options.cidrBlock : subnetPrefixLength,
        'use a larger VPC range or a longer subnet prefix',
      );
    }
    if (options.clientSecurityGroupIds !== undefined) {
      checkResourceIds(where, 'clientSecurityGroupIds', options.clientSecurityGroupIds, 'sg', 0);
    }
    if (options.name !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,49}$/.test(options.name)) {
      throw invalidProp(
        where,
        'name',
        'be 1 to 50 letters, digits, ".", "_" or "-", starting with a letter or digit',
        options.name,
      );
    }
    this.subnetCidrs = subnetCidrs(options.cidrBlock, subnetPrefixLength, zones.length);
  }

  bind(scope: Construct): NetworkBinding {
    const name = this.options.name ?? 'mcpenv-data';
    const vpc = new Vpc(scope, 'Resource', {
      cidrBlock: this.options.cidrBlock,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: name },
    });
    // Adopting the default security group strips its rules, so nothing placed in it by mistake
    // is reachable (AWS Security Hub EC2.2).
    new DefaultSecurityGroup(scope, 'DefaultSecurityGroup', {
      vpcId: vpc.id,
      tags: { Name: `${name}-default-deny` },
    });
    const subnets = this.options.availabilityZones.map((zone, index) => {
      const number = index + 1;
      const subnet = new Subnet(scope, `PrivateSubnet${number}`, {
        vpcId: vpc.id,
        availabilityZone: zone,
        cidrBlock: this.subnetCidrs[index],
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-private-${zone}` },
      });
      // An empty route list is enforced, not just omitted: Terraform removes any route added
      // outside it, so the subnet keeps only the VPC-local route (gateway endpoint routes excepted).
      const routeTable = new RouteTable(scope, `PrivateRouteTable${number}`, {
        vpcId: vpc.id,
        route: [],
        tags: { Name: `${name}-private-${zone}` },
      });
      new RouteTableAssociation(scope, `PrivateRouteTableAssociation${number}`, {
        subnetId: subnet.id,
        routeTableId: routeTable.id,
      });
      return subnet;
    });
    this.options.flowLogs?.bind(scope, { vpcId: vpc.id, name });
    return {
      vpc,
      vpcId: vpc.id,
      privateSubnetIds: subnets.map((subnet) => subnet.id),
      clientSecurityGroupIds: [...(this.options.clientSecurityGroupIds ?? [])],
      subnets,
    };
  }
}

export interface CloudWatchFlowLogsOptions {
  /**
   * Days CloudWatch Logs keeps the records; one of the values CloudWatch Logs accepts
   * (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
   * 3288, 3653).
   * @default 365
   */
  readonly retentionDays?: number;
}

export interface S3FlowLogsOptions {
  /** ARN of the bucket (optionally with a folder), such as `arn:aws:s3:::org-log-archive/vpc`. */
  readonly bucketArn: string;
}

/** What a flow log is attached to. */
export interface FlowLogTarget {
  readonly vpcId: string;
  /** Prefix for names of what the flow log needs. */
  readonly name: string;
}

const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Where VPC flow logs go: a typed choice. Every choice records all traffic (accepted and rejected). */
export abstract class FlowLogs {
  /**
   * A new CloudWatch Logs group (encrypted at rest with CloudWatch Logs' own key) and an IAM role
   * that lets the flow log service write to that group only.
   */
  static toCloudWatchLogs(options: CloudWatchFlowLogsOptions = {}): FlowLogs {
    return new CloudWatchFlowLogs(options);
  }

  /** An existing S3 bucket, such as an organisation's log archive; AWS adds the bucket policy it needs. */
  static toS3(options: S3FlowLogsOptions): FlowLogs {
    return new S3FlowLogs(options);
  }

  /** Creates the flow log (and whatever it needs) under `scope`. */
  abstract bind(scope: Construct, target: FlowLogTarget): FlowLog;
}

class CloudWatchFlowLogs extends FlowLogs {
  private readonly retentionDays: number;

  constructor(options: CloudWatchFlowLogsOptions) {
    super();
    this.retentionDays = options.retentionDays ?? 365;
    if (!LOG_RETENTION_DAYS.includes(this.retentionDays)) {
      throw invalidProp(
        'FlowLogs.toCloudWatchLogs',
        'retentionDays',
        `be one of ${LOG_RETENTION_DAYS.join(', ')}`,
        this.retentionDays,
      );
    }
  }

  bind(scope: Construct, target: FlowLogTarget): FlowLog {
    claimName(scope, {
      construct: 'FlowLogs.toCloudWatchLogs',
      kind: 'IAM role',
      name: `${target.name}-vpc-flow-logs`,
      consequence:
        'an AWS account holds one IAM role per name (and a region one log group per name), so the ' +
        'second network would fail to create its flow log',
      fix: 'give the networks different names (`Network.create({ name })`)',
    });
    const group = new CloudwatchLogGroup(scope, 'FlowLogGroup', {
      name: `/mcpenv/${target.name}/vpc-flow-logs`,
      retentionInDays: this.retentionDays,
    });
    const role = new IamRole(scope, 'FlowLogRole', {
      name: `${target.name}-vpc-flow-logs`,
      description: 'Lets VPC flow logs write to their CloudWatch Logs group (managed by mcpenv)',
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
    });
    new IamRolePolicy(scope, 'FlowLogRolePolicy', {
      name: 'write-flow-logs',
      role: role.id,
      policy: Fn.jsonencode({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: [group.arn, `${group.arn}:*`],
          },
          { Effect: 'Allow', Action: 'logs:DescribeLogGroups', Resource: '*' },
        ],
      }),
    });
    return new FlowLog(scope, 'FlowLog', {
      vpcId: target.vpcId,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: group.arn,
      iamRoleArn: role.arn,
      tags: { Name: target.name },
    });
  }
}

class S3FlowLogs extends FlowLogs {
  constructor(private readonly options: S3FlowLogsOptions) {
    super();
    requireProps('FlowLogs.toS3', options, {
      bucketArn: 'pass the ARN of the bucket, such as "arn:aws:s3:::org-log-archive/vpc"',
    });
    if (!/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(options.bucketArn)) {
      throw invalidProp(
        'FlowLogs.toS3',
        'bucketArn',
        'be an S3 bucket ARN such as "arn:aws:s3:::org-log-archive/vpc"',
        options.bucketArn,
      );
    }
  }

  bind(scope: Construct, target: FlowLogTarget): FlowLog {
    return new FlowLog(scope, 'FlowLog', {
      vpcId: target.vpcId,
      trafficType: 'ALL',
      logDestinationType: 's3',
      logDestination: this.options.bucketArn,
      tags: { Name: target.name },
    });
  }
}

export interface DataNetworkProps {
  /** An existing VPC (`Network.existing`) or a new one (`Network.create`). */
  readonly network: Network;
}

/**
 * The network of the data tier: where RDS and ElastiCache live and which client security groups
 * may reach them. Pass it to `RdsPostgres` and `ElastiCacheRedis`.
 */
export class DataNetwork extends Construct implements IDataNetwork {
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  readonly clientSecurityGroupIds: string[];
  /** The VPC (the construct's `Resource`), when `Network.create` made one. */
  readonly vpc?: Vpc;
  /** The private subnets, when `Network.create` made them; empty otherwise. */
  readonly subnets: Subnet[];

  constructor(scope: Construct, id: string, props: DataNetworkProps) {
    super(scope, id);
    requireProps('DataNetwork', props, {
      network:
        'pass Network.existing({ vpcId, privateSubnetIds, clientSecurityGroupIds }) or Network.create({ cidrBlock, availabilityZones })',
    });
    const binding = props.network.bind(this);
    this.vpcId = binding.vpcId;
    this.privateSubnetIds = binding.privateSubnetIds;
    this.clientSecurityGroupIds = binding.clientSecurityGroupIds;
    this.vpc = binding.vpc;
    this.subnets = binding.subnets;
  }
}
