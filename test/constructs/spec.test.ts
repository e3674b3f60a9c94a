import { Chart, Testing } from 'cdk8s';
import { Testing as TfTesting } from 'cdktf';
import { z } from 'zod';
import { Cache, Database } from '../../constructs/k8s/data';
import { McpEnvironment, type McpEnvironmentProps } from '../../constructs/k8s/environment';
import { ProbeProtocol } from '../../constructs/k8s/probe';
import { Routing, Tls } from '../../constructs/k8s/routing';
import { McpServerWorkload } from '../../constructs/k8s/workload';
import { ALERT_SETTINGS, resolveAlertSettings } from '../../constructs/monitoring/alerts';
import {
  AlertsSchema,
  AwsDataTierSchema,
  InClusterDataTierSchema,
  McpEnvironmentSpecSchema,
  NetworkSpecSchema,
  parseSpec,
  RoutingSpecSchema,
  TlsSpecSchema,
} from '../../constructs/spec';
import { DataEncryptionKey } from '../../constructs/tf/data-encryption-key';
import { type IDataNetwork, Network } from '../../constructs/tf/network';
import { RdsPostgres } from '../../constructs/tf/postgres';
import { ElastiCacheRedis } from '../../constructs/tf/redis';

const valid = {
  name: 'prod',
  image: 'ghcr.io/example/server:1.2.3',
  publicUrl: 'https://mcp.example.com',
};

const NETWORK = {
  kind: 'create',
  cidrBlock: '10.0.0.0/16',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  clientSecurityGroupIds: ['sg-0123456789abcdef0'],
};
const AWS = { kind: 'aws', region: 'eu-west-1', vpcCidrs: ['10.0.0.0/16'], network: NETWORK };

