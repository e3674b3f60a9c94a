import { ValidationError } from '../../constructs/errors';
import { parseImageReference, parseSpec } from '../../constructs/spec';

const valid = {
  name: 'prod',
  image: 'ghcr.io/example/server:1.2.3',
  publicUrl: 'https://mcp.example.com',
};

const NET = {
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  clientSecurityGroupIds: ['sg-0123456789abcdef0'],
};

describe('parseSpec', () => {
  test('applies defaults: two replicas, an in-cluster data tier, ingress-nginx and namespace mcp-<name>', () => {
    expect(parseSpec(valid)).toEqual({
      ...valid,
      replicas: 2,
      namespace: 'mcp-prod',
      dataTier: { kind: 'in-cluster', postgresStorage: '10Gi', redisPersistence: false },
      routing: { kind: 'ingress', controller: 'nginx' },
      network: { ingressNamespace: 'ingress-nginx', monitoringNamespace: 'monitoring' },
      monitoring: {},
      terraformBackend: { kind: 'local' },
    });
  });

  test('keeps an explicit namespace and an AWS data tier', () => {
    const network = {
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      clientSecurityGroupIds: ['sg-0123456789abcdef0'],
    };
    const spec = parseSpec({
      ...valid,
      namespace: 'team-a',
      dataTier: { kind: 'aws', region: 'us-east-1', vpcCidrs: ['10.1.0.0/16'], network },
    });
    expect(spec.namespace).toBe('team-a');
    expect(spec.dataTier).toEqual({
      kind: 'aws',
      region: 'us-east-1',
      vpcCidrs: ['10.1.0.0/16'],
      network,
      production: true,
      postgres: {},
      redis: {},
    });
  });

  test('normalizes the public URL to its origin', () => {
    expect(parseSpec({ ...valid, publicUrl: 'https://MCP.Example.com/' }).publicUrl).toBe(
      'https://mcp.example.com',
    );
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
      parseSpec({ name: 'Prod', image: 'nginx', replicas: 0, publicUrl: 'http://x', extra: 1 }, 'prod.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const message = (error as Error).message;
    expect(message).toMatch(/^prod\.yaml is not a valid environment:/);
    expect(message).toContain('name: must be a DNS label');
    expect(message).toContain('(got "Prod")');
    expect(message).toContain('image: must be pinned: add a version tag');
    expect(message).toContain('replicas: must be at least 1 (got 0)');
    expect(message).toContain('publicUrl: must use https');
    expect(message).toContain('unknown key "extra": remove it');
  });

  test.each([
    [{ name: undefined }, /name: is required/],
    [{ name: 'a'.repeat(41) }, /name: must be at most 40 characters/],
    [{ image: 'ghcr.io/example/server:latest' }, /must not use the mutable tag "latest"/],
    [{ image: 'ghcr.io/example/server@sha256:abc' }, /must use a digest of the form/],
    [{ image: 'Bad Image:1' }, /image: must be a container image reference without spaces/],
    [{ replicas: 1.5 }, /replicas: must be a whole number \(got 1.5\)/],
    [{ replicas: '3' }, /replicas: must be a number \(got "3"\)/],
    [{ replicas: 101 }, /replicas: must be at most 100/],
    [{ publicUrl: 'mcp.example.com' }, /publicUrl: must be an absolute URL/],
    [{ publicUrl: 'https://mcp.example.com/mcp' }, /publicUrl: must be an origin without path/],
    [{ publicUrl: 'https://user:pw@mcp.example.com' }, /publicUrl: must not contain credentials/],
    [{ namespace: 'Team_A' }, /namespace: must be a DNS label/],
    [
      { dataTier: { kind: 'gcp' } },
      /dataTier.kind: must have `kind` set to "in-cluster" or "aws" \(got "gcp"\)/,
    ],
    [
      { dataTier: { kind: 'aws', region: 'mars-1', vpcCidrs: ['10.0.0.0/16'], network: NET } },
      /dataTier.region: must be an AWS region/,
    ],
    [{ dataTier: { kind: 'aws', vpcCidrs: ['10.0.0.0/16'], network: NET } }, /dataTier.region: is required/],
    [
      {
        dataTier: {
          kind: 'aws',
          region: 'eu-west-1',
          vpcCidrs: ['10.0.0.0/16'],
          network: { clientSecurityGroupIds: ['sg-0123456789abcdef0'] },
        },
      },
      /dataTier.network.availabilityZones: must list at least two zones/,
    ],
    [
      {
        dataTier: {
          kind: 'aws',
          region: 'eu-west-1',
          vpcCidrs: ['10.0.0.0/16'],
          network: { ...NET, vpcId: 'vpc-0123456789abcdef0' },
        },
      },
      /dataTier.network: must give vpcId and at least two privateSubnetIds/,
    ],
    [
      {
        dataTier: {
          kind: 'aws',
          region: 'eu-west-1',
          vpcCidrs: ['10.0.0.0/16'],
          network: { ...NET, clientSecurityGroupIds: [] },
        },
      },
      /dataTier.network.clientSecurityGroupIds: must list the security group/,
    ],
    [
      { terraformBackend: { kind: 's3', bucket: 'Bad_Bucket', region: 'eu-west-1' } },
      /terraformBackend.bucket: must be an S3 bucket name/,
    ],
    [
      { terraformBackend: { kind: 'consul' } },
      /terraformBackend.kind: must have `kind` set to "local" or "s3"/,
    ],
    [
      { dataTier: { kind: 'aws', region: 'eu-west-1', vpcCidrs: [], network: NET } },
      /dataTier.vpcCidrs: must list at least one CIDR/,
    ],
    [
      { dataTier: { kind: 'aws', region: 'eu-west-1', vpcCidrs: ['10.0.0.0'], network: NET } },
      /dataTier.vpcCidrs\[0\]: must be an IPv4 CIDR/,
    ],
    [
      { dataTier: { kind: 'in-cluster', postgresStorage: '10GB' } },
      /dataTier.postgresStorage: must be a storage size/,
    ],
    [{ replicas: 3, maxReplicas: 2 }, /maxReplicas: must be at least replicas \(3\)/],
    [
      { routing: { kind: 'loadbalancer' } },
      /routing.kind: must have `kind` set to "ingress" or "gateway-api"/,
    ],
    [{ routing: { kind: 'ingress', controller: 'traefik' } }, /routing.controller: must be nginx or aws-alb/],
    [{ routing: { kind: 'gateway-api' } }, /routing: must set exactly one of `gateway`/],
    [
      { tls: { clusterIssuer: 'a', acmeEmail: 'a@example.com' } },
      /tls: must set only one of clusterIssuer, acmeEmail/,
    ],
    [{ tls: { acmeEmail: 'not-an-email' } }, /tls.acmeEmail: must be an email address/],
    [
      { oauth: { issuer: 'http://auth.example.com', jwksUrl: 'https://auth.example.com/jwks' } },
      /oauth.issuer: must be an https URL/,
    ],
    [
      { network: { ingressNamespace: 'Ingress_NGINX' } },
      /network.ingressNamespace: must be a namespace name/,
    ],
    [
      { monitoring: { labels: { release: 'has spaces' } } },
      /monitoring.labels.release: must be a label value/,
    ],
    [
      { monitoring: { runbookBaseUrl: 'runbooks' } },
      /monitoring.runbookBaseUrl: must be an absolute https URL/,
    ],
    [{ dataTier: { kind: 'in-cluster', region: 'eu-west-1' } }, /dataTier: unknown key "region"/],
  ])('rejects %j', (override, expected) => {
    expect(() => parseSpec({ ...valid, ...override })).toThrow(expected);
  });

  test('rejects input that is not a mapping', () => {
    expect(() => parseSpec('prod')).toThrow(/\(top level\): must be a mapping with the fields name, image/);
  });
});

describe('parseImageReference', () => {
  test('splits repository, tag and digest', () => {
    expect(parseImageReference('localhost:5000/a/b:1.0')).toEqual({
      repository: 'localhost:5000/a/b',
      tag: '1.0',
      digest: undefined,
    });
    expect(parseImageReference('a/b')).toEqual({ repository: 'a/b', tag: undefined, digest: undefined });
  });
});
