import { z } from 'zod';
import { invalidSpec, showValue } from './errors';
import { METRICS } from '@mcpenv/contract';
import { isPositiveDuration } from './monitoring/promql';

/**
 * The description of one MCP environment. The CLI reads it from YAML, constructs take the same
 * shape as props; both go through `parseSpec`, so defaults and validation live only here.
 */

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/** Splits an image reference into its parts; `tag` and `digest` are undefined when absent. */
export function parseImageReference(image: string): { repository: string; tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > withoutDigest.lastIndexOf('/');
  return {
    repository: hasTag ? withoutDigest.slice(0, colon) : withoutDigest,
    tag: hasTag ? withoutDigest.slice(colon + 1) : undefined,
    digest,
  };
}

function imageProblem(image: string): string | undefined {
  if (/\s/.test(image) || image.length === 0) return 'must be a container image reference without spaces';
  const { repository, tag, digest } = parseImageReference(image);
  if (!/^[a-z0-9]+([._/:-][a-z0-9]+)*$/.test(repository)) {
    return 'must be a container image reference such as "ghcr.io/org/server:1.2.3"';
  }
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    return 'must use a digest of the form "@sha256:<64 hex digits>"';
  }
  if (tag === undefined && digest === undefined) {
    return 'must be pinned: add a version tag (":1.2.3") or a digest ("@sha256:...")';
  }
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) return 'has an invalid tag';
  if (tag === 'latest' && digest === undefined) {
    return 'must not use the mutable tag "latest": pin a version tag or a digest';
  }
  return undefined;
}

function publicUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as "https://mcp.example.com"';
  }
  if (url.protocol !== 'https:') return 'must use https (TLS terminates at the ingress)';
  if (url.username || url.password) return 'must not contain credentials';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return 'must be an origin without path, query or fragment (the MCP endpoint is served at /mcp)';
  }
  return undefined;
}

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti)$/;
const LABELS = z
  .record(
    z
      .string()
      .regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, { error: 'must be a label key' }),
    z
      .string()
      .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, { error: 'must be a label value' }),
    { error: 'must be a mapping of Kubernetes labels' },
  )
  .describe('Kubernetes labels.');

const ALERT_RATIO = z
  .number({ error: 'must be a number' })
  .gt(0, { error: 'must be greater than 0 (write 5% as 0.05)' })
  .lt(1, { error: 'must be less than 1 (write 5% as 0.05)' });
const ALERT_FOR = z
  .string({ error: 'must be a string' })
  .refine(isPositiveDuration, { error: 'must be a positive Prometheus duration such as "5m" or "1h30m"' });
const LATENCY_BOUNDS = METRICS.requestDurationSeconds.buckets;

