import { z } from 'zod';
import { invalidSpec, showValue } from './errors';
import type {
  ExistingClaimBackupOptions,
  PersistentVolumeBackupOptions,
  PostgresBackupOptions,
  S3BackupOptions,
} from './k8s/backup';
import type { InClusterPostgresProps, InClusterRedisProps } from './k8s/data';
import type { McpEnvironmentProps } from './k8s/environment';
import type {
  AcmeIssuerOptions,
  GatewayApiRoutingOptions,
  IngressPreset,
  IngressRoutingOptions,
} from './k8s/routing';
import { ALERT_SETTINGS, type AlertThresholdProps } from './monitoring/alerts';
import {
  type AvailabilityObjective,
  latencyThreshold,
  type LatencyObjective,
  objectivePercent,
  type SloProps,
} from './monitoring/slo';
import type { ContainerResources } from './k8s/pod';
import { type McpProbeOptions, ProbeProtocol } from './k8s/probe';
import type { TracingProps } from './k8s/tracing';
import type { ExistingNetworkOptions, NewNetworkOptions } from './tf/network';
import type { RdsPostgresProps } from './tf/postgres';
import type { ElastiCacheRedisProps } from './tf/redis';
import {
  acmCertificateArn,
  availabilityZone,
  awsId,
  awsRegion,
  cronSchedule,
  dnsLabel,
  dnsSubdomain,
  email,
  httpsBaseUrl,
  httpsOrigin,
  httpsUrl,
  iamRoleArn,
  ipv4Cidr,
  jwtClaimName,
  labelKey,
  labelValue,
  mcpToolName,
  nonEmpty,
  otelServiceName,
  otlpEndpoint,
  pinnedImage,
  quantity,
  s3BucketName,
  s3KeyPrefix,
  secretKey,
  unitInterval,
  type Validator,
  wholeNumber,
} from './validators';

/**
 * An environment file is the props of the constructs and stacks it builds, under the same names:
 * its top-level keys are `McpEnvironment` props (image, publicUrl, replicas, routing, tls, …) and
 * the stacks' own props (name, namespace, dataTier, terraformBackend); a choice is written as
 * `kind` plus the options of the factory it stands for (`routing: { kind: ingress, preset }` is
 * `Routing.ingress({ preset })`). The schema checks types and single values with the validators
 * the constructs use; defaults and rules across props live in the constructs (and the stacks, for
 * their own props), whose errors the file loader reports under the file's paths.
 */

/** `routing`: the kind, then the options of `Routing.ingress` or `Routing.gatewayApi`. */
export type RoutingSpec =
  | ({ readonly kind: 'ingress' } & IngressRoutingOptions)
  | ({ readonly kind: 'gateway-api' } & GatewayApiRoutingOptions);

/** `tls`: the kind, then the argument(s) of `Tls.clusterIssuer`, `Tls.acme` or `Tls.acmCertificate`. */
export type TlsSpec =
  | { readonly kind: 'cluster-issuer'; readonly name: string }
  | ({ readonly kind: 'acme' } & AcmeIssuerOptions)
  | { readonly kind: 'acm-certificate'; readonly certificateArn: string };

/** `backup.storage`: the kind, then the options of the `BackupStorage` factory it names. */
export type BackupStorageSpec =
  | ({ readonly kind: 'persistent-volume' } & PersistentVolumeBackupOptions)
  | ({ readonly kind: 'existing-claim' } & ExistingClaimBackupOptions)
  | ({ readonly kind: 's3' } & S3BackupOptions);

/** `dataTier.postgres.backup`: `PostgresBackupOptions`, with the storage as a choice. */
export interface PostgresBackupSpec extends Omit<PostgresBackupOptions, 'storage'> {
  /**
   * Where the dumps are kept.
   * @default - { kind: 'persistent-volume' }
   */
  readonly storage?: BackupStorageSpec;
}