describe('parseSpec', () => {
  test('applies no defaults: a minimal file comes back as written, the constructs fill in the rest', () => {
    expect(parseSpec(valid)).toEqual(valid);
  });

  test('keeps an AWS data tier as written', () => {
    expect(parseSpec({ ...valid, namespace: 'team-a', dataTier: AWS }).dataTier).toEqual(AWS);
  });

  test('accepts a digest-pinned image and a registry with a port', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseSpec({ ...valid, image: `registry.local:5000/team/server@${digest}` }).image).toContain(
      digest,
    );
  });

  test('fails with one line per problem, each naming the field, the value and the fix', () => {
    let error: unknown;
    try {
      parseSpec({ name: 'Prod', image: 'nginx', publicUrl: 'http://x', extra: 1 }, 'prod.yaml');
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).toBe(
      [
        'prod.yaml is not a valid environment:',
        '  - name: must be a DNS label of at most 40 characters (got "Prod"); lowercase letters, digits and "-", starting with a letter',
        '  - image: must be pinned by a tag or digest (got "nginx"); add a version tag (":1.2.3") or a digest ("@sha256:...")',
        '  - publicUrl: must use https (got "http://x"); clients reach the server only over TLS',
        '  - unknown key "extra": remove it or check its spelling',
      ].join('\n'),
    );
  });

  test.each([
    [{ name: undefined }, /name: is required/],
    [{ name: 'a'.repeat(41) }, /name: must be a DNS label of at most 40 characters/],
    [{ image: 'ghcr.io/example/server:latest' }, /image: must not use the mutable tag "latest"/],
    [{ image: 'ghcr.io/example/server@sha256:abc' }, /image: must use a digest of the form/],
    [{ image: 'Bad Image:1' }, /image: must be a container image reference without spaces/],
    [{ replicas: '3' }, /replicas: must be a number \(got "3"\)/],
    [{ publicUrl: 'mcp.example.com' }, /publicUrl: must be an absolute URL/],
    [{ publicUrl: 'https://mcp.example.com/mcp' }, /publicUrl: must be an origin without path/],
    [{ publicUrl: 'https://user:pw@mcp.example.com' }, /publicUrl: must not contain credentials/],
    [{ publicUrl: 'https://10.0.0.1' }, /publicUrl: must name a DNS host, not an IP address/],
    [{ publicUrl: 'https://mcp.example.com:8443' }, /publicUrl: must not name a port/],
    [{ namespace: 'Team_A' }, /namespace: must be a DNS label/],
    [{ namespace: '' }, /namespace: must be a DNS label/],
    [
      { dataTier: { kind: 'gcp' } },
      /dataTier.kind: must have `kind` set to "in-cluster" or "aws" \(got "gcp"\)/,
    ],
    [{ dataTier: { ...AWS, region: 'mars-1' } }, /dataTier.region: must be an AWS region/],
    [{ dataTier: { ...AWS, region: undefined } }, /dataTier.region: is required/],
    [{ dataTier: { ...AWS, vpcCidrs: ['10.0.0.0'] } }, /dataTier.vpcCidrs\[0\]: must be an IPv4 CIDR/],
    [
      { dataTier: { ...AWS, network: { ...NETWORK, kind: undefined } } },
      /dataTier.network.kind: must have `kind` set to "existing" \(vpcId, privateSubnetIds\) or "create"/,
    ],
    [
      { dataTier: { ...AWS, network: { ...NETWORK, availabilityZones: ['euw1-az1'] } } },
      /dataTier.network.availabilityZones\[0\]: must be an availability zone/,
    ],
    [
      { dataTier: { ...AWS, postgres: { allocatedStorageGb: '20' } } },
      /dataTier.postgres.allocatedStorageGb: must be a number \(got "20"\)/,
    ],
    [
      { dataTier: { kind: 'in-cluster', postgres: { storageSize: '10GB' } } },
      /dataTier.postgres.storageSize: must be a Kubernetes quantity/,
    ],
    [{ dataTier: { kind: 'in-cluster', region: 'eu-west-1' } }, /dataTier: unknown key "region"/],
    [
      { terraformBackend: { kind: 's3', bucket: 'Bad_Bucket', region: 'eu-west-1' } },
      /terraformBackend.bucket: must be an S3 bucket name/,
    ],
    [
      { terraformBackend: { kind: 's3', bucket: 'b-1', region: 'eu-west-1', kmsKeyId: '' } },
      /terraformBackend.kmsKeyId: must be a non-empty string/,
    ],
    [
      { terraformBackend: { kind: 'consul' } },
      /terraformBackend.kind: must have `kind` set to "local" or "s3"/,
    ],
    [
      { routing: { kind: 'loadbalancer' } },
      /routing.kind: must have `kind` set to "ingress" or "gateway-api"/,
    ],
    [{ routing: { kind: 'ingress', preset: 'traefik' } }, /routing.preset: must be one of nginx, aws-alb/],
    [{ tls: { kind: 'acme', email: 'not-an-email' } }, /tls.email: must be an email address/],
    [{ tls: { kind: 'cluster-issuer' } }, /tls.name: is required/],
    [
      { oauth: { issuer: 'http://auth.example.com', jwksUrl: 'https://auth.example.com/jwks' } },
      /oauth.issuer: must be an absolute https URL/,
    ],
    [{ ingressNamespace: 'Ingress_NGINX' }, /ingressNamespace: must be a DNS label/],
    [
      { monitoringLabels: { release: 'has spaces' } },
      /monitoringLabels.release: must be a Kubernetes label value/,
    ],
    [{ runbookBaseUrl: 'runbooks' }, /runbookBaseUrl: must be an absolute https URL/],
    [
      { alerts: { errorRatioThreshold: 5 } },
      /alerts.errorRatioThreshold: must be a ratio greater than 0 and less than 1 \(got 5\); write 5% as 0.05/,
    ],
    [{ alerts: { latencyFor: '' } }, /alerts.latencyFor: must be a positive Prometheus duration/],
    [{ alerts: { memoryLimitBytes: 1000 } }, /alerts: unknown key "memoryLimitBytes"/],
    [{ resources: { cpuRequest: 'lots' } }, /resources.cpuRequest: must be a Kubernetes quantity/],
  ])('rejects %j', (override, expected) => {
    expect(() => parseSpec({ ...valid, ...override })).toThrow(expected);
  });

  test('rejects input that is not a mapping', () => {
    expect(() => parseSpec('prod')).toThrow(
      /\(top level\): must be a mapping with the fields name, image, publicUrl/,
    );
  });
});

