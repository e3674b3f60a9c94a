import { Chart, Testing } from 'cdk8s';
import { validateManifests } from '../../../app/validate';
import { namespaceNamed } from '../../../constructs/k8s/network-policies';
import {
  McpProbe,
  type McpProbeProps,
  PROBE_API_KEY_FILE,
  ProbeProtocol,
} from '../../../constructs/k8s/probe';
import { McpServerWorkload } from '../../../constructs/k8s/workload';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

const BASE: McpProbeProps = {
  image: 'ghcr.io/acme/mcp:2.0.0',
  publicUrl: 'https://mcp.acme.dev',
  instance: 'acme',
};

/** Synthesizes a probe in a chart of `namespace`, or of none with `null`. */
function synth(props: Partial<McpProbeProps> = {}, namespace: string | null = 'team-mcp') {
  const chart = new Chart(Testing.app(), 'team', namespace === null ? {} : { namespace });
  const probe = new McpProbe(chart, 'Probe', { ...BASE, ...props });
  return { probe, objects: Testing.synth(chart) as Manifest[] };
}

function find(objects: Manifest[], kind: string): Manifest {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} synthesized`);
  return found;
}

const container = (objects: Manifest[]) => find(objects, 'Deployment').spec.template.spec.containers[0];

describe('McpProbe', () => {
  test('synthesizes a ServiceAccount, Deployment, Service, ServiceMonitor and NetworkPolicy named `<instance>-probe`', () => {
    expect(synth().objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/acme-probe',
      'Deployment/acme-probe',
      'Service/acme-probe',
      'ServiceMonitor/acme-probe',
      'NetworkPolicy/acme-probe',
    ]);
    expect(find(synth({ instance: undefined }).objects, 'Deployment').metadata.name).toBe('mcp-probe');
  });

  test('runs one replica of the probe command against the public URL, serving metrics on 0.0.0.0:9464', () => {
    const { objects } = synth();
    expect(find(objects, 'Deployment').spec.replicas).toBe(1);
    expect(container(objects)).toMatchObject({
      name: 'probe',
      image: 'ghcr.io/acme/mcp:2.0.0',
      imagePullPolicy: 'Always',
      args: [
        'probe',
        'https://mcp.acme.dev',
        '--serve-metrics',
        '--metrics-address',
        '0.0.0.0',
        '--metrics-port',
        '9464',
        '--interval-seconds',
        '30',
        '--timeout-seconds',
        '10',
        '--protocol',
        'auto',
      ],
      ports: [{ name: 'metrics', containerPort: 9464, protocol: 'TCP' }],
      livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' } },
      readinessProbe: { httpGet: { path: '/healthz', port: 'metrics' } },
    });
  });

  test('passes the interval, timeout, protocol, tool and its arguments it is given', () => {
    const { objects } = synth({
      intervalSeconds: 60,
      timeoutSeconds: 20,
      protocol: ProbeProtocol.LEGACY,
      tool: 'memory_search',
      toolArguments: { query: 'probe', limit: 1 },
    });
    expect(container(objects).args.slice(7)).toEqual([
      '--interval-seconds',
      '60',
      '--timeout-seconds',
      '20',
      '--protocol',
      'legacy',
      '--tool',
      'memory_search',
      '--tool-arguments',
      '{"query":"probe","limit":1}',
    ]);
  });

  test('reads its API key from a Secret mounted read-only as a file, never from the environment', () => {
    const { objects } = synth({ apiKeySecret: 'acme-probe-key', apiKeySecretKey: 'token' });
    const pod = find(objects, 'Deployment').spec.template.spec;
    expect(container(objects).args.slice(-2)).toEqual(['--api-key-file', PROBE_API_KEY_FILE]);
    expect(PROBE_API_KEY_FILE).toBe('/run/secrets/mcpenv-probe/api-key');
    expect(container(objects).volumeMounts).toContainEqual({
      name: 'api-key',
      mountPath: '/run/secrets/mcpenv-probe',
      readOnly: true,
    });
    expect(pod.volumes).toContainEqual({
      name: 'api-key',
      secret: {
        secretName: 'acme-probe-key',
        items: [{ key: 'token', path: 'api-key' }],
        defaultMode: 0o440,
      },
    });
    expect(container(objects).env).toBeUndefined();
  });

  test('reads the key under `api-key` by default, and runs keyless without a Secret', () => {
    const keyed = synth({ apiKeySecret: 'acme-probe-key' }).objects;
    expect(find(keyed, 'Deployment').spec.template.spec.volumes[1].secret.items).toEqual([
      { key: 'api-key', path: 'api-key' },
    ]);
    const keyless = synth().objects;
    expect(container(keyless).args).not.toContain('--api-key-file');
    expect(find(keyless, 'Deployment').spec.template.spec.volumes.map((v: Manifest) => v.name)).toEqual([
      'tmp',
    ]);
  });

  test('trusts a CA bundle from a ConfigMap when given one', () => {
    const { objects } = synth({ caBundleConfigMap: 'staging-roots' });
    expect(container(objects).args.slice(-2)).toEqual(['--ca-file', '/etc/mcpenv/ca/ca.pem']);
    expect(find(objects, 'Deployment').spec.template.spec.volumes).toContainEqual({
      name: 'ca-bundle',
      configMap: { name: 'staging-roots' },
    });
  });

  test('runs a digest-pinned image of its own when given one', () => {
    const image = `ghcr.io/acme/probe@sha256:${'a'.repeat(64)}`;
    expect(container(synth({ image }).objects)).toMatchObject({ image, imagePullPolicy: 'IfNotPresent' });
  });

  test('hardens the pod like the server: restricted, non-root, read-only, no token, resources set', () => {
    const { objects } = synth();
    const pod = find(objects, 'Deployment').spec.template.spec;
    const serverChart = new Chart(Testing.app(), 'server');
    new McpServerWorkload(serverChart, 'Server', { image: BASE.image });
    const serverPod = find(Testing.synth(serverChart), 'Deployment').spec.template.spec;
    expect(find(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(pod).toMatchObject({
      serviceAccountName: 'acme-probe',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: serverPod.securityContext,
    });
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container(objects).securityContext).toEqual(serverPod.containers[0].securityContext);
    expect(container(objects).securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container(objects).resources).toEqual({
      requests: { cpu: '20m', memory: '96Mi' },
      limits: { cpu: '500m', memory: '192Mi' },
    });
  });

  test('takes the resources it is given', () => {
    const { objects } = synth({ resources: { memoryRequest: '128Mi', memoryLimit: '256Mi' } });
    expect(container(objects).resources.limits.memory).toBe('256Mi');
    expect(container(objects).resources.requests.memory).toBe('128Mi');
  });

  test('exposes the metrics port through a Service that its ServiceMonitor scrapes, with the monitoring labels', () => {
    const { objects } = synth({ monitoringLabels: { release: 'kps' } });
    const selector = { 'app.kubernetes.io/name': 'acme-probe', 'app.kubernetes.io/instance': 'acme' };
    expect(find(objects, 'Service').spec).toEqual({
      type: 'ClusterIP',
      selector,
      ports: [{ name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' }],
    });
    const monitor = find(objects, 'ServiceMonitor');
    expect(monitor.metadata.labels).toMatchObject({ release: 'kps' });
    expect(monitor.spec).toMatchObject({
      selector: { matchLabels: selector },
      namespaceSelector: { matchNames: ['team-mcp'] },
      endpoints: [{ port: 'metrics', path: '/metrics' }],
    });
  });

  test("scopes the probe's alerts and panels by its job and namespace", () => {
    expect(synth().probe.metricsSelector).toEqual({ job: 'acme-probe', namespace: 'team-mcp' });
    expect(synth({}, null).probe.metricsSelector).toEqual({ job: 'acme-probe' });
  });

  test("lets the probe reach only the public URL's port and DNS, and only Prometheus reach its metrics", () => {
    const policy = find(synth({ metricsFrom: [namespaceNamed('observability')] }).objects, 'NetworkPolicy');
    expect(policy.spec.podSelector).toEqual({
      matchLabels: { 'app.kubernetes.io/name': 'acme-probe', 'app.kubernetes.io/instance': 'acme' },
    });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }],
        ports: [{ protocol: 'TCP', port: 9464 }],
      },
    ]);
    expect(policy.spec.egress).toEqual([
      { ports: [{ protocol: 'TCP', port: 443 }] },
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ]);
  });

  test('admits Prometheus from the namespace `monitoring` by default', () => {
    const policy = find(synth().objects, 'NetworkPolicy');
    expect(policy.spec.ingress[0].from).toEqual([namespaceNamed('monitoring')]);
  });

  test('synthesizes objects that match the Kubernetes and CRD schemas and pass every policy', () => {
    const { objects } = synth({
      apiKeySecret: 'acme-probe-key',
      caBundleConfigMap: 'roots',
      tool: 'memory_search',
      toolArguments: { query: 'x' },
    });
    expect(validateManifests(objects).findings).toEqual([]);
  });

  test.each<[string, Partial<McpProbeProps>, RegExp]>([
    [
      'an unpinned image',
      { image: 'ghcr.io/acme/mcp' },
      /^McpProbe: `image` must be pinned by a tag or digest/,
    ],
    ['a plain http URL', { publicUrl: 'http://mcp.acme.dev' }, /^McpProbe: `publicUrl` must use https/],
    [
      'an interval under 5 seconds',
      { intervalSeconds: 1 },
      /`intervalSeconds` must be a whole number from 5 to 3600 \(got 1\)/,
    ],
    [
      'a timeout of 0',
      { timeoutSeconds: 0 },
      /`timeoutSeconds` must be a whole number of at least 1 \(got 0\)/,
    ],
    [
      'a timeout as long as the interval',
      { intervalSeconds: 30, timeoutSeconds: 30 },
      /`timeoutSeconds` must be less than intervalSeconds \(30\) \(got 30\); a run must end before the next one starts/,
    ],
    [
      'a Secret name that is not a DNS name',
      { apiKeySecret: 'Probe_Key' },
      /`apiKeySecret` must be a lowercase DNS name of at most 253 characters \(got "Probe_Key"\)/,
    ],
    [
      'a Secret key without a Secret',
      { apiKeySecretKey: 'token' },
      /`apiKeySecretKey` must be set only with apiKeySecret \(got "token"\)/,
    ],
    [
      'a Secret key with a space',
      { apiKeySecret: 'key', apiKeySecretKey: 'api key' },
      /`apiKeySecretKey` must be a Secret key/,
    ],
    ['a tool name with a space', { tool: 'memory search' }, /`tool` must be an MCP tool name of 1 to 128/],
    [
      'tool arguments without a tool',
      { toolArguments: { query: 'x' } },
      /`toolArguments` must be set only with tool \(got \{"query":"x"\}\); name the tool/,
    ],
    [
      'tool arguments that are a list',
      { tool: 'memory_search', toolArguments: ['x'] as unknown as Record<string, unknown> },
      /`toolArguments` must be a JSON object \(a mapping\)/,
    ],
    [
      'tool arguments that JSON cannot carry',
      { tool: 'memory_search', toolArguments: { limit: Number.NaN } },
      /`toolArguments` must be a JSON object/,
    ],
    [
      'an unknown protocol',
      { protocol: 'newest' as ProbeProtocol },
      /`protocol` must be one of auto, modern, legacy \(got "newest"\)/,
    ],
    [
      'a bad CA ConfigMap name',
      { caBundleConfigMap: 'CA' },
      /`caBundleConfigMap` must be a lowercase DNS name/,
    ],
    [
      'a memory request above the limit',
      { resources: { memoryRequest: '1Gi' } },
      /^McpProbe: `resources.memoryRequest` must not exceed memoryLimit \(192Mi\) \(got "1Gi"\)/,
    ],
    [
      'a CPU limit that is no quantity',
      { resources: { cpuLimit: 'half' } },
      /`resources.cpuLimit` must be a Kubernetes quantity/,
    ],
    ['an instance that is no DNS label', { instance: 'Acme' }, /^McpProbe: `instance` must be a DNS label/],
    [
      'a monitoring label the constructs manage',
      { monitoringLabels: { 'app.kubernetes.io/name': 'x' } },
      /^McpProbe: `monitoringLabels.app.kubernetes.io\/name` must not be set: the construct manages it/,
    ],
  ])('rejects %s', (_case, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test.each([
    ['image', /^McpProbe: `image` is required: pass the server image/],
    ['publicUrl', /^McpProbe: `publicUrl` is required: pass the public https origin/],
  ])('fails with a ValidationError when %s is missing (plain JavaScript)', (prop, message) => {
    const props: Record<string, unknown> = { ...BASE };
    delete props[prop];
    const chart = new Chart(Testing.app(), 'team');
    expect(() => new McpProbe(chart, 'Probe', props as unknown as McpProbeProps)).toThrow(message);
  });
});
