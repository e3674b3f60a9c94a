/**
 * Checks and building blocks shared by the Terraform-side constructs. Not part of the public API
 * (`constructs/tf/index.ts` does not re-export this module).
 */
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { TerraformStack, TerraformVariable, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { collision, invalidProp, showValue } from '../errors';
import { awsId, check, parseCidr, wholeNumber } from '../validators';

/** What a data store needs from the network: where it lives and who may reach it. */
export interface NetworkShape {
  readonly vpcId: string;
  readonly privateSubnetIds: readonly string[];
  readonly clientSecurityGroupIds: readonly string[];
}

/** Checks one id; a token (a reference to another resource) is taken as is. */
export function checkResourceId(
  construct: string,
  prop: string,
  id: string,
  kind: Parameters<typeof awsId>[0],
) {
  if (Token.isUnresolved(id)) return;
  check(construct, prop, id, awsId(kind));
}

/**
 * Checks a list of ids: at least `min`, each well formed, no repeats. A whole-list token is taken
 * as is, since its length is known only at apply time.
 */
export function checkResourceIds(
  construct: string,
  prop: string,
  ids: readonly string[],
  kind: Parameters<typeof awsId>[0],
  min: number,
  fix?: string,
) {
  if (Token.isUnresolved(ids)) return;
  if (ids.length < min) {
    const what = min === 1 ? 'at least one id' : `at least ${min} ids`;
    throw invalidProp(construct, prop, `list ${what}`, ids, fix);
  }
  for (const id of ids) checkResourceId(construct, prop, id, kind);
  const literal = ids.filter((id) => !Token.isUnresolved(id));
  if (new Set(literal).size !== literal.length) {
    throw invalidProp(construct, prop, 'not list an id twice', ids);
  }
}

/** The network a data store is placed in: two subnets or more, one client security group or more. */
export function checkNetworkShape(construct: string, network: NetworkShape, clientsProp: string) {
  checkResourceId(construct, 'network.vpcId', network.vpcId, 'vpc');
  checkResourceIds(
    construct,
    'network.privateSubnetIds',
    network.privateSubnetIds,
    'subnet',
    2,
    'give private subnets in at least two availability zones',
  );
  if (Token.isUnresolved(network.clientSecurityGroupIds)) {
    throw invalidProp(
      construct,
      clientsProp,
      'be a list written out in code, one rule is made per entry',
      network.clientSecurityGroupIds,
      'each entry may still be a reference to another resource',
    );
  }
  checkResourceIds(
    construct,
    clientsProp,
    network.clientSecurityGroupIds,
    'sg',
    1,
    'name the security groups of the cluster nodes or pods that connect',
  );
}

/** A whole number in `min..max`. */
export function checkWholeNumber(
  construct: string,
  prop: string,
  value: number,
  min: number,
  max: number,
  fix?: string,
) {
  const problem = wholeNumber(min, max)(value);
  if (problem !== undefined) throw invalidProp(construct, prop, problem.rule, value, fix);
}

/**
 * A name AWS uses as an identifier (RDS instances, ElastiCache replication groups): a lowercase
 * letter first, then lowercase letters, digits and single hyphens, no hyphen at the end.
 */
export function isAwsName(value: string, maxLength: number): boolean {
  return (
    value.length <= maxLength &&
    /^[a-z][a-z0-9-]*$/.test(value) &&
    !value.includes('--') &&
    !value.endsWith('-')
  );
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const TIME = '([01]\\d|2[0-3]):([0-5]\\d)';
const DAY_TIME = `(mon|tue|wed|thu|fri|sat|sun):${TIME}`;

function minutesOf(day: string | undefined, hours: string, minutes: string): number {
  return (day === undefined ? 0 : DAYS.indexOf(day) * 24 * 60) + Number(hours) * 60 + Number(minutes);
}

/**
 * A UTC time window: daily `hh24:mi-hh24:mi` (backups, snapshots) or weekly
 * `ddd:hh24:mi-ddd:hh24:mi` (maintenance), at least `minMinutes` long.
 */
export function checkWindow(
  construct: string,
  prop: string,
  value: string,
  kind: 'daily' | 'weekly',
  minMinutes: number,
) {
  const weekly = kind === 'weekly';
  const match = new RegExp(weekly ? `^${DAY_TIME}-${DAY_TIME}$` : `^${TIME}-${TIME}$`).exec(value);
  const example = weekly ? '"sun:03:00-sun:04:00"' : '"02:00-03:00"';
  const rule = `be a UTC window of at least ${minMinutes} minutes such as ${example}`;
  if (!match) throw invalidProp(construct, prop, rule, value);
  const period = weekly ? 7 * 24 * 60 : 24 * 60;
  const [start, end] = weekly
    ? [minutesOf(match[1], match[2], match[3]), minutesOf(match[4], match[5], match[6])]
    : [minutesOf(undefined, match[1], match[2]), minutesOf(undefined, match[3], match[4])];
  if ((end - start + period) % period < minMinutes) throw invalidProp(construct, prop, rule, value);
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

/**
 * The first `count` subnets of `prefixLength` bits inside `cidrBlock`, in order: the same as
 * Terraform's `cidrsubnet(cidrBlock, prefixLength - vpcPrefix, index)`, computed at synth time so
 * the plan shows real addresses.
 */
export function subnetCidrs(cidrBlock: string, prefixLength: number, count: number): string[] {
  const parsed = parseCidr(cidrBlock);
  if (parsed === undefined || parsed.hostBits) throw new RangeError(`not an IPv4 network: ${cidrBlock}`);
  const size = 2 ** (32 - prefixLength);
  if (prefixLength < parsed.prefixLength || count * size > 2 ** (32 - parsed.prefixLength)) {
    throw new RangeError(`${count} subnets of /${prefixLength} do not fit in ${cidrBlock}`);
  }
  return Array.from(
    { length: count },
    (_, index) => `${formatIpv4(parsed.address + index * size)}/${prefixLength}`,
  );
}

export interface ClientOnlySecurityGroupProps {
  readonly vpcId: string;
  /** Name of the security group (unique in the VPC). */
  readonly name: string;
  /** What the group protects, e.g. "PostgreSQL"; used in descriptions. */
  readonly service: string;
  readonly port: number;
  readonly clientSecurityGroupIds: readonly string[];
}

/**
 * A security group that admits TCP on one port from the given client security groups only: one
 * `aws_vpc_security_group_ingress_rule` per client, never a CIDR, and no egress rule (Terraform
 * removes AWS's default allow-all egress; replies to admitted connections are stateful).
 *
 * Rule ids follow the list's order (`FromClient1`, ...), since client ids may be references
 * known only at apply time: append new clients at the end.
 */
export function clientOnlySecurityGroup(scope: Construct, id: string, props: ClientOnlySecurityGroupProps) {
  const group = new SecurityGroup(scope, id, {
    name: props.name,
    description: `${props.service} access from client security groups only (managed by mcpenv)`,
    vpcId: props.vpcId,
    revokeRulesOnDelete: true,
  });
  props.clientSecurityGroupIds.forEach((clientId, index) => {
    new VpcSecurityGroupIngressRule(group, `FromClient${index + 1}`, {
      securityGroupId: group.id,
      referencedSecurityGroupId: clientId,
      ipProtocol: 'tcp',
      fromPort: props.port,
      toPort: props.port,
      description: `${props.service} from a client security group`,
    });
  });
  return group;
}

/** A name that must be unique among the resources of one kind in an AWS account and region. */
export interface NameClaim {
  /** The construct that claims it, for messages: `RdsPostgres`. */
  readonly construct: string;
  /** What the name names: `RDS instance identifier`. Claims are compared by kind and name. */
  readonly kind: string;
  readonly name: string;
  /** What would happen if two constructs shared it. */
  readonly consequence: string;
  /** How to fix it, naming the props that set the name. */
  readonly fix: string;
}

/** The names claimed in each stack: `[kind of name, name]` (as JSON) to the claiming construct's path. */
const claimsByStack = new WeakMap<TerraformStack, Map<string, string>>();

/**
 * Claims a name that must be unique in the stack's account and region (an RDS identifier, a KMS
 * alias) or in the stack itself (a Terraform variable); throws naming both constructs when another
 * construct of the stack has claimed it. A stack is the scope because its provider fixes the
 * account and region: stacks of one app often deploy to different accounts, where the same name
 * is fine. A name known only at apply time is not checked.
 */
export function claimName(scope: Construct, claim: NameClaim): void {
  if (Token.isUnresolved(claim.name)) return;
  const stack = TerraformStack.of(scope);
  let claims = claimsByStack.get(stack);
  if (claims === undefined) {
    claims = new Map();
    claimsByStack.set(stack, claims);
  }
  const key = JSON.stringify([claim.kind, claim.name]);
  const other = claims.get(key);
  if (other !== undefined) {
    const what = `${claim.construct}: ${claim.kind} ${showValue(claim.name)}`;
    throw collision(what, [other, scope.node.path], claim.consequence, claim.fix);
  }
  claims.set(key, scope.node.path);
}

/**
 * The validation that no other Terraform variable of the stack has the variable's name: Terraform
 * JSON keeps only one of two variables named alike, so the other would silently take its value.
 */
export function variableNameIsUnique(variable: TerraformVariable, where: string, fix: string) {
  return {
    validate: (): string[] => {
      const name = variable.friendlyUniqueId;
      const others = TerraformStack.of(variable)
        .node.findAll()
        .filter(
          (node) => node !== variable && node instanceof TerraformVariable && node.friendlyUniqueId === name,
        );
      return others.map(
        (other) =>
          collision(
            `${where}: Terraform variable ${showValue(name)}`,
            [other.node.path, variable.node.path],
            'Terraform keeps only one of two variables named alike, and both would read its value',
            fix,
          ).message,
      );
    },
  };
}
