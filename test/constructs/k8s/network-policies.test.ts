import { Chart, Testing } from 'cdk8s';
import { Cache, Database } from '../../../constructs/k8s/data';
import {
  McpNetworkPolicies,
  type McpNetworkPoliciesProps,
  namespaceNamed,
} from '../../../constructs/k8s/network-policies';

const server = { 'app.kubernetes.io/name': 'dev-server', 'app.kubernetes.io/instance': 'dev' };

function synth(options: { inCluster: boolean; allowHttpsEgress?: boolean }) {
  const chart = new Chart(Testing.app(), 'test');
  const stores = options.inCluster
    ? [
        Database.inCluster().bind(chart, { instance: 'dev' }),
        Cache.inCluster().bind(chart, { instance: 'dev' }),
      ]
    : [
        Database.external({ connectionSecret: 'db', cidrs: ['10.0.0.0/16'] }).bind(chart, {
          instance: 'dev',
        }),
        Cache.external({ connectionSecret: 'redis', cidrs: ['10.0.0.0/16'] }).bind(chart, {
          instance: 'dev',
        }),
      ];
  new McpNetworkPolicies(chart, 'Policies', {
    serverPodSelector: server,
    serverPort: 3000,
    dataStores: stores,
    metricsFrom: [namespaceNamed('observability')],
    ...(options.allowHttpsEgress === undefined ? {} : { allowHttpsEgress: options.allowHttpsEgress }),
  });
  return Testing.synth(chart).filter((o) => o.kind === 'NetworkPolicy');
}

/** Builds the policies of a server without data stores, with `props` on top. */
function policiesWith(props: Partial<McpNetworkPoliciesProps>): () => McpNetworkPolicies {
  return () =>
    new McpNetworkPolicies(new Chart(Testing.app(), 'test'), 'P', {
      serverPodSelector: server,
      serverPort: 3000,
      dataStores: [],
      ...props,
    });
}

