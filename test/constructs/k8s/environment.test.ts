import { Chart, Testing } from 'cdk8s';
import { KubeConfigMap, KubeNetworkPolicy } from 'cdk8s-plus-28/lib/imports/k8s';
import { validateManifests } from '../../../app/validate';
import { ValidationError } from '../../../constructs/errors';
import { Cache, Database } from '../../../constructs/k8s/data';
import { McpEnvironment, type McpEnvironmentProps } from '../../../constructs/k8s/environment';
import { MAX_INSTANCE_LENGTH } from '../../../constructs/k8s/names';
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
    expect(postgres?.spec.template.spec.volumes).toContainEqual({
      name: 'password',
      secret: {
        secretName: 'mcp-postgres',
        items: [{ key: 'password', path: 'password' }],
        defaultMode: 0o440,
      },
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

  test('without tracing or a probe, sets no OTEL variable, opens no collector and makes no probe', () => {
    const objects = synth();
    const env = JSON.stringify(objects.filter((o) => o.kind === 'Deployment').map((o) => o.spec));
    expect(env).not.toMatch(/OTEL_|K8S_POD_NAME/);
    expect(objects.filter((o) => o.metadata.name.endsWith('-probe'))).toEqual([]);
    const rules = JSON.stringify(objects.find((o) => o.kind === 'PrometheusRule'));
    expect(rules).not.toMatch(/McpProbe|McpCertificate|mcp_probe_/);
    expect(JSON.stringify(objects.find((o) => o.kind === 'ConfigMap'))).not.toContain('mcp_probe_');
  });

  test('with tracing, exports the server traces and opens egress to the collector only', () => {
    const objects = synth({
      tracing: { otlpEndpoint: 'http://otel-collector.observability.svc:4318', samplingRatio: 0.2 },
    });
    const env = objects.find((o) => o.kind === 'Deployment')?.spec.template.spec.containers[0].env;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability.svc:4318' },
        { name: 'OTEL_SERVICE_NAME', value: 'acme-server' },
        { name: 'OTEL_TRACES_SAMPLER_ARG', value: '0.2' },
      ]),
    );
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'acme-server');
    expect(policy?.spec.egress.at(-1)).toEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }],
      ports: [{ protocol: 'TCP', port: 4318 }],
    });
  });

  test('with a probe, runs it on the server image against the public URL, watched by its own alerts and panels', () => {
    const objects = synth({
      probe: { apiKeySecret: 'acme-probe-key' },
      monitoringNamespace: 'observability',
    });
    expect(objects.filter((o) => o.metadata.name === 'acme-probe').map((o) => o.kind)).toEqual([
      'ServiceAccount',
      'Deployment',
      'Service',
      'ServiceMonitor',
      'NetworkPolicy',
    ]);
    const probe = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'acme-probe');
    expect(probe?.spec.template.spec.containers[0]).toMatchObject({
      image: 'ghcr.io/acme/mcp:2.0.0',
      args: expect.arrayContaining(['probe', 'https://mcp.acme.dev', '--api-key-file']),
    });
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'acme-probe');
    expect(policy?.spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } },
    ]);
    const alerts = objects.find((o) => o.kind === 'PrometheusRule')?.spec.groups[1].rules;
    const probeAlerts = alerts.filter((rule: { alert: string }) => /Probe|Certificate/.test(rule.alert));
    expect(probeAlerts.map((rule: { alert: string }) => rule.alert)).toEqual([
      'McpProbeFailing',
      'McpCertificateExpiring',
      'McpCertificateExpiringCritical',
    ]);
    for (const rule of probeAlerts) expect(rule.expr).toContain('{job="acme-probe",namespace="team-mcp"}');
    const dashboard = JSON.parse(
      Object.values(objects.find((o) => o.kind === 'ConfigMap')?.data as Record<string, string>)[0] ?? '{}',
    );
    expect(dashboard.panels.slice(-3).map((panel: { title: string }) => panel.title)).toEqual([
      'Probe success',
      'Probe duration by step',
      'Days until certificate expiry',
    ]);
    expect(validateManifests(objects).findings).toEqual([]);
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
    [
      'a collector endpoint that is not http',
      { tracing: { otlpEndpoint: 'grpc://otel.observability.svc:4317' } },
      /^McpEnvironment: `tracing.otlpEndpoint` must be an absolute http or https URL/,
    ],
    [
      'a collector host that names no namespace, with none given',
      { tracing: { otlpEndpoint: 'http://otel-gateway:4318' } },
      /^McpEnvironment: `tracing.collectorNamespace` is required: the endpoint's host "otel-gateway" names no namespace/,
    ],
    [
      'a sampling ratio above 1',
      { tracing: { otlpEndpoint: 'http://otel.o.svc:4318', samplingRatio: 2 } },
      /^McpEnvironment: `tracing.samplingRatio` must be a number from 0 to 1 \(got 2\)/,
    ],
    [
      'a probe timeout as long as its interval',
      { probe: { intervalSeconds: 10, timeoutSeconds: 10 } },
      /^McpEnvironment: `probe.timeoutSeconds` must be less than intervalSeconds \(10\)/,
    ],
    [
      'a probe memory request above its limit',
      { probe: { resources: { memoryRequest: '1Gi' } } },
      /^McpEnvironment: `probe.resources.memoryRequest` must not exceed memoryLimit \(192Mi\)/,
    ],
    [
      'an unpinned probe image',
      { probe: { image: 'ghcr.io/acme/probe' } },
      /^McpEnvironment: `probe.image` must be pinned by a tag or digest/,
    ],
    [
      'a critical certificate threshold at or above the warning one',
      { alerts: { certificateExpiryCriticalDays: 20 } },
      /^McpEnvironment: `alerts.certificateExpiryCriticalDays` must be less than certificateExpiryWarningDays \(14\) \(got 20\)/,
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

describe('McpEnvironments sharing a cluster', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Manifest = any;
  const base = { image: 'ghcr.io/acme/mcp:2.0.0', publicUrl: 'https://mcp.acme.dev' };
  const identity = (o: Manifest) =>
    `${String(o.apiVersion).split('/').slice(0, -1).join('/')}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const podTemplates = (objects: Manifest[]) =>
    objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet').map((o) => o.spec.template);
  const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([key, value]) => labels[key] === value);

  function twoInOneNamespace() {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'apps' });
    new McpEnvironment(chart, 'Alpha', { ...base, instance: 'alpha' });
    new McpEnvironment(chart, 'Beta', { ...base, instance: 'beta', publicUrl: 'https://beta.acme.dev' });
    return Testing.synth(chart) as Manifest[];
  }

  test('two environments with different instances in one namespace repeat no group, kind, namespace and name', () => {
    const objects = twoInOneNamespace();
    const identities = objects.map(identity);
    expect(new Set(identities).size).toBe(identities.length);
    expect(objects.filter((o) => o.metadata.name.startsWith('alpha-'))).toHaveLength(objects.length / 2);
    expect(objects.filter((o) => o.metadata.name.startsWith('beta-'))).toHaveLength(objects.length / 2);
    const { findings } = validateManifests(objects);
    expect(findings).toEqual([]);
  });

  test("the default deny of each environment selects its own pods and never the other's", () => {
    const objects = twoInOneNamespace();
    for (const [own, other] of [
      ['alpha', 'beta'],
      ['beta', 'alpha'],
    ]) {
      const deny = objects.find(
        (o) => o.kind === 'NetworkPolicy' && o.metadata.name === `${own}-default-deny`,
      );
      expect(deny.spec.podSelector).toEqual({
        matchLabels: { 'app.kubernetes.io/instance': own, 'app.kubernetes.io/part-of': 'mcpenv' },
      });
      const pods = podTemplates(objects);
      const selected = pods.filter((pod) => selects(deny.spec.podSelector.matchLabels, pod.metadata.labels));
      expect(selected.map((pod) => pod.metadata.labels['app.kubernetes.io/instance'])).toEqual([
        own,
        own,
        own,
      ]);
      expect(selected.some((pod) => pod.metadata.labels['app.kubernetes.io/instance'] === other)).toBe(false);
    }
  });

  test("every policy selects and admits pods of its own instance only, so neither admits the other's", () => {
    const objects = twoInOneNamespace();
    for (const policy of objects.filter((o) => o.kind === 'NetworkPolicy')) {
      const instance = policy.metadata.name.split('-')[0];
      // Peers in this namespace: a pod selector without a namespace selector (DNS is in kube-system).
      const peers = [
        ...(policy.spec.ingress ?? []).flatMap((rule: Manifest) => rule.from ?? []),
        ...(policy.spec.egress ?? []).flatMap((rule: Manifest) => rule.to ?? []),
      ].filter((peer) => peer.podSelector !== undefined && peer.namespaceSelector === undefined);
      const podSelectors = [policy.spec.podSelector, ...peers.map((peer) => peer.podSelector)];
      for (const selector of podSelectors) {
        expect(selector.matchLabels['app.kubernetes.io/instance']).toBe(instance);
      }
    }
  });

  test("scopes each environment's alerts and dashboard to its own server job", () => {
    const objects = twoInOneNamespace();
    for (const [own, other] of [
      ['alpha', 'beta'],
      ['beta', 'alpha'],
    ]) {
      const rule = JSON.stringify(
        objects.find((o) => o.kind === 'PrometheusRule' && o.metadata.name === `${own}-server`),
      );
      expect(rule).toContain(`job=\\"${own}-server\\"`);
      expect(rule).not.toContain(other);
      const dashboard = objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === `${own}-server-dashboard`,
      );
      expect(Object.keys(dashboard.data)).toEqual([`mcpenv-${own}-server.json`]);
      expect(JSON.stringify(dashboard.data)).not.toContain(other);
    }
  });

  test('environments with the same instance in different namespaces are fine', () => {
    const app = Testing.app();
    const objects = ['team-a', 'team-b'].flatMap((namespace) => {
      const chart = new Chart(app, namespace, { namespace });
      new McpEnvironment(chart, 'Mcp', { ...base, instance: 'prod' });
      return Testing.synth(chart) as Manifest[];
    });
    expect(new Set(objects.map(identity)).size).toBe(objects.length);
  });

  test('accepts the longest instance, and every name derived from it stays valid', () => {
    const instance = `a${'b'.repeat(MAX_INSTANCE_LENGTH - 1)}`;
    const objects = synth({ instance }) as Manifest[];
    const { findings } = validateManifests(objects);
    expect(findings).toEqual([]);
    for (const object of objects) {
      expect(object.metadata.name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
      expect(object.metadata.name.length).toBeLessThanOrEqual(object.kind === 'StatefulSet' ? 52 : 253);
    }
    const dashboard = objects.find((o) => o.kind === 'ConfigMap');
    expect(Object.keys(dashboard.data)[0]).toMatch(/^[a-zA-Z0-9_-]{1,40}\.json$/);
  });

  test('rejects a second environment with the same instance in the same namespace, naming both', () => {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'apps' });
    new McpEnvironment(chart, 'First', { ...base, instance: 'prod' });
    expect(() => new McpEnvironment(chart, 'Second', { ...base, instance: 'prod' })).toThrow(
      new ValidationError(
        'McpEnvironment: instance "prod" in namespace "apps" is used by both `apps/First` and `apps/Second`: ' +
          'all their objects would share names (`<instance>-server`, `<instance>-postgres`, ...) and overwrite ' +
          'each other; set a different `instance` on one of them',
      ),
    );
  });

  test('rejects the same instance in two charts of one app that share a namespace', () => {
    const app = Testing.app();
    new McpEnvironment(new Chart(app, 'one', { namespace: 'apps' }), 'Mcp', base);
    expect(() => new McpEnvironment(new Chart(app, 'two', { namespace: 'apps' }), 'Mcp', base)).toThrow(
      /instance "mcp" in namespace "apps" is used by both `one\/Mcp` and `two\/Mcp`.*set a different `instance`/,
    );
  });

  test("rejects an org's own object that has the name, kind and namespace of one of ours", () => {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'apps' });
    new McpEnvironment(chart, 'Mcp', { ...base, instance: 'alpha' });
    new KubeNetworkPolicy(chart, 'OrgDenyAll', {
      metadata: { name: 'alpha-default-deny' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
    expect(() => Testing.synth(chart)).toThrow(
      'Kubernetes object NetworkPolicy.networking.k8s.io "alpha-default-deny" in namespace "apps" is used by ' +
        'both `apps/Mcp/NetworkPolicies/DefaultDeny` and `apps/OrgDenyAll`: kubectl apply and Terraform would ' +
        'keep only one of them; rename the other object, or set a different `instance` on the McpEnvironment',
    );
  });

  test('two environments with probes in one namespace keep their probes apart', () => {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'apps' });
    new McpEnvironment(chart, 'Alpha', { ...base, instance: 'alpha', probe: {} });
    new McpEnvironment(chart, 'Beta', { ...base, instance: 'beta', probe: {} });
    const objects = Testing.synth(chart) as Manifest[];
    expect(new Set(objects.map(identity)).size).toBe(objects.length);
    const monitors = objects.filter((o) => o.kind === 'ServiceMonitor').map((o) => o.metadata.name);
    expect(monitors.sort()).toEqual(['alpha-probe', 'alpha-server', 'beta-probe', 'beta-server']);
    const rule = JSON.stringify(
      objects.find((o) => o.metadata.name === 'alpha-server' && o.kind === 'PrometheusRule'),
    );
    expect(rule).toContain('job=\\"alpha-probe\\"');
    expect(rule).not.toContain('beta');
  });

  test("rejects an org's own object that has the name, kind and namespace of the probe's", () => {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'apps' });
    new McpEnvironment(chart, 'Mcp', { ...base, instance: 'alpha', probe: {} });
    new KubeNetworkPolicy(chart, 'OrgProbePolicy', {
      metadata: { name: 'alpha-probe' },
      spec: { podSelector: {}, policyTypes: ['Egress'] },
    });
    expect(() => Testing.synth(chart)).toThrow(
      /NetworkPolicy.networking.k8s.io "alpha-probe" in namespace "apps" is used by both `apps\/Mcp\/Probe\/NetworkPolicy` and `apps\/OrgProbePolicy`/,
    );
  });

  test("accepts an org's own object with one of our names in another kind or namespace", () => {
    const app = Testing.app();
    const chart = new Chart(app, 'apps', { namespace: 'apps' });
    new McpEnvironment(chart, 'Mcp', { ...base, instance: 'alpha' });
    new KubeConfigMap(chart, 'OrgConfig', { metadata: { name: 'alpha-server' } });
    const other = new Chart(app, 'other', { namespace: 'other' });
    new KubeNetworkPolicy(other, 'OrgDenyAll', {
      metadata: { name: 'alpha-default-deny' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
    expect(() => Testing.synth(chart)).not.toThrow();
  });

  test('rejects a cluster-scoped clash: one ACME issuer name for the same instance in two namespaces', () => {
    const app = Testing.app();
    const tls = Tls.acme({ email: 'ops@acme.dev' });
    const first = new Chart(app, 'team-a', { namespace: 'team-a' });
    new McpEnvironment(first, 'Mcp', { ...base, instance: 'prod', tls });
    new McpEnvironment(new Chart(app, 'team-b', { namespace: 'team-b' }), 'Mcp', {
      ...base,
      instance: 'prod',
      tls,
    });
    expect(() => Testing.synth(first)).toThrow(
      /ClusterIssuer.cert-manager.io "mcpenv-acme-prod" \(no namespace\) is used by both `team-a\/Mcp\/Routing\/ClusterIssuer` and `team-b\/Mcp\/Routing\/ClusterIssuer`/,
    );
  });
});