/** Postgres and Redis in the cluster: `Database.inCluster` and `Cache.inCluster` options. */
export interface InClusterDataTierSpec {
  readonly kind: 'in-cluster';
  /** `Database.inCluster` options; the credentials Secret is the stack's. */
  readonly postgres?: Omit<InClusterPostgresProps, 'credentialsSecret' | 'backup'> & {
    /** `Database.inCluster`'s `backup`. */
    readonly backup?: PostgresBackupSpec;
  };
  /** `Cache.inCluster` options; the password Secret is the stack's. */
  readonly redis?: Omit<InClusterRedisProps, 'passwordSecret'>;
}

/** `dataTier.network`: the kind, then the options of `Network.existing` or `Network.create`. */
export type NetworkSpec =
  | ({ readonly kind: 'existing' } & ExistingNetworkOptions)
  | ({ readonly kind: 'create' } & Omit<NewNetworkOptions, 'name' | 'flowLogs'>);

/** Postgres on RDS and Redis on ElastiCache, made by the AWS data stack. */
export interface AwsDataTierSpec {
  readonly kind: 'aws';
  /** AWS region of the data tier. */
  readonly region: string;
  /**
   * CIDR blocks of the VPC (the `cidrs` of `Database.external` and `Cache.external`), which the
   * server's egress NetworkPolicy opens to Postgres and Redis.
   */
  readonly vpcCidrs: readonly string[];
  readonly network: NetworkSpec;
  /** `RdsPostgres` props; name, network and key come from the stack. */
  readonly postgres?: Omit<RdsPostgresProps, 'name' | 'network' | 'encryptionKey'>;
  /** `ElastiCacheRedis` props; name, network and key come from the stack. */
  readonly redis?: Omit<ElastiCacheRedisProps, 'name' | 'network' | 'encryptionKey'>;
}

export type DataTierSpec = InClusterDataTierSpec | AwsDataTierSpec;

/** Where Terraform keeps state. */
export type TerraformBackendSpec =
  | { readonly kind: 'local' }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly region: string;
      /**
       * Prefix of the state objects.
       * @default - `mcpenv/<name>`
       */
      readonly keyPrefix?: string;
      /**
       * KMS key for the state objects.
       * @default - the bucket's encryption
       */
      readonly kmsKeyId?: string;
    };

/** An environment: the props of `McpEnvironment` and of the stacks, as a file writes them. */
export interface McpEnvironmentSpec extends Omit<
  McpEnvironmentProps,
  'instance' | 'database' | 'cache' | 'routing' | 'tls'
> {
  /** Environment name, e.g. "prod": the instance label, the namespace and AWS names derive from it. */
  readonly name: string;
  /**
   * Kubernetes namespace.
   * @default - `mcp-<name>`
   */
  readonly namespace?: string;
  /**
   * Where Postgres and Redis run.
   * @default - { kind: 'in-cluster' }
   */
  readonly dataTier?: DataTierSpec;
  /**
   * How clients reach the server.
   * @default - Routing.ingress()
   */
  readonly routing?: RoutingSpec;
  /**
   * Where the certificate comes from.
   * @default - McpRouting's default for the routing
   */
  readonly tls?: TlsSpec;
  /**
   * Where Terraform keeps state.
   * @default - { kind: 'local' }
   */
  readonly terraformBackend?: TerraformBackendSpec;
}

/** A choice's options: everything but its `kind`, for the factory it names. */
export function optionsOf<T extends { readonly kind: string }>(choice: T): Omit<T, 'kind'> {
  const { kind: _kind, ...options } = choice;
  return options;
}

/** A refinement that runs one of the shared validators. */
function follows(validator: Validator) {
  return (value: unknown, ctx: z.RefinementCtx) => {
    const problem = validator(value);
    if (problem === undefined) return;
    ctx.addIssue({
      code: 'custom',
      message: `must ${problem.rule}`,
      input: value,
      ...(problem.fix !== undefined ? { params: { fix: problem.fix } } : {}),
    });
  };
}

const text = (validator?: Validator) => {
  const string = z.string({ error: 'must be a string' });
  return validator ? string.superRefine(follows(validator)) : string;
};
const number = (validator?: Validator) => {
  const value = z.number({ error: 'must be a number' });
  return validator ? value.superRefine(follows(validator)) : value;
};
const flag = () => z.boolean({ error: 'must be true or false' });
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: 'must be a list' });
const labels = () =>
  z.record(text(labelKey), text(labelValue), { error: 'must be a mapping of Kubernetes labels' });

