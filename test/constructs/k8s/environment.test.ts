import { Chart, Testing } from 'cdk8s';
import { Cache, Database } from '../../../constructs/k8s/data';
import { McpEnvironment, type McpEnvironmentProps } from '../../../constructs/k8s/environment';
import { Routing, Tls } from '../../../constructs/k8s/routing';

function synth(props: Partial<McpEnvironmentProps> = {}) {
  const chart = new Chart(Testing.app(), 'team', { namespace: 'team-mcp' });
  new McpEnvironment(chart, 'Mcp', {
    image: 'ghcr.io/acme/mcp:2.0.0',
    publicUrl: 'https://mcp.acme.dev',
    instance: 'acme',
    ...props,
  });
  return Testing.synth(chart);
}

describe('McpEnvironment', () => {
  test('composes workload, data tier, routing, network policies and monitoring from one set of props', () => {
    const kinds = synth().map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Deployment/mcp-server',
        'StatefulSet/mcp-postgres',
        'StatefulSet/mcp-redis',
        'Ingress/mcp-server',
        'NetworkPolicy/default-deny',
        'ServiceMonitor/mcp-server',
        'PrometheusRule/mcp-server',
      ]),
    );
  });

  test('one public URL drives the route host and the server setting', () => {
    const objects = synth();
    const ingress = objects.find((o) => o.kind === 'Ingress');
    expect(ingress?.spec.rules[0].host).toBe('mcp.acme.dev');
    expect(ingress?.spec.tls[0].hosts).toEqual(['mcp.acme.dev']);
    const env = objects.find((o) => o.kind === 'Deployment')?.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'PUBLIC_URL', value: 'https://mcp.acme.dev' });
  });

  test('keeps idle connections open longer than the routing keeps streams, so the proxy closes first', () => {
    const env = synth({ requestTimeoutSeconds: 900 }).find((o) => o.kind === 'Deployment')?.spec.template.spec
      .containers[0].env;
    expect(env).toContainEqual({ name: 'KEEPALIVE_TIMEOUT_SECONDS', value: '905' });
  });

  test('scopes the alerts to the chart namespace and the server job', () => {
    const rule = synth().find((o) => o.kind === 'PrometheusRule');
    const alert = rule?.spec.groups[1].rules[0];
    expect(alert.expr).toContain('namespace="team-mcp"');
    expect(alert.expr).toContain('job="mcp-server"');
  });

  test('sizes the memory and CPU alerts from the workload limits', () => {
    const rule = synth({ resources: { memoryLimit: '1Gi', cpuLimit: '2' } }).find(
      (o) => o.kind === 'PrometheusRule',
    );
    const exprs = JSON.stringify(rule?.spec.groups);
    expect(exprs).toContain(String(1024 ** 3));
  });

  test('works with an external data tier, Gateway API and an ACME issuer', () => {
    const objects = synth({
      database: Database.external({ connectionSecret: 'db', cidrs: ['10.0.0.0/16'] }),
      cache: Cache.external({ connectionSecret: 'redis', cidrs: ['10.0.0.0/16'] }),
      routing: Routing.gatewayApi({ createGateway: { gatewayClassName: 'eg' } }),
      tls: Tls.acme({ email: 'ops@acme.dev' }),
    });
    expect(objects.some((o) => o.kind === 'StatefulSet')).toBe(false);
    expect(objects.map((o) => o.kind)).toEqual(
      expect.arrayContaining(['Gateway', 'HTTPRoute', 'Certificate', 'ClusterIssuer']),
    );
  });

  test.each([
    [{ instance: 'Acme' }, /McpEnvironment: `instance` must be a DNS label/],
    [{ ingressNamespace: 'ingress_nginx' }, /`ingressNamespace` must be a DNS label/],
    [{ monitoringNamespace: '' }, /`monitoringNamespace` must be a DNS label/],
    [
      { oauth: { issuer: 'auth.acme.dev', jwksUrl: 'https://auth.acme.dev/jwks' } },
      /`oauth.issuer` must be an absolute https URL/,
    ],
    [
      { oauth: { issuer: 'https://auth.acme.dev', jwksUrl: 'http://auth.acme.dev/jwks' } },
      /`oauth.jwksUrl` must be an absolute https URL \(got "http:\/\/auth.acme.dev\/jwks"\)/,
    ],
    [{ publicUrl: 'http://mcp.acme.dev' }, /publicUrl/],
    [{ replicas: 0 }, /`replicas` must be a whole number of at least 1/],
  ])('rejects %j', (props, message) => {
    expect(() => synth(props as Partial<McpEnvironmentProps>)).toThrow(message);
  });

  const oauth = { issuer: 'https://auth.acme.dev/', jwksUrl: 'https://auth.acme.dev/jwks' };

  test.each<[string, Partial<McpEnvironmentProps>, RegExp]>([
    [
      'an image tagged latest',
      { image: 'ghcr.io/acme/mcp:latest' },
      /McpEnvironment: `image` must not use the mutable tag "latest"/,
    ],
    [
      'an IP address as public URL',
      { publicUrl: 'https://10.0.0.1' },
      /McpEnvironment: `publicUrl` must name a DNS host, not an IP address/,
    ],
    [
      'a public URL with a port',
      { publicUrl: 'https://mcp.acme.dev:8443' },
      /McpEnvironment: `publicUrl` must not name a port/,
    ],
    [
      'a memory request above the limit',
      { resources: { memoryRequest: '1Gi' } },
      /McpEnvironment: `resources.memoryRequest` must not exceed memoryLimit \(512Mi\)/,
    ],
    [
      'an alert ratio written as a percentage',
      { alerts: { errorRatioThreshold: 5 } },
      /McpEnvironment: `alerts.errorRatioThreshold` must be a ratio greater than 0 and less than 1/,
    ],
    [
      'a monitoring label the constructs manage',
      { monitoringLabels: { 'app.kubernetes.io/name': 'x' } },
      /McpEnvironment: `monitoringLabels.app.kubernetes.io\/name` must not be set/,
    ],
    [
      'no dashboard labels',
      { dashboardLabels: {} },
      /McpEnvironment: `dashboardLabels` must have at least one label/,
    ],
    [
      'an empty runbook URL',
      { runbookBaseUrl: '' },
      /McpEnvironment: `runbookBaseUrl` must be an absolute https URL/,
    ],
    [
      'an empty OAuth egress list, which would open every destination',
      { oauth, oauthEgressCidrs: [] },
      /McpEnvironment: `oauthEgressCidrs` must list at least one CIDR block/,
    ],
    [
      'an empty tenant claim',
      { oauth: { ...oauth, tenantClaim: '' } },
      /McpEnvironment: `oauth.tenantClaim` must be a JWT claim name/,
    ],
    [
      'a zero stream timeout',
      { requestTimeoutSeconds: 0 },
      /McpEnvironment: `requestTimeoutSeconds` must be a whole number of seconds/,
    ],
    [
      'maxReplicas below replicas',
      { replicas: 3, maxReplicas: 2 },
      /McpEnvironment: `maxReplicas` must be a whole number of at least replicas \(3\)/,
    ],
  ])(
    'rejects %s, naming its own prop also where a child construct finds the problem',
    (_case, props, message) => {
      expect(() => synth(props)).toThrow(message);
    },
  );

  test.each([
    ['image', /McpEnvironment: `image` is required: pass a container image pinned by tag or digest/],
    ['publicUrl', /McpEnvironment: `publicUrl` is required: pass the public https origin/],
  ])('fails with a ValidationError when %s is missing (plain JavaScript)', (prop, message) => {
    const props: Record<string, unknown> = {
      image: 'ghcr.io/acme/mcp:2.0.0',
      publicUrl: 'https://mcp.acme.dev',
    };
    delete props[prop];
    const chart = new Chart(Testing.app(), 'team');
    expect(() => new McpEnvironment(chart, 'Mcp', props as unknown as McpEnvironmentProps)).toThrow(message);
  });

  test('fails with a ValidationError when called without props (plain JavaScript)', () => {
    const chart = new Chart(Testing.app(), 'team');
    expect(() => new McpEnvironment(chart, 'Mcp', undefined as unknown as McpEnvironmentProps)).toThrow(
      /McpEnvironment: `props` is required: pass an object with image, publicUrl/,
    );
  });
});