/** Alert thresholds and durations an environment file may tune; see `AlertRulesProps`. */
const ALERTS = z
  .strictObject({
    errorRatioThreshold: ALERT_RATIO.optional().describe('Share of 5xx responses (default 0.05).'),
    errorRatioFor: ALERT_FOR.optional().describe('Default 10m.'),
    latencyP95ThresholdSeconds: z
      .number({ error: 'must be a number' })
      .gte(LATENCY_BOUNDS[0], { error: `must be at least ${LATENCY_BOUNDS[0]} (write 250 ms as 0.25)` })
      .lt(LATENCY_BOUNDS[LATENCY_BOUNDS.length - 1], {
        error: `must be less than ${LATENCY_BOUNDS[LATENCY_BOUNDS.length - 1]}, the largest latency bucket`,
      })
      .optional()
      .describe('p95 request duration in seconds (default 1).'),
    latencyFor: ALERT_FOR.optional().describe('Default 10m.'),
    serverDownFor: ALERT_FOR.optional().describe('Default 5m.'),
    memoryUsageThreshold: ALERT_RATIO.optional().describe('Share of the memory limit (default 0.9).'),
    memoryFor: ALERT_FOR.optional().describe('Default 15m.'),
    cpuUsageThreshold: ALERT_RATIO.optional().describe('Share of the CPU limit (default 0.9).'),
    cpuFor: ALERT_FOR.optional().describe('Default 15m.'),
    toolErrorRatioThreshold: ALERT_RATIO.optional().describe('Share of failed calls per tool (default 0.1).'),
    toolErrorFor: ALERT_FOR.optional().describe('Default 15m.'),
    rateLimitRejectionRatioThreshold: ALERT_RATIO.optional().describe(
      'Share of requests rejected with 429 (default 0.1).',
    ),
    rateLimitRejectionFor: ALERT_FOR.optional().describe('Default 10m.'),
    notReadyFor: ALERT_FOR.optional().describe('Default 5m.'),
    postgresDownFor: ALERT_FOR.optional().describe('Default 2m.'),
    redisDownFor: ALERT_FOR.optional().describe('Default 5m.'),
    authFailureRatioThreshold: ALERT_RATIO.optional().describe(
      'Share of requests failing authentication; set it to add the McpAuthFailures alert.',
    ),
    authFailureFor: ALERT_FOR.optional().describe('Default 10m.'),
  })
  .describe('Alert thresholds and `for` durations; the rule tests follow them.');