/**
 * A strict object whose keys are props of `P`, each parsing to a value that prop accepts: the
 * compiler keeps the file's names and the props' names one and the same.
 */
function propsOf<P>(error = 'must be a mapping') {
  return <S extends { readonly [K in keyof P]?: z.ZodType<P[K]> } & Record<Exclude<keyof S, keyof P>, never>>(
    shape: S,
  ) => z.strictObject(shape, { error });
}

const INGRESS_PRESETS = ['nginx', 'aws-alb'] as const satisfies readonly `${IngressPreset}`[];

export const RoutingSpecSchema = z
  .discriminatedUnion(
    'kind',
    [
      propsOf<Extract<RoutingSpec, { kind: 'ingress' }>>()({
        kind: z.literal('ingress'),
        preset: z
          .enum(INGRESS_PRESETS, { error: `must be one of ${INGRESS_PRESETS.join(', ')}` })
          .transform((preset) => preset as IngressPreset)
          .optional()
          .describe('Ingress controller the annotations are written for (IngressPreset).'),
        className: text(dnsSubdomain).optional().describe('IngressClass name.'),
        annotations: z.record(z.string(), z.string()).optional().describe('Extra Ingress annotations.'),
      }).describe('Routing.ingress({ preset, className, annotations })'),
      propsOf<Extract<RoutingSpec, { kind: 'gateway-api' }>>()({
        kind: z.literal('gateway-api'),
        gateway: z
          .strictObject({
            name: text(dnsSubdomain),
            namespace: text(dnsLabel()).optional(),
            sectionName: text(dnsSubdomain).optional(),
            httpSectionName: text(dnsSubdomain).optional(),
          })
          .optional()
          .describe('An existing Gateway to attach to.'),
        createGateway: z
          .strictObject({ gatewayClassName: text(dnsSubdomain) })
          .optional()
          .describe('Create a Gateway of this class instead.'),
      }).describe('Routing.gatewayApi({ gateway } or { createGateway })'),
    ],
    { error: 'must have `kind` set to "ingress" or "gateway-api"' },
  )
  .describe('How clients reach the server.');

export const TlsSpecSchema = z
  .discriminatedUnion(
    'kind',
    [
      propsOf<Extract<TlsSpec, { kind: 'cluster-issuer' }>>()({
        kind: z.literal('cluster-issuer'),
        name: text(dnsSubdomain).describe('An existing cert-manager ClusterIssuer.'),
      }).describe('Tls.clusterIssuer(name)'),
      propsOf<Extract<TlsSpec, { kind: 'acme' }>>()({
        kind: z.literal('acme'),
        email: text(email).describe('Contact address of the ACME account.'),
        server: text(httpsUrl).optional().describe('ACME directory URL.'),
        name: text(dnsSubdomain).optional().describe('Name of the ClusterIssuer created for it.'),
      }).describe('Tls.acme({ email, server, name })'),
      propsOf<Extract<TlsSpec, { kind: 'acm-certificate' }>>()({
        kind: z.literal('acm-certificate'),
        certificateArn: text(acmCertificateArn).describe('An ACM certificate (IngressPreset AWS_ALB only).'),
      }).describe('Tls.acmCertificate(certificateArn)'),
    ],
    { error: 'must have `kind` set to "cluster-issuer", "acme" or "acm-certificate"' },
  )
  .describe('Where the TLS certificate comes from.');

