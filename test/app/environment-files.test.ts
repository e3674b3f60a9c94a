import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSpecFile } from '../../app/environments';
import { removeTempDirs, tempDir } from '../helpers/fixtures';

afterAll(removeTempDirs);

const VALID = `name: team
image: ghcr.io/acme/mcp:1.0.0
publicUrl: https://mcp.team.example
`;

function fileWith(text: string): string {
  const file = path.join(tempDir(), 'team.yaml');
  fs.writeFileSync(file, text);
  return file;
}

const AWS = `${VALID}dataTier:
  kind: aws
  region: eu-west-1
  vpcCidrs: [10.0.0.0/16]
  network:
    kind: create
    cidrBlock: 10.0.0.0/16
    availabilityZones: [eu-west-1a, eu-west-1b]
    clientSecurityGroupIds: [sg-0123456789abcdef0]
`;
const EXISTING_VPC = `${VALID}dataTier:
  kind: aws
  region: eu-west-1
  vpcCidrs: [10.0.0.0/16]
  network:
    kind: existing
    vpcId: vpc-0123456789abcdef0
    privateSubnetIds: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
    clientSecurityGroupIds: [sg-0123456789abcdef0]
`;
const IN_CLUSTER = `${VALID}dataTier:\n  kind: in-cluster\n`;

