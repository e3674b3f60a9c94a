import {
  otlpCollector,
  serviceVersion,
  type TracingProps,
  tracingEnv,
  checkServerTracing,
} from '../../../constructs/k8s/tracing';

const ENDPOINT = 'http://otel-collector.observability.svc:4318';
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('tracingEnv', () => {
  const env = tracingEnv(
    { otlpEndpoint: ENDPOINT },
    { name: 'prod-server', image: 'ghcr.io/acme/mcp:2.0.0' },
  );

  test('sets the OTLP endpoint, the service name and a parent-based ratio sampler at 10% by default', () => {
    const values = Object.fromEntries(env.map((variable) => [variable.name, variable.value]));
    expect(values).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
      OTEL_SERVICE_NAME: 'prod-server',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      OTEL_RESOURCE_ATTRIBUTES:
        'k8s.namespace.name=$(K8S_NAMESPACE_NAME),k8s.pod.name=$(K8S_POD_NAME),service.version=2.0.0',
    });
  });

  test("takes the pod's name and namespace from the downward API", () => {
    expect(env.slice(0, 2)).toEqual([
      {
        name: 'K8S_NAMESPACE_NAME',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
      },
      { name: 'K8S_POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    ]);
  });

  test('declares every variable before the variables that reference it, as Kubernetes expands only those', () => {
    env.forEach((variable, index) => {
      for (const [, referenced] of (variable.value ?? '').matchAll(/\$\(([A-Z0-9_]+)\)/g)) {
        const declared = env.findIndex((other) => other.name === referenced);
        expect({ variable: variable.name, referenced, before: declared >= 0 && declared < index }).toEqual({
          variable: variable.name,
          referenced,
          before: true,
        });
      }
    });
  });

  test('uses the sampling ratio and service name it is given', () => {
    const custom = tracingEnv(
      { otlpEndpoint: ENDPOINT, samplingRatio: 1, serviceName: 'team/mcp' },
      { name: 'prod-server', image: 'ghcr.io/acme/mcp:2.0.0' },
    );
    expect(custom).toContainEqual({ name: 'OTEL_TRACES_SAMPLER_ARG', value: '1' });
    expect(custom).toContainEqual({ name: 'OTEL_SERVICE_NAME', value: 'team/mcp' });
  });
});

describe('serviceVersion', () => {
  test.each([
    ['the tag of an image pinned by tag', 'ghcr.io/acme/mcp:2.0.0', '2.0.0'],
    ['the tag of an image pinned by tag and digest', `ghcr.io/acme/mcp:2.0.0@${DIGEST}`, '2.0.0'],
    [
      'the short digest of an image pinned by digest only',
      `ghcr.io/acme/mcp@${DIGEST}`,
      'sha256:0123456789ab',
    ],
    ['the tag, not the registry port', 'registry.local:5000/mcp:1.2', '1.2'],
  ])('is %s', (_case, image, version) => {
    expect(serviceVersion(image)).toBe(version);
  });
});

describe('otlpCollector', () => {
  const collector = (tracing: Partial<TracingProps>) =>
    otlpCollector('McpEnvironment', 'tracing', { otlpEndpoint: ENDPOINT, ...tracing });

  test.each([
    ['http://otel-collector.observability.svc:4318', { namespace: 'observability', port: 4318 }],
    ['http://otel.tracing.svc.cluster.local:4318/otlp', { namespace: 'tracing', port: 4318 }],
    ['http://otel.tracing.svc', { namespace: 'tracing', port: 80 }],
    ['https://otel.tracing.svc.cluster.local', { namespace: 'tracing', port: 443 }],
  ])('derives namespace and port from %s', (otlpEndpoint, expected) => {
    expect(collector({ otlpEndpoint })).toEqual(expected);
  });

  test('takes them as given for a host that names no namespace, the pod port over the URL port', () => {
    expect(
      collector({
        otlpEndpoint: 'http://otel-gateway:4318',
        collectorNamespace: 'observability',
        collectorPort: 14318,
      }),
    ).toEqual({ namespace: 'observability', port: 14318 });
  });

  test('rejects a host that names no namespace when none is given', () => {
    expect(() => collector({ otlpEndpoint: 'http://otel.example.com:4318' })).toThrow(
      /^McpEnvironment: `tracing.collectorNamespace` is required: the endpoint's host "otel.example.com" names no namespace/,
    );
  });

  test('rejects a namespace other than the one the host names', () => {
    expect(() => collector({ collectorNamespace: 'monitoring' })).toThrow(
      /`tracing.collectorNamespace` must be the namespace the endpoint's host names \(observability\) \(got "monitoring"\)/,
    );
  });

  test('rejects a namespace that is not a DNS label', () => {
    expect(() =>
      collector({ otlpEndpoint: 'http://otel-gateway:4318', collectorNamespace: 'Observability' }),
    ).toThrow(/`tracing.collectorNamespace` must be a DNS label/);
  });

  test('rejects a port outside 1 to 65535', () => {
    expect(() => collector({ collectorPort: 0 })).toThrow(
      /`tracing.collectorPort` must be a whole number from 1 to 65535 \(got 0\)/,
    );
  });
});

describe('checkServerTracing', () => {
  const check = (tracing: Partial<TracingProps>) =>
    checkServerTracing('McpServerWorkload', 'tracing', { otlpEndpoint: ENDPOINT, ...tracing });

  test('accepts http and https endpoints, with a path, and ratios from 0 to 1', () => {
    expect(() => check({ otlpEndpoint: 'https://otel.tracing.svc/otlp', samplingRatio: 0 })).not.toThrow();
    expect(() => check({ samplingRatio: 1, serviceName: 'acme.mcp-server' })).not.toThrow();
  });

  test.each<[string, Partial<TracingProps>, RegExp]>([
    [
      'an endpoint without a scheme',
      { otlpEndpoint: 'otel-collector.observability.svc:4318' },
      /`tracing.otlpEndpoint` must be an absolute http or https URL such as "http:\/\/otel-collector.observability.svc:4318"/,
    ],
    [
      'a gRPC endpoint',
      { otlpEndpoint: 'grpc://otel.observability.svc:4317' },
      /`tracing.otlpEndpoint` must be an absolute http or https URL/,
    ],
    [
      'credentials in the endpoint',
      { otlpEndpoint: 'http://user:pw@otel.observability.svc:4318' },
      /`tracing.otlpEndpoint` must not contain credentials/,
    ],
    [
      'a query in the endpoint',
      { otlpEndpoint: 'http://otel.observability.svc:4318/?x=1' },
      /`tracing.otlpEndpoint` must have no query or fragment .*; the exporter appends \/v1\/traces/,
    ],
    [
      'a ratio above 1',
      { samplingRatio: 10 },
      /`tracing.samplingRatio` must be a number from 0 to 1 \(got 10\); write 10% as 0.1/,
    ],
    ['a negative ratio', { samplingRatio: -0.1 }, /`tracing.samplingRatio` must be a number from 0 to 1/],
    [
      'a service name with spaces',
      { serviceName: 'mcp server' },
      /`tracing.serviceName` must be a service name of letters, digits/,
    ],
  ])('rejects %s', (_case, tracing, message) => {
    expect(() => check(tracing)).toThrow(message);
  });

  test('fails with a ValidationError when the endpoint is missing (plain JavaScript)', () => {
    expect(() => checkServerTracing('McpServerWorkload', 'tracing', {} as unknown as TracingProps)).toThrow(
      /^McpServerWorkload: `tracing.otlpEndpoint` is required: pass the OTLP\/HTTP URL/,
    );
  });
});