export const BackupStorageSchema = z
  .discriminatedUnion(
    'kind',
    [
      propsOf<Extract<BackupStorageSpec, { kind: 'persistent-volume' }>>()({
        kind: z.literal('persistent-volume'),
        size: text(quantity).optional().describe("Size of the claim; default '10Gi'."),
        storageClassName: text().optional().describe("StorageClass of the claim; default the cluster's."),
      }).describe('BackupStorage.persistentVolume({ size, storageClassName }): a claim made for the dumps.'),
      propsOf<Extract<BackupStorageSpec, { kind: 'existing-claim' }>>()({
        kind: z.literal('existing-claim'),
        claimName: text(dnsSubdomain).describe('An existing PersistentVolumeClaim in the namespace.'),
      }).describe('BackupStorage.existingClaim({ claimName })'),
      propsOf<Extract<BackupStorageSpec, { kind: 's3' }>>()({
        kind: z.literal('s3'),
        bucket: text(s3BucketName).describe('Bucket the dumps go to.'),
        region: text(awsRegion).describe('AWS region of the bucket.'),
        prefix: text(s3KeyPrefix)
          .optional()
          .describe('Key prefix of the dumps; default mcpenv/<name>/postgres.'),
        credentialsSecret: text(dnsSubdomain)
          .optional()
          .describe('Existing Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or give roleArn).'),
        roleArn: text(iamRoleArn).optional().describe('IAM role for IRSA (or give credentialsSecret).'),
        awsCliImage: text(pinnedImage).optional().describe('AWS CLI image for the upload, pinned.'),
        scratchSize: text(quantity).optional().describe("Size limit of the scratch volume; default '10Gi'."),
      }).describe('BackupStorage.s3({ bucket, region, prefix, credentialsSecret or roleArn })'),
    ],
    { error: 'must have `kind` set to "persistent-volume", "existing-claim" or "s3"' },
  )
  .describe('Where the Postgres dumps are kept.');

export const PostgresBackupSchema = propsOf<PostgresBackupSpec>()({
  schedule: text(cronSchedule).optional().describe("Five-field cron schedule in UTC; default '0 3 * * *'."),
  retention: number(wholeNumber(1, 1000)).optional().describe('How many dumps to keep; default 7.'),
  timeoutSeconds: number(wholeNumber(60, 7 * 86_400))
    .optional()
    .describe('Longest time one backup may take; default 3600.'),
  storage: BackupStorageSchema.optional(),
}).describe('Back up the in-cluster Postgres with pg_dump on a schedule (PostgresBackupOptions).');

export const InClusterDataTierSchema = propsOf<InClusterDataTierSpec>()({
  kind: z.literal('in-cluster'),
  postgres: propsOf<NonNullable<InClusterDataTierSpec['postgres']>>()({
    database: text().optional(),
    image: text(pinnedImage).optional(),
    storageSize: text(quantity).optional(),
    storageClassName: text().optional(),
    backup: PostgresBackupSchema.optional(),
  })
    .optional()
    .describe('Database.inCluster options.'),
  redis: propsOf<NonNullable<InClusterDataTierSpec['redis']>>()({
    image: text(pinnedImage).optional(),
    persistence: flag().optional(),
    storageSize: text(quantity).optional(),
  })
    .optional()
    .describe('Cache.inCluster options.'),
}).describe('Postgres and Redis run as workloads in the cluster.');

const subnetIds = () => list(text(awsId('subnet')));
const securityGroupIds = () => list(text(awsId('sg')));

export const NetworkSpecSchema = z
  .discriminatedUnion(
    'kind',
    [
      propsOf<Extract<NetworkSpec, { kind: 'existing' }>>()({
        kind: z.literal('existing'),
        vpcId: text(awsId('vpc')),
        privateSubnetIds: subnetIds(),
        clientSecurityGroupIds: securityGroupIds(),
      }).describe('Network.existing({ vpcId, privateSubnetIds, clientSecurityGroupIds })'),
      propsOf<Extract<NetworkSpec, { kind: 'create' }>>()({
        kind: z.literal('create'),
        cidrBlock: text(ipv4Cidr),
        availabilityZones: list(text(availabilityZone)),
        clientSecurityGroupIds: securityGroupIds().optional(),
        subnetPrefixLength: number().optional(),
      }).describe(
        'Network.create({ cidrBlock, availabilityZones, clientSecurityGroupIds, subnetPrefixLength })',
      ),
    ],
    {
      error:
        'must have `kind` set to "existing" (vpcId, privateSubnetIds) or "create" (cidrBlock, availabilityZones)',
    },
  )
  .describe('The VPC of the data tier: an existing one or a new one.');