describe('renamed keys', () => {
  test.each([
    [{ network: { ingressNamespace: 'gw' } }, 'network.ingressNamespace: renamed to ingressNamespace'],
    [{ monitoring: { labels: { release: 'x' } } }, 'monitoring.labels: renamed to monitoringLabels'],
    [{ monitoring: { alerts: {} } }, 'monitoring.alerts: renamed to alerts'],
    [{ routing: { kind: 'ingress', controller: 'nginx' } }, 'routing.controller: renamed to routing.preset'],
    [
      { routing: { kind: 'gateway-api', gatewayClassName: 'eg' } },
      'routing.gatewayClassName: renamed to routing.createGateway.gatewayClassName',
    ],
    [{ tls: { clusterIssuer: 'x' } }, 'tls.clusterIssuer: renamed to tls: { kind: cluster-issuer, name }'],
    [{ tls: { acmeEmail: 'a@b.c' } }, 'tls.acmeEmail: renamed to tls: { kind: acme, email }'],
    [
      { dataTier: { kind: 'in-cluster', postgresStorage: '5Gi' } },
      'dataTier.postgresStorage: renamed to dataTier.postgres.storageSize',
    ],
    [
      { dataTier: { kind: 'in-cluster', redisPersistence: true } },
      'dataTier.redisPersistence: renamed to dataTier.redis.persistence',
    ],
    [
      { dataTier: { ...AWS, production: false } },
      'dataTier.production: renamed to dataTier.postgres.production',
    ],
    [
      { dataTier: { ...AWS, redis: { nodes: 2 } } },
      'dataTier.redis.nodes: renamed to dataTier.redis.numCacheClusters',
    ],
  ])('rejects the old key of %j, saying its new name', (override, message) => {
    expect(() => parseSpec({ ...valid, ...override })).toThrow(message);
  });

  test('reports a renamed key instead of an unknown one', () => {
    expect(() => parseSpec({ ...valid, routing: { kind: 'ingress', controller: 'nginx' } })).not.toThrow(
      /unknown key "controller"/,
    );
  });
});

/** The keys of an object that `use` reads; a construct that never reads a key does not know its name. */
function keysRead<P extends object>(props: P, use: (props: P) => unknown): string[] {
  const read = new Set<string>();
  use(
    new Proxy(props, {
      get(target, key, receiver) {
        if (typeof key === 'string') read.add(key);
        return Reflect.get(target, key, receiver);
      },
    }),
  );
  return [...read].sort();
}

/** The property names a schema accepts (for a choice: one branch, by its kind), from its JSON Schema. */
function schemaKeys(schema: z.ZodType, kind?: string): string[] {
  type Json = { properties?: Record<string, { const?: string }>; anyOf?: Json[]; oneOf?: Json[] };
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  const branches = json.anyOf ?? json.oneOf ?? [json];
  const branch = branches.find((b) => kind === undefined || b.properties?.kind?.const === kind);
  return Object.keys(branch?.properties ?? {})
    .filter((key) => key !== 'kind')
    .sort();
}