describe('environment files', () => {
  test("a minimal file loads as written: the defaults are the constructs'", () => {
    expect(loadSpecFile(fileWith(VALID))).toEqual({
      name: 'team',
      image: 'ghcr.io/acme/mcp:1.0.0',
      publicUrl: 'https://mcp.team.example',
    });
  });

  test('a file that sets every key loads', () => {
    const file = fileWith(`${AWS}  postgres:
    production: false
    clientSecurityGroupIds: [sg-0123456789abcdef1]
    identifier: team-db
    engineVersion: "16"
    instanceClass: db.t4g.small
    allocatedStorageGb: 30
    maxAllocatedStorageGb: 100
    multiAz: false
    username: mcp
    databaseName: mcp
    backupRetentionDays: 7
    backupWindow: "02:00-03:00"
    maintenanceWindow: "sun:03:00-sun:04:00"
    logMinDurationStatementMs: 0
  redis:
    clientSecurityGroupIds: [sg-0123456789abcdef1]
    replicationGroupId: team-cache
    engineVersion: "7.1"
    nodeType: cache.t4g.micro
    numCacheClusters: 1
    snapshotRetentionDays: 0
    snapshotWindow: "04:00-05:00"
    maintenanceWindow: "sat:03:00-sat:04:00"
    authTokenVariableName: team_redis_token
namespace: team-mcp
replicas: 2
maxReplicas: 2
resources: { cpuRequest: 200m, cpuLimit: "2", memoryRequest: 256Mi, memoryLimit: 1Gi }
routing: { kind: ingress, preset: aws-alb, className: alb, annotations: { example.com/team: a } }
tls: { kind: acm-certificate, certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789" }
requestTimeoutSeconds: 900
oauth: { issuer: "https://auth.team.example/", jwksUrl: "https://auth.team.example/jwks", tenantClaim: org }
oauthEgressCidrs: [203.0.113.0/24]
ingressNamespace: kube-system
monitoringNamespace: observability
monitoringLabels: { release: kps }
dashboardLabels: { grafana_dashboard: "1" }
runbookBaseUrl: https://runbooks.team.example
alerts: { errorRatioThreshold: 0.1, authFailureRatioThreshold: 0.3, notReadyFor: 10m, certificateExpiryWarningDays: 21 }
tracing: { otlpEndpoint: "http://otel-gateway:4318", samplingRatio: 0.05, serviceName: team-mcp, collectorNamespace: observability, collectorPort: 4318 }
probe:
  intervalSeconds: 60
  timeoutSeconds: 15
  apiKeySecret: team-probe-key
  apiKeySecretKey: key
  tool: memory_search
  toolArguments: { query: probe, limit: 1 }
  protocol: modern
  image: ghcr.io/acme/mcp:1.0.1
  caBundleConfigMap: roots
  resources: { cpuRequest: 10m, cpuLimit: 250m, memoryRequest: 64Mi, memoryLimit: 128Mi }
terraformBackend: { kind: s3, bucket: team-state, region: eu-west-1, keyPrefix: team/mcp, kmsKeyId: alias/state }
`);
    expect(loadSpecFile(file)).toMatchObject({
      dataTier: { postgres: { logMinDurationStatementMs: 0 } },
      tracing: { collectorNamespace: 'observability' },
      probe: { protocol: 'modern', toolArguments: { query: 'probe', limit: 1 } },
    });
  });

  test.each([
    ['an unknown key', `${VALID}replica: 3\n`, 'unknown key "replica": remove it or check its spelling'],
    ['an unknown nested key', `${IN_CLUSTER}  size: big\n`, 'dataTier: unknown key "size"'],
    ['a wrong type', `${VALID}replicas: three\n`, 'replicas: must be a number (got "three")'],
    [
      'an alert ratio written as a percentage',
      `${VALID}alerts:\n  errorRatioThreshold: 5\n`,
      'alerts.errorRatioThreshold: must be a ratio greater than 0 and less than 1 (got 5); write 5% as 0.05',
    ],
    [
      'an alert duration Prometheus cannot read',
      `${VALID}alerts:\n  latencyFor: ten minutes\n`,
      'alerts.latencyFor: must be a positive Prometheus duration such as "5m" or "1h30m"',
    ],
    [
      'a latency threshold no p95 can exceed',
      `${VALID}alerts:\n  latencyP95ThresholdSeconds: 60\n`,
      'alerts.latencyP95ThresholdSeconds: must be at least 0.005 and less than 30 seconds',
    ],
    [
      'an alert setting that is not tunable here',
      `${VALID}alerts:\n  memoryLimitBytes: 1000\n`,
      'alerts: unknown key "memoryLimitBytes"',
    ],
    [
      'a fractional count',
      `${VALID}replicas: 1.5\n`,
      'replicas: must be a whole number of at least 1 (got 1.5)',
    ],
    ['zero replicas', `${VALID}replicas: 0\n`, 'replicas: must be a whole number of at least 1 (got 0)'],
    [
      'a bad URL',
      VALID.replace('https://mcp.team.example', 'mcp.team.example'),
      'publicUrl: must be an absolute URL',
    ],
    ['a plain http URL', VALID.replace('https://', 'http://'), 'publicUrl: must use https'],
    [
      'an IP address as public URL',
      VALID.replace('https://mcp.team.example', 'https://10.0.0.1'),
      'publicUrl: must name a DNS host, not an IP address (got "https://10.0.0.1"); certificates and host routing need a DNS name',
    ],
    [
      'a public URL with a port',
      VALID.replace('https://mcp.team.example', 'https://mcp.team.example:8443'),
      'publicUrl: must not name a port (got "https://mcp.team.example:8443"); the server is published on port 443',
    ],
    ['a missing required field', VALID.replace(/^image:.*\n/m, ''), 'image: is required'],
    ['an unpinned image', VALID.replace(':1.0.0', ''), 'image: must be pinned by a tag or digest'],
    [
      'the mutable tag latest',
      VALID.replace(':1.0.0', ':latest'),
      'image: must not use the mutable tag "latest" (got "ghcr.io/acme/mcp:latest"); pin a version tag or a digest',
    ],
    [
      'a name that is not a DNS label',
      VALID.replace('name: team', 'name: Team_A'),
      'name: must be a DNS label',
    ],
    [
      'an unknown data tier kind',
      `${VALID}dataTier:\n  kind: azure\n`,
      'dataTier.kind: must have `kind` set to "in-cluster" or "aws" (got "azure")',
    ],
    [
      'an AWS tier with one zone',
      AWS.replace('[eu-west-1a, eu-west-1b]', '[eu-west-1a]'),
      'dataTier.network.availabilityZones: must list at least two availability zones (got ["eu-west-1a"])',
    ],
    [
      'an AWS tier with no zones',
      AWS.replace('[eu-west-1a, eu-west-1b]', '[]'),
      'dataTier.network.availabilityZones: must list at least two availability zones (got [])',
    ],
    [
      'an existing VPC with one subnet',
      EXISTING_VPC.replace(', subnet-0123456789abcdef1', ''),
      'dataTier.network.privateSubnetIds: must list at least 2 ids',
    ],
    [
      'a network without client security groups',
      AWS.replace('    clientSecurityGroupIds: [sg-0123456789abcdef0]\n', ''),
      'dataTier.network.clientSecurityGroupIds: must list at least one id (got [])',
    ],
    [
      'a bad CIDR',
      AWS.replace('vpcCidrs: [10.0.0.0/16]', 'vpcCidrs: [10.0.0.0]'),
      'dataTier.vpcCidrs[0]: must be an IPv4 CIDR block',
    ],
    [
      'an empty list of VPC CIDR blocks',
      AWS.replace('vpcCidrs: [10.0.0.0/16]', 'vpcCidrs: []'),
      'dataTier.vpcCidrs: must list at least one CIDR block (got [])',
    ],
    [
      'zero storage for RDS',
      `${AWS}  postgres:\n    allocatedStorageGb: 0\n`,
      'dataTier.postgres.allocatedStorageGb: must be a whole number from 20 to 65536 (got 0)',
    ],
    [
      'zero days of RDS backups',
      `${AWS}  postgres:\n    backupRetentionDays: 0\n`,
      'dataTier.postgres.backupRetentionDays: must be a whole number from 7 to 35 (got 0)',
    ],
    [
      'zero cache nodes',
      `${AWS}  redis:\n    numCacheClusters: 0\n`,
      'dataTier.redis.numCacheClusters: must be a whole number from 1 to 6 (got 0)',
    ],
    [
      'an empty RDS engine version',
      `${AWS}  postgres:\n    engineVersion: ""\n`,
      'dataTier.postgres.engineVersion: must be a PostgreSQL version 12 or later',
    ],
    [
      'a Redis volume size without persistence',
      `${IN_CLUSTER}  redis:\n    storageSize: 2Gi\n`,
      'dataTier.redis.storageSize: must be set only with persistence: true (got "2Gi")',
    ],
    [
      'an empty in-cluster Postgres volume size',
      `${IN_CLUSTER}  postgres:\n    storageSize: ""\n`,
      'dataTier.postgres.storageSize: must be a Kubernetes quantity',
    ],
    [
      'maxReplicas below replicas',
      `${VALID}replicas: 4\nmaxReplicas: 2\n`,
      'maxReplicas: must be a whole number of at least replicas (4) (got 2)',
    ],
    [
      'a memory request above the limit',
      `${VALID}resources:\n  memoryRequest: 1Gi\n`,
      'resources.memoryRequest: must not exceed memoryLimit (512Mi) (got "1Gi")',
    ],
    [
      'a zero stream timeout',
      `${VALID}requestTimeoutSeconds: 0\n`,
      'requestTimeoutSeconds: must be a whole number of seconds between 30 and 86400 (got 0)',
    ],
    [
      'a bad email',
      `${VALID}tls:\n  kind: acme\n  email: ops-at-team\n`,
      'tls.email: must be an email address',
    ],
    [
      'an ACM certificate with ingress-nginx',
      `${VALID}tls:\n  kind: acm-certificate\n  certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"\n`,
      'tls: must use cert-manager (Tls.clusterIssuer or Tls.acme) unless routing is IngressPreset.AWS_ALB',
    ],
    [
      'a gateway-api route without a gateway',
      `${VALID}routing:\n  kind: gateway-api\n`,
      'routing.gateway: must be set, or else `createGateway`, but not both (got "neither")',
    ],
    [
      'an empty IngressClass name',
      `${VALID}routing:\n  kind: ingress\n  className: ""\n`,
      'routing.className: must be a lowercase DNS name',
    ],
    [
      'an http OAuth issuer',
      `${VALID}oauth:\n  issuer: http://auth.team.example\n  jwksUrl: https://auth.team.example/jwks\n`,
      'oauth.issuer: must be an absolute https URL',
    ],
    [
      'an empty OAuth egress list',
      `${VALID}oauth:\n  issuer: https://auth.team.example\n  jwksUrl: https://auth.team.example/jwks\noauthEgressCidrs: []\n`,
      'oauthEgressCidrs: must list at least one CIDR block (got []); set allowHttpsEgress: false',
    ],
    [
      'a bad label value',
      `${VALID}monitoringLabels:\n  release: two words\n`,
      'monitoringLabels.release: must be a Kubernetes label value',
    ],
    [
      'a monitoring label the constructs set themselves',
      `${VALID}monitoringLabels:\n  app.kubernetes.io/name: other\n`,
      'monitoringLabels.app.kubernetes.io/name: must not be set: the construct manages it',
    ],
    [
      'no dashboard labels',
      `${VALID}dashboardLabels: {}\n`,
      'dashboardLabels: must have at least one label (got {}); the sidecar finds nothing',
    ],
    ['an empty runbook URL', `${VALID}runbookBaseUrl: ""\n`, 'runbookBaseUrl: must be an absolute https URL'],
    [
      'a bad state bucket',
      `${VALID}terraformBackend:\n  kind: s3\n  bucket: My_Bucket\n  region: eu-west-1\n`,
      'terraformBackend.bucket: must be an S3 bucket name',
    ],
    [
      'a collector endpoint without a scheme',
      `${VALID}tracing:\n  otlpEndpoint: otel-collector.observability.svc:4318\n`,
      'tracing.otlpEndpoint: must be an absolute http or https URL such as "http://otel-collector.observability.svc:4318" (got "otel-collector.observability.svc:4318")',
    ],
    [
      'a sampling ratio written as a percentage',
      `${VALID}tracing:\n  otlpEndpoint: http://otel.observability.svc:4318\n  samplingRatio: 10\n`,
      'tracing.samplingRatio: must be a number from 0 to 1 (got 10); write 10% as 0.1',
    ],
    [
      'a collector whose namespace the endpoint does not say',
      `${VALID}tracing:\n  otlpEndpoint: http://otel-gateway:4318\n`,
      `tracing.collectorNamespace: is required: the endpoint's host "otel-gateway" names no namespace`,
    ],
    [
      'tracing without an endpoint',
      `${VALID}tracing:\n  samplingRatio: 0.5\n`,
      'tracing.otlpEndpoint: is required and must be a string',
    ],
    [
      'an availability objective of 100%',
      `${VALID}slo:\n  availability:\n    objective: 100\n`,
      'slo.availability.objective: must be less than 100: a 100% objective leaves no error budget to alert on (got 100); use 99.9 or 99.99',
    ],
    [
      'an availability objective of 0',
      `${VALID}slo:\n  availability:\n    objective: 0\n`,
      'slo.availability.objective: must be at least 93.06: below it, 14.4 times the error budget is more than every request',
    ],
    [
      'an objective written as a ratio',
      `${VALID}slo:\n  latency:\n    objective: 0.99\n    thresholdSeconds: 0.5\n`,
      'slo.latency.objective: must be at least 93.06',
    ],
    [
      'a latency threshold between histogram buckets',
      `${VALID}slo:\n  latency:\n    objective: 99\n    thresholdSeconds: 0.3\n`,
      'slo.latency.thresholdSeconds: must be one of the bucket bounds of mcp_request_duration_seconds (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 seconds): a threshold between buckets cannot be counted exactly (got 0.3); use 0.25, the nearest bound, or add the bucket to the catalogue',
    ],
    [
      'a latency objective without a threshold',
      `${VALID}slo:\n  latency:\n    objective: 99\n`,
      'slo.latency.thresholdSeconds: is required and must be a number',
    ],
    [
      'an SLO on something the server does not measure',
      `${VALID}slo:\n  throughput:\n    objective: 99\n`,
      'slo: unknown key "throughput"',
    ],
    [
      'a probe timeout as long as its interval',
      `${VALID}probe:\n  intervalSeconds: 20\n  timeoutSeconds: 20\n`,
      'probe.timeoutSeconds: must be less than intervalSeconds (20) (got 20); a run must end before the next one starts',
    ],
    [
      'an unknown probe protocol',
      `${VALID}probe:\n  protocol: newest\n`,
      'probe.protocol: must be one of auto, modern, legacy (got "newest")',
    ],
    [
      'probe tool arguments without a tool',
      `${VALID}probe:\n  toolArguments: { query: x }\n`,
      'probe.toolArguments: must be set only with tool (got {"query":"x"}); name the tool',
    ],
    [
      'a probe memory request above its limit',
      `${VALID}probe:\n  resources: { memoryRequest: 1Gi }\n`,
      'probe.resources.memoryRequest: must not exceed memoryLimit (192Mi) (got "1Gi")',
    ],
    [
      'an unknown probe key',
      `${VALID}probe:\n  apiKey: hunter2\n`,
      'probe: unknown key "apiKey": remove it or check its spelling',
    ],
    [
      'a critical certificate threshold above the warning one',
      `${VALID}alerts:\n  certificateExpiryCriticalDays: 30\n`,
      'alerts.certificateExpiryCriticalDays: must be less than certificateExpiryWarningDays (14) (got 30)',
    ],
    [
      'a list instead of a mapping',
      '- name: team\n',
      '(top level): must be a mapping with the fields name, image, publicUrl',
    ],
    [
      'a key that was renamed',
      `${VALID}routing:\n  kind: ingress\n  controller: nginx\n`,
      'routing.controller: renamed to routing.preset',
    ],
    [
      'an old in-cluster data tier',
      `${IN_CLUSTER}  postgresStorage: 5Gi\n`,
      'dataTier.postgresStorage: renamed to dataTier.postgres.storageSize',
    ],
    [
      'an old cache node count',
      `${AWS}  redis:\n    nodes: 2\n`,
      'dataTier.redis.nodes: renamed to dataTier.redis.numCacheClusters',
    ],
  ])('rejects %s, naming the file, the YAML path, the value and the fix', (_case, text, message) => {
    const file = fileWith(text);
    expect(() => loadSpecFile(file)).toThrow(`${file} is not a valid environment:\n  - ${message}`);
  });

  test.each([
    ['an unclosed flow sequence', `${VALID}tags: [a, b\n`, /YAML error at line \d+/],
    ['a tab indentation', `${VALID}dataTier:\n\tkind: aws\n`, /YAML error at line 5/],
    ['a duplicate key', `${VALID}name: other\n`, /YAML error at line 4: Map keys must be unique/],
  ])('rejects YAML with %s, giving the line', (_case, text, message) => {
    expect(() => loadSpecFile(fileWith(text))).toThrow(message);
  });

  test.each([
    [
      'a billion-laughs alias bomb',
      `${VALID}x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n` +
        Array.from(
          { length: 8 },
          (_, i) => `x${i + 1}: &x${i + 1} [${Array(9).fill(`*x${i}`).join(', ')}]`,
        ).join('\n'),
    ],
    [
      'a 200-level alias chain',
      `${VALID}y0: &y0 [1]\n` +
        Array.from({ length: 200 }, (_, i) => `y${i + 1}: &y${i + 1} [*y${i}]`).join('\n'),
    ],
  ])('rejects %s, naming the file, without expanding it', (_case, text) => {
    const file = fileWith(`${text}\n`);
    expect(() => loadSpecFile(file)).toThrow(
      `${file} is not a valid environment:\n  - YAML aliases expand too far`,
    );
  });
});