export const AwsDataTierSchema = propsOf<AwsDataTierSpec>()({
  kind: z.literal('aws'),
  region: text(awsRegion).describe('AWS region of the data tier.'),
  vpcCidrs: list(text(ipv4Cidr)).describe(
    'CIDR blocks of the VPC, opened to the server by its egress NetworkPolicy.',
  ),
  network: NetworkSpecSchema,
  postgres: propsOf<NonNullable<AwsDataTierSpec['postgres']>>()({
    production: flag().optional(),
    clientSecurityGroupIds: securityGroupIds().optional(),
    identifier: text().optional(),
    engineVersion: text().optional(),
    instanceClass: text().optional(),
    allocatedStorageGb: number().optional(),
    maxAllocatedStorageGb: number().optional(),
    multiAz: flag().optional(),
    username: text().optional(),
    databaseName: text().optional(),
    backupRetentionDays: number().optional(),
    backupWindow: text().optional(),
    maintenanceWindow: text().optional(),
    logMinDurationStatementMs: number().optional(),
  })
    .optional()
    .describe('RdsPostgres props.'),
  redis: propsOf<NonNullable<AwsDataTierSpec['redis']>>()({
    clientSecurityGroupIds: securityGroupIds().optional(),
    replicationGroupId: text().optional(),
    engineVersion: text().optional(),
    nodeType: text().optional(),
    numCacheClusters: number().optional(),
    snapshotRetentionDays: number().optional(),
    snapshotWindow: text().optional(),
    maintenanceWindow: text().optional(),
    authTokenVariableName: text().optional(),
  })
    .optional()
    .describe('ElastiCacheRedis props.'),
}).describe('Postgres on RDS and Redis on ElastiCache, created by the Terraform stack.');

export const DataTierSchema = z
  .discriminatedUnion('kind', [InClusterDataTierSchema, AwsDataTierSchema], {
    error: 'must have `kind` set to "in-cluster" or "aws"',
  })
  .describe('Where Postgres and Redis run.');

export const TerraformBackendSchema = z
  .discriminatedUnion(
    'kind',
    [
      propsOf<Extract<TerraformBackendSpec, { kind: 'local' }>>()({
        kind: z.literal('local'),
      }).describe('State files next to the synthesized stacks.'),
      propsOf<Extract<TerraformBackendSpec, { kind: 's3' }>>()({
        kind: z.literal('s3'),
        bucket: text(s3BucketName),
        region: text(awsRegion),
        keyPrefix: text(s3KeyPrefix).optional().describe('Prefix of the state objects.'),
        kmsKeyId: text(nonEmpty).optional().describe('KMS key for the state objects.'),
      }).describe('State in S3, encrypted, locked with an S3 lock file.'),
    ],
    { error: 'must have `kind` set to "local" or "s3"' },
  )
  .describe('Where Terraform keeps state: local files or S3 with locking.');

/** The tunable alert settings, built from the table the alert rules read. */
export const AlertsSchema = z
  .strictObject(
    Object.fromEntries(
      Object.entries(ALERT_SETTINGS).map(([key, setting]) => {
        const kind = setting.type === 'number' ? 'Threshold' : '`for` duration';
        const fallback =
          'default' in setting ? `default ${setting.default}` : 'no default: the alert is opt-in';
        return [
          key,
          (setting.type === 'number' ? number(setting.validator) : text(setting.validator))
            .optional()
            .describe(`${kind} of ${setting.alert}; ${fallback}.`),
        ];
      }),
    ),
  )
  .describe(
    'Alert thresholds and `for` durations (AlertRulesProps); the rule tests follow them.',
  ) as unknown as z.ZodType<AlertThresholdProps | undefined>;

const RESOURCE = () => text(quantity).optional();
const resources = () =>
  propsOf<ContainerResources>()({
    cpuRequest: RESOURCE(),
    cpuLimit: RESOURCE(),
    memoryRequest: RESOURCE(),
    memoryLimit: RESOURCE(),
  });

