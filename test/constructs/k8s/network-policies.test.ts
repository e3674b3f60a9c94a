import { Chart, Testing } from 'cdk8s';
import { Cache, Database } from '../../../constructs/k8s/data';
import {
  McpNetworkPolicies,
  type McpNetworkPoliciesProps,
  namespaceNamed,
} from '../../../constructs/k8s/network-policies';

const server = { 'app.kubernetes.io/name': 'mcp-server', 'app.kubernetes.io/instance': 'dev' };

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

describe('McpNetworkPolicies', () => {
  const policies = synth({ inCluster: true });
  const byName = (name: string) => policies.find((p) => p.metadata.name === name);

  test('denies everything in the namespace by default', () => {
    expect(byName('default-deny')?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  test('admits to the server only the ingress controller and Prometheus, on the server port', () => {
    const ingress = byName('mcp-server')?.spec.ingress;
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
    const egress = byName('mcp-server')?.spec.egress;
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
      ['mcp-postgres', 5432],
      ['mcp-redis', 6379],
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
    expect(external.map((p) => p.metadata.name)).toEqual(['default-deny', 'mcp-server']);
    expect(external[1]?.spec.egress[0].to).toEqual([{ ipBlock: { cidr: '10.0.0.0/16' } }]);
    expect(external[1]?.spec.egress).toHaveLength(3);
  });

  test('rejects an empty server selector', () => {
    const chart = new Chart(Testing.app(), 'test');
    expect(
      () => new McpNetworkPolicies(chart, 'P', { serverPodSelector: {}, serverPort: 3000, dataStores: [] }),
    ).toThrow(/`serverPodSelector` must name at least one label/);
  });

  test('rejects malformed HTTPS egress CIDRs', () => {
    const chart = new Chart(Testing.app(), 'test');
    expect(
      () =>
        new McpNetworkPolicies(chart, 'P', {
          serverPodSelector: server,
          serverPort: 3000,
          dataStores: [],
          httpsEgressCidrs: ['auth.example.com'],
        }),
    ).toThrow(
      /`httpsEgressCidrs` must be an IPv4 CIDR block such as "10.0.0.0\/16" \(got "auth.example.com"\)/,
    );
  });

  test('rejects an empty HTTPS egress list, which would allow every destination', () => {
    const chart = new Chart(Testing.app(), 'test');
    expect(
      () =>
        new McpNetworkPolicies(chart, 'P', {
          serverPodSelector: server,
          serverPort: 3000,
          dataStores: [],
          httpsEgressCidrs: [],
        }),
    ).toThrow(
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
