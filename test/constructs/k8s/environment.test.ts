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
        'Deployment/acme-server',
        'StatefulSet/acme-postgres',
        'StatefulSet/acme-redis',
        'Ingress/acme-server',
        'NetworkPolicy/acme-default-deny',
        'ServiceMonitor/acme-server',
        'PrometheusRule/acme-server',
      ]),
    );
  });

  test('names every object `<instance>-<component>`', () => {
    const names = new Set(synth().map((o) => o.metadata.name));
    expect([...names].sort()).toEqual([
      'acme-default-deny',
      'acme-postgres',
      'acme-redis',
      'acme-server',
      'acme-server-dashboard',
    ]);
  });

  test('keeps the names of before with the default instance', () => {
    const objects = synth({ instance: undefined });
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'Deployment/mcp-server',
        'Service/mcp-server',
        'StatefulSet/mcp-postgres',
        'StatefulSet/mcp-redis',
        'PrometheusRule/mcp-server',
        'NetworkPolicy/mcp-default-deny',
      ]),
    );
    const postgres = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'mcp-postgres');
    expect(postgres?.spec.template.spec.containers[0].env).toContainEqual({
      name: 'POSTGRES_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'mcp-postgres', key: 'password' } },
    });
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
    expect(alert.expr).toContain('job="acme-server"');
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
    [
      { instance: 'a'.repeat(44) },
      /^McpEnvironment: `instance` must have at most 43 characters, so that `<instance>-postgres` is a valid StatefulSet name \(at most 52\) \(got "a{44}"\); choose a shorter instance$/,
    ],
    [{ ingressNamespace: 'ingress_nginx' }, /`ingressNamespace` must be a DNS label/],
    [{ monitoringNamespace: '' }, /`monitoringNamespace` must be a DNS label/],
    [
      { oauth: { issuer: 'auth.acme.dev', jwksUrl: 'https://auth.acme.dev/jwks' } },
      /`oauth.issuer` must be an absolute https URL/,
    ],
    [
      { oauth: { issuer: 'https://auth.acme.dev', jwksUrl: 'http://auth.acme.dev/jwks' } },
      /`oauth.jwksUrl` must use https/,
    ],
    [{ publicUrl: 'http://mcp.acme.dev' }, /publicUrl/],
    [{ replicas: 0 }, /`replicas` must be a whole number of at least 1/],
  ])('rejects %j', (props, message) => {
    expect(() => synth(props as Partial<McpEnvironmentProps>)).toThrow(message);
  });
});