export const TracingSchema = propsOf<TracingProps>()({
  otlpEndpoint: text(otlpEndpoint).describe(
    'OTLP/HTTP URL of the collector, e.g. "http://otel-collector.observability.svc:4318".',
  ),
  samplingRatio: number(unitInterval)
    .optional()
    .describe('Share of new traces recorded, from 0 to 1 (parent-based); default 0.1.'),
  serviceName: text(otelServiceName).optional().describe('service.name of the spans; default <name>-server.'),
  collectorNamespace: text(dnsLabel())
    .optional()
    .describe(
      "Namespace of the collector's pods; default the one the endpoint's host names (<svc>.<ns>.svc).",
    ),
  collectorPort: number(wholeNumber(1, 65535))
    .optional()
    .describe("Port of the collector's pods; default the endpoint's port."),
}).describe('Export traces to an OpenTelemetry collector in the cluster (TracingProps).');

const PROBE_PROTOCOLS = Object.values(ProbeProtocol);

export const ProbeSchema = propsOf<McpProbeOptions>()({
  intervalSeconds: number().optional().describe('Seconds between probe runs; default 30.'),
  timeoutSeconds: number().optional().describe('Seconds one run may take; default 10.'),
  apiKeySecret: text(dnsSubdomain)
    .optional()
    .describe('Existing Secret with the API key the probe sends (the reference server requires one).'),
  apiKeySecretKey: text(secretKey)
    .optional()
    .describe("Key of apiKeySecret holding the key; default 'api-key'."),
  tool: text(mcpToolName).optional().describe('A tool without side effects to call on each run.'),
  toolArguments: z
    .record(z.string(), z.unknown(), { error: 'must be a mapping of tool arguments' })
    .optional()
    .describe('Arguments of the tool call.'),
  protocol: z
    .enum(PROBE_PROTOCOLS, { error: `must be one of ${PROBE_PROTOCOLS.join(', ')}` })
    .optional()
    .describe('Protocol generation the probe speaks (ProbeProtocol); default auto.'),
  image: text(pinnedImage).optional().describe("Image with the probe command; default the server's."),
  caBundleConfigMap: text(dnsSubdomain)
    .optional()
    .describe('ConfigMap with a CA bundle (ca.pem) the probe trusts for the public URL.'),
  resources: resources().optional().describe('Probe container requests and limits.'),
}).describe('A synthetic client of the public URL, with its alerts and panels (McpProbeOptions).');

export const SloSchema = propsOf<SloProps>()({
  availability: propsOf<AvailabilityObjective>()({
    objective: number(objectivePercent).describe(
      'Percentage of /mcp requests not answered with a 5xx, e.g. 99.9.',
    ),
  })
    .optional()
    .describe('Availability objective over 30 days.'),
  latency: propsOf<LatencyObjective>()({
    objective: number(objectivePercent).describe(
      'Percentage of /mcp requests within the threshold, e.g. 99.',
    ),
    thresholdSeconds: number(latencyThreshold).describe(
      'The threshold in seconds: a bucket bound of mcp_request_duration_seconds, e.g. 0.5.',
    ),
  })
    .optional()
    .describe('Latency objective over 30 days.'),
}).describe(
  'Service level objectives over 30 days, with recorded error ratios, the budget left and burn-rate alerts (SloProps).',
);