describe('the file schema and the props use the same names', () => {
  const STACK_KEYS = ['dataTier', 'name', 'namespace', 'terraformBackend'];
  const oauth = {
    issuer: 'https://auth.example.com/',
    jwksUrl: 'https://auth.example.com/jwks',
    tenantClaim: 'org',
  };
  const network: IDataNetwork = {
    vpcId: 'vpc-0a1b2c3d4e5f67890',
    privateSubnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0a1b2c3d4e5f67891'],
    clientSecurityGroupIds: ['sg-0a1b2c3d4e5f67890'],
  };

  test("every top-level key besides the stacks' own is a prop that McpEnvironment reads", () => {
    const props: McpEnvironmentProps = {
      image: 'ghcr.io/example/server:1.2.3',
      publicUrl: 'https://mcp.example.com',
      replicas: 2,
      maxReplicas: 4,
      resources: { cpuRequest: '100m' },
      routing: Routing.ingress(),
      tls: Tls.clusterIssuer('letsencrypt'),
      requestTimeoutSeconds: 600,
      oauth,
      oauthEgressCidrs: ['203.0.113.0/24'],
      ingressNamespace: 'ingress-nginx',
      monitoringNamespace: 'monitoring',
      monitoringLabels: { release: 'kps' },
      dashboardLabels: { grafana_dashboard: '1' },
      runbookBaseUrl: 'https://runbooks.example.com',
      alerts: { errorRatioThreshold: 0.1 },
      slo: { availability: { objective: 99.9 }, latency: { objective: 99, thresholdSeconds: 0.5 } },
      tracing: { otlpEndpoint: 'http://otel-collector.observability.svc:4318' },
      probe: { apiKeySecret: 'prod-probe-api-key' },
    };
    const fileKeys = schemaKeys(McpEnvironmentSpecSchema).filter((key) => !STACK_KEYS.includes(key));
    expect(Object.keys(props).sort()).toEqual(fileKeys);
    const read = keysRead(props, (p) => new McpEnvironment(new Chart(Testing.app(), 'c'), 'Mcp', p));
    expect(fileKeys.filter((key) => !read.includes(key))).toEqual([]);
  });

  test('every key of resources and oauth is read under the same name', () => {
    const resources = { cpuRequest: '100m', cpuLimit: '1', memoryRequest: '256Mi', memoryLimit: '512Mi' };
    expect(Object.keys(resources).sort()).toEqual(
      schemaKeys(
        (McpEnvironmentSpecSchema as unknown as { shape: { resources: z.ZodType } }).shape.resources,
      ),
    );
    const workload = { image: 'ghcr.io/example/server:1.2.3', ...resources };
    const read = keysRead(workload, (p) => new McpServerWorkload(new Chart(Testing.app(), 'c'), 'S', p));
    expect(Object.keys(resources).filter((key) => !read.includes(key))).toEqual([]);
    const oauthRead = keysRead(
      oauth,
      (o) => new McpEnvironment(new Chart(Testing.app(), 'c'), 'Mcp', { ...valid, oauth: o }),
    );
    expect(oauthRead).toEqual(expect.arrayContaining(['issuer', 'jwksUrl', 'tenantClaim']));
  });

  test('every key of tracing and probe is read under the same name', () => {
    const shape = (McpEnvironmentSpecSchema as unknown as { shape: Record<string, z.ZodType> }).shape;
    const tracing = {
      otlpEndpoint: 'http://otel-gateway:4318',
      samplingRatio: 0.5,
      serviceName: 'mcp',
      collectorNamespace: 'observability',
      collectorPort: 4318,
    };
    const probe = {
      intervalSeconds: 60,
      timeoutSeconds: 20,
      apiKeySecret: 'probe-key',
      apiKeySecretKey: 'token',
      tool: 'memory_search',
      toolArguments: { query: 'x' },
      protocol: ProbeProtocol.MODERN,
      image: 'ghcr.io/example/server:1.2.4',
      caBundleConfigMap: 'roots',
      resources: { cpuRequest: '10m', cpuLimit: '1', memoryRequest: '64Mi', memoryLimit: '256Mi' },
    };
    expect(schemaKeys(shape.tracing as z.ZodType)).toEqual(Object.keys(tracing).sort());
    expect(schemaKeys(shape.probe as z.ZodType)).toEqual(Object.keys(probe).sort());
    const environment = (props: Partial<McpEnvironmentProps>) =>
      new McpEnvironment(new Chart(Testing.app(), 'c', { namespace: 'n' }), 'Mcp', { ...valid, ...props });
    const tracingRead = keysRead(tracing, (t) => environment({ tracing: t }));
    const probeRead = keysRead(probe, (p) => environment({ probe: p }));
    const resourcesRead = keysRead(probe.resources, (r) => environment({ probe: { resources: r } }));
    expect(Object.keys(tracing).filter((key) => !tracingRead.includes(key))).toEqual([]);
    expect(Object.keys(probe).filter((key) => !probeRead.includes(key))).toEqual([]);
    expect(Object.keys(probe.resources).filter((key) => !resourcesRead.includes(key))).toEqual([]);
  });

  test('every alert key is a setting of the alert table, which the alert rules read', () => {
    const alertKeys = Object.keys(ALERT_SETTINGS).sort();
    expect(schemaKeys(AlertsSchema)).toEqual(alertKeys);
    const read = keysRead({}, (props) => resolveAlertSettings(props));
    expect(alertKeys.filter((key) => !read.includes(key))).toEqual([]);
  });

  test.each<[string, z.ZodType, string | undefined, object, (props: never) => unknown]>([
    [
      'routing (ingress)',
      RoutingSpecSchema,
      'ingress',
      { preset: 'nginx', className: 'nginx', annotations: {} },
      (o) => Routing.ingress(o),
    ],
    [
      'routing (gateway-api)',
      RoutingSpecSchema,
      'gateway-api',
      { gateway: { name: 'public' } },
      (o) => Routing.gatewayApi(o),
    ],
    [
      'tls (acme)',
      TlsSpecSchema,
      'acme',
      { email: 'ops@example.com', server: Tls.LETS_ENCRYPT_STAGING, name: 'acme' },
      (o) => Tls.acme(o),
    ],
    ['dataTier.network (existing)', NetworkSpecSchema, 'existing', network, (o) => Network.existing(o)],
    [
      'dataTier.network (create)',
      NetworkSpecSchema,
      'create',
      {
        cidrBlock: '10.0.0.0/16',
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        clientSecurityGroupIds: [],
        subnetPrefixLength: 20,
      },
      (o) => Network.create(o),
    ],
  ])('every key of %s is an option of its factory', (_case, schema, kind, options, use) => {
    const keys = schemaKeys(schema, kind);
    const read = keysRead(options, use as (props: object) => unknown);
    expect(keys.filter((key) => !read.includes(key))).toEqual([]);
  });

  test('every key of the in-cluster data tier is an option of Database.inCluster or Cache.inCluster', () => {
    const shape = (InClusterDataTierSchema as unknown as { shape: Record<string, z.ZodType> }).shape;
    const chart = new Chart(Testing.app(), 'c');
    const postgres = { database: 'mcp', image: 'postgres:16.6', storageSize: '5Gi', storageClassName: 'gp3' };
    const redis = { image: 'redis:7.4.1', persistence: true, storageSize: '1Gi' };
    const postgresRead = keysRead(postgres, (o) => Database.inCluster(o).bind(chart, { instance: 'a' }));
    const redisRead = keysRead(redis, (o) => Cache.inCluster(o).bind(chart, { instance: 'a' }));
    expect(schemaKeys(shape.postgres as z.ZodType).filter((key) => !postgresRead.includes(key))).toEqual([]);
    expect(schemaKeys(shape.redis as z.ZodType).filter((key) => !redisRead.includes(key))).toEqual([]);
  });

  test("every key of the AWS data tier's postgres and redis is a prop of RdsPostgres or ElastiCacheRedis", () => {
    const shape = (AwsDataTierSchema as unknown as { shape: Record<string, z.ZodType> }).shape;
    const postgres = {
      production: false,
      clientSecurityGroupIds: ['sg-0a1b2c3d4e5f67890'],
      identifier: 'mcpenv-x',
      engineVersion: '16',
      instanceClass: 'db.t4g.small',
      allocatedStorageGb: 30,
      maxAllocatedStorageGb: 100,
      multiAz: false,
      username: 'mcp',
      databaseName: 'mcp',
      backupRetentionDays: 7,
      backupWindow: '02:00-03:00',
      maintenanceWindow: 'sun:03:00-sun:04:00',
      logMinDurationStatementMs: 500,
    };
    const redis = {
      clientSecurityGroupIds: ['sg-0a1b2c3d4e5f67890'],
      replicationGroupId: 'mcpenv-x',
      engineVersion: '7.1',
      nodeType: 'cache.t4g.small',
      numCacheClusters: 2,
      snapshotRetentionDays: 1,
      snapshotWindow: '04:00-05:00',
      maintenanceWindow: 'sat:03:00-sat:04:00',
      authTokenVariableName: 'redis_token',
    };
    const read = { postgres: [] as string[], redis: [] as string[] };
    TfTesting.synthScope((scope) => {
      const encryptionKey = new DataEncryptionKey(scope, 'Key');
      const placement = { name: 'x', network, encryptionKey };
      read.postgres = keysRead({ ...postgres, ...placement }, (p) => new RdsPostgres(scope, 'Postgres', p));
      read.redis = keysRead({ ...redis, ...placement }, (p) => new ElastiCacheRedis(scope, 'Redis', p));
    });
    expect(schemaKeys(shape.postgres as z.ZodType)).toEqual(Object.keys(postgres).sort());
    expect(schemaKeys(shape.redis as z.ZodType)).toEqual(Object.keys(redis).sort());
    expect(Object.keys(postgres).filter((key) => !read.postgres.includes(key))).toEqual([]);
    expect(Object.keys(redis).filter((key) => !read.redis.includes(key))).toEqual([]);
  });
});