const httpsUrl = (what: string) =>
  z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
    try {
      if (new URL(value).protocol !== 'https:')
        ctx.addIssue({ code: 'custom', message: `must be an https URL (${what})` });
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be an absolute https URL (${what})` });
    }
  });

export const InClusterDataTierSchema = z
  .strictObject({
    kind: z.literal('in-cluster').describe('Postgres and Redis run inside the cluster.'),
    postgresStorage: z
      .string()
      .regex(QUANTITY, { error: 'must be a storage size such as "10Gi"' })
      .default('10Gi')
      .describe('Size of the Postgres volume. Default 10Gi.'),
    redisPersistence: z
      .boolean({ error: 'must be true or false' })
      .default(false)
      .describe('Keep Redis data on a volume.'),
  })
  .describe('Postgres and Redis run as workloads in the cluster.');

export const AwsDataTierSchema = z
  .strictObject({
    kind: z.literal('aws').describe('Postgres and Redis are AWS-managed (RDS and ElastiCache).'),
    region: z
      .string({ error: 'must be a string such as "eu-west-1"' })
      .regex(AWS_REGION, { error: 'must be an AWS region such as "eu-west-1"' })
      .describe('AWS region of the data tier.'),
    vpcCidrs: z
      .array(z.string().regex(CIDR, { error: 'must be an IPv4 CIDR block such as "10.0.0.0/16"' }), {
        error: 'must be a list of CIDR blocks',
      })
      .min(1, { error: 'must list at least one CIDR block (the VPC the data tier lives in)' })
      .describe('CIDR blocks of the VPC holding RDS and ElastiCache, for the egress NetworkPolicy.'),
    network: z
      .strictObject({
        vpcId: z
          .string()
          .regex(/^vpc-[0-9a-f]{8,17}$/, { error: 'must be a VPC id such as "vpc-0123456789abcdef0"' })
          .optional(),
        privateSubnetIds: z
          .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'must be a subnet id' }))
          .optional()
          .describe('Private subnets of an existing VPC, in at least two availability zones.'),
        availabilityZones: z
          .array(
            z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, {
              error: 'must be an availability zone such as "eu-west-1a"',
            }),
          )
          .optional()
          .describe("Zones for a new VPC's private subnets (at least two)."),
        clientSecurityGroupIds: z
          .array(
            z.string().regex(/^sg-[0-9a-f]{8,17}$/, {
              error: 'must be a security group id such as "sg-0123456789abcdef0"',
            }),
          )
          .min(1, { error: 'must list the security group of the cluster nodes or pods' })
          .describe('Security groups allowed to reach Postgres and Redis (the cluster nodes or pods).'),
      })
      .describe(
        'An existing VPC (vpcId + privateSubnetIds) or a new one (availabilityZones; CIDR from vpcCidrs[0]).',
      ),
    production: z
      .boolean({ error: 'must be true or false' })
      .default(true)
      .describe('Deletion protection and a final snapshot for the database. Default true.'),
    postgres: z
      .strictObject({
        engineVersion: z.string().optional().describe('Pinned Postgres version, e.g. "16.6".'),
        instanceClass: z.string().optional().describe('RDS instance class, e.g. "db.t4g.medium".'),
        allocatedStorageGb: z.number().int().optional().describe('Initial storage in GiB.'),
        backupRetentionDays: z
          .number()
          .int()
          .optional()
          .describe('Automated backup retention, 7 to 35 days.'),
        multiAz: z.boolean().optional().describe('A standby in a second zone.'),
      })
      .default({})
      .describe('RDS settings.'),
    redis: z
      .strictObject({
        engineVersion: z.string().optional().describe('Pinned Redis version, e.g. "7.1".'),
        nodeType: z.string().optional().describe('ElastiCache node type, e.g. "cache.t4g.small".'),
        nodes: z.number().int().optional().describe('Cache nodes (1 to 6); more than one enables failover.'),
      })
      .default({})
      .describe('ElastiCache settings.'),
  })
  .superRefine((tier, ctx) => {
    const existing = tier.network.vpcId !== undefined || tier.network.privateSubnetIds !== undefined;
    if (existing && (tier.network.vpcId === undefined || (tier.network.privateSubnetIds ?? []).length < 2)) {
      ctx.addIssue({
        code: 'custom',
        path: ['network'],
        message: 'must give vpcId and at least two privateSubnetIds to use an existing VPC',
        input: tier.network,
      });
    }
    if (existing && tier.network.availabilityZones !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'availabilityZones'],
        message: 'must not be set with an existing VPC',
        input: tier.network.availabilityZones,
      });
    }
    if (!existing && (tier.network.availabilityZones ?? []).length < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'availabilityZones'],
        message: 'must list at least two zones to create a VPC (or give vpcId and privateSubnetIds)',
        input: tier.network.availabilityZones,
      });
    }
  })
  .describe('Postgres on RDS and Redis on ElastiCache, created by the Terraform stack.');

export const TerraformBackendSchema = z
  .discriminatedUnion(
    'kind',
    [
      z.strictObject({ kind: z.literal('local') }).describe('State files next to the synthesized stacks.'),
      z
        .strictObject({
          kind: z.literal('s3'),
          bucket: z
            .string()
            .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be an S3 bucket name' }),
          region: z.string().regex(AWS_REGION, { error: 'must be an AWS region such as "eu-west-1"' }),
          keyPrefix: z
            .string()
            .regex(/^[\w.-]+(\/[\w.-]+)*$/, { error: 'must be an S3 key prefix such as "mcpenv/prod"' })
            .optional()
            .describe('Prefix of the state objects. Default mcpenv/<name>.'),
          kmsKeyId: z
            .string()
            .optional()
            .describe("KMS key for the state objects. Default: the bucket's encryption."),
        })
        .describe('State in S3, encrypted, locked with an S3 lock file.'),
    ],
    { error: 'must have `kind` set to "local" or "s3"' },
  )
  .describe('Where Terraform keeps state.');

export const DataTierSchema = z.discriminatedUnion('kind', [InClusterDataTierSchema, AwsDataTierSchema], {
  error: 'must have `kind` set to "in-cluster" or "aws"',
});

export const RoutingSpecSchema = z
  .discriminatedUnion(
    'kind',
    [
      z.strictObject({
        kind: z.literal('ingress'),
        controller: z
          .enum(['nginx', 'aws-alb'], { error: 'must be nginx or aws-alb' })
          .default('nginx')
          .describe('Ingress controller the annotations are written for.'),
        className: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
          .optional()
          .describe('IngressClass name.'),
      }),
      z.strictObject({
        kind: z.literal('gateway-api'),
        gateway: z
          .strictObject({
            name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: 'must be a Gateway name' }),
            namespace: z.string().regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, { error: 'must be a namespace' }),
          })
          .optional()
          .describe('An existing Gateway to attach to.'),
        gatewayClassName: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: 'must be a GatewayClass name' })
          .optional()
          .describe('Create a Gateway of this class instead.'),
      }),
    ],
    { error: 'must have `kind` set to "ingress" or "gateway-api"' },
  )
  .describe('How clients reach the server.');

export const TlsSpecSchema = z
  .strictObject({
    clusterIssuer: z.string().optional().describe('An existing cert-manager ClusterIssuer.'),
    acmeEmail: z
      .email({ error: 'must be an email address' })
      .optional()
      .describe("Create an ACME (Let's Encrypt) issuer with this contact."),
    acmCertificateArn: z.string().optional().describe('An ACM certificate (AWS ALB only).'),
  })
  .describe('Where the TLS certificate comes from: set one of the fields.');

export const McpEnvironmentSpecSchema = z
  .strictObject(
    {
      name: z
        .string({ error: 'must be a string' })
        .max(40, { error: 'must be at most 40 characters' })
        .regex(DNS_LABEL, {
          error: 'must be a DNS label: lowercase letters, digits and "-", starting with a letter',
        })
        .describe('Environment name, e.g. "prod". Used in resource names and tags.'),
      image: z
        .string({ error: 'must be a string' })
        .superRefine((value, ctx) => {
          const problem = imageProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .describe('Container image of the MCP server, pinned by tag or digest.'),
      replicas: z
        .number({ error: 'must be a number' })
        .int({ error: 'must be a whole number' })
        .min(1, { error: 'must be at least 1' })
        .max(100, { error: 'must be at most 100' })
        .default(2)
        .describe('Number of server replicas. Default 2.'),
      publicUrl: z
        .string({ error: 'must be a string' })
        .superRefine((value, ctx) => {
          const problem = publicUrlProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .transform((value) => new URL(value).origin)
        .describe('Public HTTPS origin of the server, e.g. "https://mcp.example.com".'),
      namespace: z
        .string({ error: 'must be a string' })
        .max(63, { error: 'must be at most 63 characters' })
        .regex(DNS_LABEL, { error: 'must be a DNS label (lowercase letters, digits and "-")' })
        .optional()
        .describe('Kubernetes namespace. Default: "mcp-<name>".'),
      dataTier: DataTierSchema.default({
        kind: 'in-cluster',
        postgresStorage: '10Gi',
        redisPersistence: false,
      }).describe('Where Postgres and Redis run. Default: in the cluster.'),
      maxReplicas: z
        .number({ error: 'must be a number' })
        .int({ error: 'must be a whole number' })
        .min(1, { error: 'must be at least 1' })
        .max(1000, { error: 'must be at most 1000' })
        .optional()
        .describe('Most pods the autoscaler may run. Default: three times replicas.'),
      routing: RoutingSpecSchema.default({ kind: 'ingress', controller: 'nginx' }),
      tls: TlsSpecSchema.optional(),
      oauth: z
        .strictObject({
          issuer: httpsUrl('the issuer').describe('Issuer (`iss`) of accepted JWTs.'),
          jwksUrl: httpsUrl('the JWKS').describe('JWKS URL of the issuer.'),
          tenantClaim: z
            .string()
            .regex(/^[A-Za-z_][\w.:/-]*$/, { error: 'must be a JWT claim name' })
            .default('tenant_id')
            .describe('Claim naming the tenant.'),
        })
        .optional()
        .describe('OAuth authorization server, besides API keys.'),
      network: z
        .strictObject({
          ingressNamespace: z
            .string()
            .regex(DNS_LABEL, { error: 'must be a namespace name' })
            .default('ingress-nginx'),
          monitoringNamespace: z
            .string()
            .regex(DNS_LABEL, { error: 'must be a namespace name' })
            .default('monitoring'),
        })
        .default({ ingressNamespace: 'ingress-nginx', monitoringNamespace: 'monitoring' })
        .describe('Namespaces admitted by the NetworkPolicies.'),
      terraformBackend: TerraformBackendSchema.default({ kind: 'local' }).describe(
        'Where Terraform keeps state: local (default) or S3 with locking.',
      ),
      monitoring: z
        .strictObject({
          labels: LABELS.optional().describe(
            'Labels for the Prometheus selectors (e.g. release: kube-prometheus-stack).',
          ),
          dashboardLabels: LABELS.optional().describe(
            'Labels for the Grafana sidecar. Default grafana_dashboard: "1".',
          ),
          runbookBaseUrl: httpsUrl('the runbooks')
            .optional()
            .describe('Base URL of the runbooks linked from alerts.'),
          alerts: ALERTS.optional(),
        })
        .default({})
        .describe('Monitoring objects.'),
    },
    {
      error:
        'must be a mapping with the fields name, image, publicUrl and optionally replicas, namespace, dataTier',
    },
  )
  .superRefine((spec, ctx) => {
    if (spec.maxReplicas !== undefined && spec.maxReplicas < spec.replicas) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxReplicas'],
        message: `must be at least replicas (${spec.replicas})`,
        input: spec.maxReplicas,
      });
    }
    if (
      spec.routing.kind === 'gateway-api' &&
      (spec.routing.gateway === undefined) === (spec.routing.gatewayClassName === undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['routing'],
        message:
          'must set exactly one of `gateway` (attach to an existing Gateway) and `gatewayClassName` (create one)',
        input: spec.routing,
      });
    }
    const tlsChoices = Object.values(spec.tls ?? {}).filter((value) => value !== undefined).length;
    if (tlsChoices > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'must set only one of clusterIssuer, acmeEmail, acmCertificateArn',
        input: spec.tls,
      });
    }
  })
  .transform((spec) => ({ ...spec, namespace: spec.namespace ?? `mcp-${spec.name}` }))
  .describe('An MCP environment: the server workload and its data tier.');

/** What a user writes: optional fields may be left out. */
export type McpEnvironmentSpecInput = z.input<typeof McpEnvironmentSpecSchema>;
/** The validated spec with every default applied. */
export type McpEnvironmentSpec = z.output<typeof McpEnvironmentSpecSchema>;
export type DataTier = McpEnvironmentSpec['dataTier'];

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

/** A union's discriminator issue carries the whole object; show only the bad field. */
function offendingValue(issue: z.core.$ZodIssue): unknown {
  const last = issue.path[issue.path.length - 1];
  const input = issue.input;
  if (typeof last === 'string' && input !== null && typeof input === 'object' && last in input) {
    return (input as Record<string, unknown>)[last];
  }
  return input;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    const prefix = issue.path.length > 0 ? `${where}: ` : '';
    return `${prefix}unknown key ${keys}: remove it or check its spelling`;
  }
  if (issue.input === undefined && issue.code === 'invalid_type') {
    return `${where}: is required and ${issue.message}`;
  }
  return `${where}: ${issue.message} (got ${showValue(offendingValue(issue))})`;
}

/**
 * Validates a spec and applies defaults. Throws a `ValidationError` that lists every problem
 * with its field path, the bad value and the fix.
 *
 * @param source what the input came from, for the message (a file name or "props")
 */
export function parseSpec(input: unknown, source = 'environment spec'): McpEnvironmentSpec {
  const result = McpEnvironmentSpecSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw invalidSpec(source, result.error.issues.map(formatIssue));
  return result.data;
}
