import { Testing } from 'cdk8s';
import { loadEnvironment } from '../../app/environments';
import { IngressPreset } from '../../constructs/k8s/routing';
import type { AwsDataTierSpec, McpEnvironmentSpec } from '../../constructs/spec';
import { EnvironmentChart, type environmentProps, secretNames } from '../../stacks/environment-chart';
import { awsSpec, inClusterSpec } from '../helpers/fixtures';
import { referencedSecretNames } from '../helpers/secret-refs';

describe('EnvironmentChart', () => {
  test('tunes the alerts from monitoring.alerts, and the generated rule tests follow', () => {
    const chart = new EnvironmentChart(Testing.app(), loadEnvironment('staging'));
    const { monitoring } = chart.environment;
    const alerts = monitoring.ruleGroups[1]?.rules ?? [];
    const rule = (name: string) => alerts.find((r) => 'alert' in r && r.alert === name);
    expect(rule('McpHighErrorRatio')).toMatchObject({
      expr: expect.stringMatching(/ > 0\.1$/),
      for: '15m',
    });
    expect(rule('McpHighLatency')?.expr).toMatch(/ > 2$/);
    expect(rule('McpAuthFailures')).toBeDefined();
    const names = monitoring.ruleTests.tests.map((t) => t.name);
    expect(names).toContain(
      'McpHighErrorRatio fires when 15% of requests fail with 500 (all from 2026-07-28 clients) for 15m',
    );
    expect(names).toContain(
      'McpAuthFailures stays silent when 10% of requests are rejected by authentication',
    );
    // The limits still come from the workload, not from the file.
    expect(rule('McpHighMemory')?.expr).toContain(`/ ${512 * 1024 ** 2} > 0.9`);
  });

  test('prod exports traces to its collector and runs the probe, with their policies, alerts and panels', () => {
    const chart = new EnvironmentChart(Testing.app(), loadEnvironment('prod'));
    const objects = Testing.synth(chart);
    const server = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'prod-server');
    expect(server?.spec.template.spec.containers[0].env).toEqual(
      expect.arrayContaining([
        { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability.svc:4318' },
        { name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_traceidratio' },
        { name: 'OTEL_TRACES_SAMPLER_ARG', value: '0.1' },
      ]),
    );
    const serverPolicy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'prod-server');
    expect(serverPolicy?.spec.egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }],
      ports: [{ protocol: 'TCP', port: 4318 }],
    });
    expect(objects.filter((o) => o.metadata.name === 'prod-probe').map((o) => o.kind)).toEqual([
      'ServiceAccount',
      'Deployment',
      'Service',
      'ServiceMonitor',
      'NetworkPolicy',
    ]);
    const probe = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'prod-probe');
    expect(probe?.spec.template.spec.containers[0].args).toEqual(
      expect.arrayContaining(['https://mcp.example.com', '--api-key-file', '--tool', 'memory_search']),
    );
    const alerts = chart.environment.monitoring.ruleGroups[1]?.rules.map((r) =>
      'alert' in r ? r.alert : '',
    );
    expect(alerts).toEqual(expect.arrayContaining(['McpProbeFailing', 'McpCertificateExpiring']));
    const panels = chart.environment.monitoring.dashboard.dashboard.panels.map((p) => p.title);
    expect(panels).toContain('Days until certificate expiry');
  });

  test('dev and staging neither trace nor probe', () => {
    for (const name of ['dev', 'staging']) {
      const objects = Testing.synth(new EnvironmentChart(Testing.app(), loadEnvironment(name)));
      expect(JSON.stringify(objects)).not.toMatch(/OTEL_|-probe"|mcp_probe_/);
    }
  });

  test('puts every object in the environment namespace with the environment label', () => {
    const objects = Testing.synth(
      new EnvironmentChart(Testing.app(), inClusterSpec({ namespace: 'team-mcp' })),
    );
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects.filter((o) => o.kind !== 'ClusterIssuer')) {
      expect(object.metadata.namespace).toBe('team-mcp');
      expect(object.metadata.labels['mcpenv.dev/environment']).toBe('dev');
    }
  });

  test('runs the spec image, autoscaled from replicas to maxReplicas, with its public URL', () => {
    const objects = Testing.synth(
      new EnvironmentChart(Testing.app(), awsSpec({ replicas: 4, maxReplicas: 8 })),
    );
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const container = deployment?.spec.template.spec.containers[0];
    expect(container.image).toBe('ghcr.io/example/server:1.2.3');
    expect(container.env).toContainEqual({ name: 'PUBLIC_URL', value: 'https://mcp.example.com' });
    expect(objects.find((o) => o.kind === 'HorizontalPodAutoscaler')?.spec).toMatchObject({
      minReplicas: 4,
      maxReplicas: 8,
    });
  });

  test('dev (in-cluster data, Ingress) and prod (external data, Gateway API) contain every object they need', () => {
    const kinds = (spec: Parameters<typeof environmentProps>[0]) =>
      [...new Set(Testing.synth(new EnvironmentChart(Testing.app(), spec)).map((o) => o.kind))].sort();
    const common = [
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'PrometheusRule',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ];
    expect(kinds(loadEnvironment('dev'))).toEqual(
      [...common, 'CronJob', 'Ingress', 'PersistentVolumeClaim', 'StatefulSet'].sort(),
    );
    expect(kinds(loadEnvironment('prod'))).toEqual(
      [...common, 'Certificate', 'ClusterIssuer', 'Gateway', 'HTTPRoute'].sort(),
    );
  });

  test('wires the data tier by reference: no Secret object and no secret value in the manifests', () => {
    for (const [name, postgres, redis] of [
      ['dev', 'dev-postgres', 'dev-redis'],
      ['prod', 'prod-postgres-connection', 'prod-redis-connection'],
    ] as const) {
      const objects = Testing.synth(new EnvironmentChart(Testing.app(), loadEnvironment(name)));
      expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
      const pod = objects.find((o) => o.kind === 'Deployment')?.spec.template.spec;
      expect(pod.containers[0].env).toEqual(
        expect.arrayContaining([
          { name: 'PGPASSWORD_FILE', value: '/run/secrets/mcpenv/PGPASSWORD' },
          { name: 'REDIS_PASSWORD_FILE', value: '/run/secrets/mcpenv/REDIS_PASSWORD' },
        ]),
      );
      expect(pod.volumes).toContainEqual({
        name: 'secrets',
        projected: {
          defaultMode: 0o440,
          sources: [
            { secret: { name: postgres, items: [{ key: 'password', path: 'PGPASSWORD' }] } },
            { secret: { name: redis, items: [{ key: 'password', path: 'REDIS_PASSWORD' }] } },
          ],
        },
      });
      const keyRefs = JSON.stringify(objects).match(/"secretKeyRef":\{"key":"[^"]+"/g) ?? [];
      expect(keyRefs.filter((ref) => ref.includes('"password"'))).toEqual([]);
    }
  });

  test('references the Secrets of its instance, as the Kubernetes stack names them', () => {
    expect(secretNames('staging')).toEqual({
      postgresCredentials: 'staging-postgres',
      redisPassword: 'staging-redis',
      postgresConnection: 'staging-postgres-connection',
      redisConnection: 'staging-redis-connection',
    });
    const objects = Testing.synth(new EnvironmentChart(Testing.app(), loadEnvironment('staging')));
    expect(referencedSecretNames(objects)).toEqual(
      new Set(['staging-postgres-connection', 'staging-redis-connection']),
    );
  });

  test('passes the OAuth issuer to the server and opens HTTPS egress only then', () => {
    const prod = Testing.synth(new EnvironmentChart(Testing.app(), loadEnvironment('prod')));
    const env = prod.find((o) => o.kind === 'Deployment')?.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'OAUTH_ISSUER', value: 'https://auth.example.com/' });
    const serverPolicy = (objects: typeof prod) =>
      objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name.endsWith('-server'));
    const ports = (objects: typeof prod) =>
      serverPolicy(objects)?.spec.egress.flatMap((rule: { ports: { port: number }[] }) =>
        rule.ports.map((p) => p.port),
      );
    expect(ports(prod)).toContain(443);
    const dev = Testing.synth(new EnvironmentChart(Testing.app(), loadEnvironment('dev')));
    expect(ports(dev)).not.toContain(443);
  });

  test("builds the routing and TLS a spec names from their factories' options", () => {
    const objects = Testing.synth(
      new EnvironmentChart(
        Testing.app(),
        inClusterSpec({
          routing: { kind: 'ingress', preset: IngressPreset.NGINX, className: 'public' },
          tls: { kind: 'acme', email: 'ops@example.com', name: 'team-acme' },
        }),
      ),
    );
    expect(objects.find((o) => o.kind === 'Ingress')?.spec.ingressClassName).toBe('public');
    expect(objects.find((o) => o.kind === 'ClusterIssuer')?.metadata.name).toBe('team-acme');
  });

  test('honours an empty StorageClass name for the in-cluster Postgres volume', () => {
    const objects = Testing.synth(
      new EnvironmentChart(
        Testing.app(),
        inClusterSpec({ dataTier: { kind: 'in-cluster', postgres: { storageClassName: '' } } }),
      ),
    );
    const postgres = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'dev-postgres');
    expect(postgres?.spec.volumeClaimTemplates[0].spec.storageClassName).toBe('');
  });

  test.each<[string, Partial<McpEnvironmentSpec>, string]>([
    [
      'an invalid IngressClass',
      { routing: { kind: 'ingress', className: '' } },
      'EnvironmentChart: `routing.className` must be the name of an IngressClass (got "")',
    ],
    [
      'a gateway-api route without a gateway',
      { routing: { kind: 'gateway-api' } },
      'EnvironmentChart: `routing.gateway` must be set, or else `createGateway`, but not both (got "neither")',
    ],
    [
      'a bad ClusterIssuer name',
      { tls: { kind: 'cluster-issuer', name: 'Let Us Encrypt' } },
      'EnvironmentChart: `tls.name` must be the name of a ClusterIssuer',
    ],
    [
      'an empty list of VPC CIDR blocks',
      { dataTier: { ...(awsSpec().dataTier as AwsDataTierSpec), vpcCidrs: [] } },
      'EnvironmentChart: `dataTier.vpcCidrs` must list at least one CIDR block (got [])',
    ],
    [
      'a Redis volume size without persistence',
      { dataTier: { kind: 'in-cluster', redis: { storageSize: '1Gi' } } },
      'EnvironmentChart: `dataTier.redis.storageSize` must be set only with persistence: true',
    ],
    [
      'an environment name the instance label cannot take',
      { name: 'Team' },
      'EnvironmentChart: `name` must be a DNS label',
    ],
  ])('rejects %s, naming the spec path of the prop', (_case, override, message) => {
    expect(() => new EnvironmentChart(Testing.app(), { ...inClusterSpec(), ...override })).toThrow(message);
  });
});