export const McpEnvironmentSpecSchema = propsOf<McpEnvironmentSpec>(
  'must be a mapping with the fields name, image, publicUrl and the optional settings of an environment',
)({
  name: text(dnsLabel(40)).describe('Environment name, e.g. "prod". Used in resource names and tags.'),
  namespace: text(dnsLabel()).optional().describe('Kubernetes namespace.'),
  image: text(pinnedImage).describe('Container image of the MCP server, pinned by tag or digest.'),
  publicUrl: text(httpsOrigin).describe('Public HTTPS origin of the server, e.g. "https://mcp.example.com".'),
  replicas: number().optional().describe('Server pods (with autoscaling, the minimum).'),
  maxReplicas: number().optional().describe('Most pods the autoscaler may run.'),
  resources: resources().optional().describe('Server container requests and limits.'),
  dataTier: DataTierSchema.optional(),
  routing: RoutingSpecSchema.optional(),
  tls: TlsSpecSchema.optional(),
  requestTimeoutSeconds: number()
    .optional()
    .describe('Longest tool call the routing keeps a stream open for, in seconds.'),
  oauth: propsOf<NonNullable<McpEnvironmentSpec['oauth']>>()({
    issuer: text(httpsUrl).describe('Issuer (`iss`) of accepted JWTs.'),
    jwksUrl: text(httpsUrl).describe('JWKS URL of the issuer.'),
    tenantClaim: text(jwtClaimName).optional().describe('Claim naming the tenant.'),
  })
    .optional()
    .describe('OAuth authorization server, besides API keys.'),
  oauthEgressCidrs: list(text(ipv4Cidr))
    .optional()
    .describe('Where the server may open HTTPS connections with OAuth on.'),
  ingressNamespace: text(dnsLabel())
    .optional()
    .describe('Namespace of the ingress controller or gateway pods.'),
  monitoringNamespace: text(dnsLabel()).optional().describe('Namespace of Prometheus.'),
  monitoringLabels: labels()
    .optional()
    .describe('Labels for the Prometheus selectors (e.g. release: kube-prometheus-stack).'),
  dashboardLabels: labels().optional().describe('Labels for the Grafana dashboard sidecar.'),
  runbookBaseUrl: text(httpsBaseUrl).optional().describe('Base URL of the runbooks linked from alerts.'),
  alerts: AlertsSchema.optional(),
  slo: SloSchema.optional(),
  tracing: TracingSchema.optional(),
  probe: ProbeSchema.optional(),
  terraformBackend: TerraformBackendSchema.optional(),
}).describe('An MCP environment: the props of McpEnvironment and of the stacks that hold it.');

/**
 * Keys of earlier environment files and where they went; a file that still uses one gets an error
 * that says the new name.
 */
export const RENAMED_KEYS: Readonly<Record<string, string>> = {
  'network.ingressNamespace': 'ingressNamespace',
  'network.monitoringNamespace': 'monitoringNamespace',
  'monitoring.labels': 'monitoringLabels',
  'monitoring.dashboardLabels': 'dashboardLabels',
  'monitoring.runbookBaseUrl': 'runbookBaseUrl',
  'monitoring.alerts': 'alerts',
  'routing.controller': 'routing.preset',
  'routing.gatewayClassName': 'routing.createGateway.gatewayClassName',
  'tls.clusterIssuer': 'tls: { kind: cluster-issuer, name }',
  'tls.acmeEmail': 'tls: { kind: acme, email }',
  'tls.acmCertificateArn': 'tls: { kind: acm-certificate, certificateArn }',
  'dataTier.postgresStorage': 'dataTier.postgres.storageSize',
  'dataTier.redisPersistence': 'dataTier.redis.persistence',
  'dataTier.production': 'dataTier.postgres.production',
  'dataTier.redis.nodes': 'dataTier.redis.numCacheClusters',
};

function valueAt(input: unknown, path: string): unknown {
  let value = input;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

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
  const fix = issue.code === 'custom' && typeof issue.params?.fix === 'string' ? `; ${issue.params.fix}` : '';
  return `${where}: ${issue.message} (got ${showValue(offendingValue(issue))})${fix}`;
}

/**
 * Validates a spec's types and single values. Throws a `ValidationError` that lists every problem
 * with its field path, the bad value and the fix; a renamed key is reported with its new name.
 *
 * @param source what the input came from, for the message (a file name or "props")
 */
export function parseSpec(input: unknown, source = 'environment spec'): McpEnvironmentSpec {
  const renamed = Object.keys(RENAMED_KEYS).filter((old) => valueAt(input, old) !== undefined);
  const result = McpEnvironmentSpecSchema.safeParse(input, { reportInput: true });
  const problems = renamed.map((old) => `${old}: renamed to ${RENAMED_KEYS[old]}`);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const unexplained = issue.keys.filter((key) => {
          const path = formatPath([...issue.path, key]);
          return !renamed.some((old) => old === path || old.startsWith(`${path}.`));
        });
        if (unexplained.length === 0) continue;
        problems.push(formatIssue({ ...issue, keys: unexplained }));
      } else {
        problems.push(formatIssue(issue));
      }
    }
  }
  if (problems.length > 0 || !result.success) throw invalidSpec(source, problems);
  return result.data;
}