describe('McpNetworkPolicies', () => {
  const policies = synth({ inCluster: true });
  const byName = (name: string) => policies.find((p) => p.metadata.name === name);

  test("denies everything to and from the environment's own pods by default, and no other pod", () => {
    expect(byName('dev-default-deny')?.spec).toEqual({
      podSelector: {
        matchLabels: { 'app.kubernetes.io/instance': 'dev', 'app.kubernetes.io/part-of': 'mcpenv' },
      },
      policyTypes: ['Ingress', 'Egress'],
    });
  });

  test("names every policy after the server pods' instance when given none", () => {
    expect(policies.map((p) => p.metadata.name)).toEqual([
      'dev-default-deny',
      'dev-server',
      'dev-postgres',
      'dev-redis',
    ]);
  });

  test('names the policies after the instance it is given', () => {
    const chart = new Chart(Testing.app(), 'test');
    new McpNetworkPolicies(chart, 'Policies', {
      serverPodSelector: { 'app.kubernetes.io/name': 'api' },
      serverPort: 3000,
      dataStores: [],
      instance: 'blue',
    });
    const names = Testing.synth(chart).map((p) => p.metadata.name);
    expect(names).toEqual(['blue-default-deny', 'blue-server']);
  });

  test('admits to the server only the ingress controller and Prometheus, on the server port', () => {
    const ingress = byName('dev-server')?.spec.ingress;
    expect(ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
        ports: [{ protocol: 'TCP', port: 3000 }],
      },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }],
        ports: [{ protocol: 'TCP', port: 3000 }],
      },
    ]);
  });

  test('lets the server reach only Postgres, Redis, DNS and public HTTPS', () => {
    const egress = byName('dev-server')?.spec.egress;
    expect(egress.map((rule: { ports: { port: number }[] }) => rule.ports.map((p) => p.port))).toEqual([
      [5432],
      [6379],
      [53, 53],
      [443],
    ]);
    expect(egress[3].to[0].ipBlock.except).toEqual(expect.arrayContaining(['10.0.0.0/8', '169.254.0.0/16']));
  });

  test('admits to Postgres and Redis only the server pods', () => {
    for (const [name, port] of [
      ['dev-postgres', 5432],
      ['dev-redis', 6379],
    ] as const) {
      expect(byName(name)?.spec).toEqual({
        podSelector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'dev' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: server } }], ports: [{ protocol: 'TCP', port }] }],
        egress: [],
      });
    }
  });

  test('sends external data tier traffic to its CIDRs and creates no data store policies', () => {
    const external = synth({ inCluster: false, allowHttpsEgress: false });
    expect(external.map((p) => p.metadata.name)).toEqual(['dev-default-deny', 'dev-server']);
    expect(external[1]?.spec.egress[0].to).toEqual([{ ipBlock: { cidr: '10.0.0.0/16' } }]);
    expect(external[1]?.spec.egress).toHaveLength(3);
  });

  test('opens to the trace collector exactly its namespace and port, after the other rules', () => {
    const policies = policiesWith({
      allowHttpsEgress: false,
      otlpCollectorNamespace: 'observability',
      otlpCollectorPort: 4318,
    })();
    const policy = policies.server.toJson();
    expect(policy?.spec.egress.at(-1)).toEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }],
      ports: [{ protocol: 'TCP', port: 4318 }],
    });
    expect(policy?.spec.egress).toHaveLength(2);
  });

  test('has no rule to a collector without one', () => {
    const egress = byName('dev-server')?.spec.egress as { ports: { port: number }[] }[];
    expect(egress.flatMap((rule) => rule.ports.map((p) => p.port))).not.toContain(4318);
  });

  test.each<[Partial<McpNetworkPoliciesProps>, RegExp]>([
    [
      { otlpCollectorNamespace: 'observability' },
      /`otlpCollectorPort` must be set with otlpCollectorNamespace \(got nothing\); set both, or neither/,
    ],
    [{ otlpCollectorPort: 4318 }, /`otlpCollectorNamespace` must be set with otlpCollectorPort/],
    [
      { otlpCollectorNamespace: 'Observability', otlpCollectorPort: 4318 },
      /`otlpCollectorNamespace` must be a DNS label/,
    ],
    [
      { otlpCollectorNamespace: 'observability', otlpCollectorPort: 70000 },
      /`otlpCollectorPort` must be a whole number from 1 to 65535 \(got 70000\)/,
    ],
  ])('rejects the collector settings %j', (props, message) => {
    expect(policiesWith(props)).toThrow(message);
  });

  test('rejects an empty server selector', () => {
    const chart = new Chart(Testing.app(), 'test');
    expect(
      () => new McpNetworkPolicies(chart, 'P', { serverPodSelector: {}, serverPort: 3000, dataStores: [] }),
    ).toThrow(/`serverPodSelector` must name at least one label/);
  });

  test('rejects an instance that cannot name the policies', () => {
    expect(policiesWith({ instance: 'Dev' })).toThrow(/^McpNetworkPolicies: `instance` must be a DNS label/);
  });

  test('rejects malformed HTTPS egress CIDRs', () => {
    expect(policiesWith({ httpsEgressCidrs: ['auth.example.com'] })).toThrow(
      /`httpsEgressCidrs` must be an IPv4 CIDR block such as "10.0.0.0\/16" \(got "auth.example.com"\)/,
    );
  });

  test('rejects an empty HTTPS egress list, which would allow every destination', () => {
    expect(policiesWith({ httpsEgressCidrs: [] })).toThrow(
      /`httpsEgressCidrs` must list at least one CIDR block \(got \[\]\); set allowHttpsEgress: false/,
    );
  });

  test.each([
    [
      'serverPodSelector',
      /McpNetworkPolicies: `serverPodSelector` is required: pass the labels of the server's pods/,
    ],
    ['serverPort', /McpNetworkPolicies: `serverPort` is required: pass the server's container port/],
    ['dataStores', /McpNetworkPolicies: `dataStores` is required: pass the bindings of the data stores/],
  ])('fails with a ValidationError when %s is missing (plain JavaScript)', (prop, message) => {
    const props: Record<string, unknown> = { serverPodSelector: server, serverPort: 3000, dataStores: [] };
    delete props[prop];
    const chart = new Chart(Testing.app(), 'test');
    expect(() => new McpNetworkPolicies(chart, 'P', props as unknown as McpNetworkPoliciesProps)).toThrow(
      message,
    );
  });
});