describe('dataTier.postgres.backup', () => {
  const BACKUP = `${IN_CLUSTER}  postgres:\n    backup:\n`;

  test('reads the schedule, retention and storage choice', () => {
    const file = fileWith(
      `${BACKUP}      schedule: "*/30 * * * *"\n      retention: 4\n      storage:\n        kind: s3\n        bucket: acme-backups\n        region: eu-west-1\n        roleArn: arn:aws:iam::123456789012:role/backup\n`,
    );
    expect(loadSpecFile(file).dataTier).toEqual({
      kind: 'in-cluster',
      postgres: {
        backup: {
          schedule: '*/30 * * * *',
          retention: 4,
          storage: {
            kind: 's3',
            bucket: 'acme-backups',
            region: 'eu-west-1',
            roleArn: 'arn:aws:iam::123456789012:role/backup',
          },
        },
      },
    });
  });

  test.each([
    [
      `${BACKUP}      schedule: "0 3 * *"\n`,
      'dataTier.postgres.backup.schedule: must be a five-field cron schedule (minute hour day-of-month month day-of-week, in UTC) that runs (got "0 3 * *"); it has 4 fields',
    ],
    [
      `${BACKUP}      retention: 0\n`,
      'dataTier.postgres.backup.retention: must be a whole number from 1 to 1000 (got 0)',
    ],
    [
      `${BACKUP}      storage:\n        kind: tape\n`,
      'dataTier.postgres.backup.storage.kind: must have `kind` set to "persistent-volume", "existing-claim" or "s3"',
    ],
    [
      `${BACKUP}      storage:\n        kind: s3\n        bucket: acme-backups\n        region: eu-west-1\n`,
      'dataTier.postgres.backup.storage.credentialsSecret: must be given, or roleArn, but not both',
    ],
  ])('rejects a bad backup setting, naming its YAML path (%#)', (text, message) => {
    const file = fileWith(text);
    expect(() => loadSpecFile(file)).toThrow(message);
  });
});
