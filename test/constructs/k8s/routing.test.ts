import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { Chart, Testing } from 'cdk8s';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { parseAllDocuments } from 'yaml';
import { SSE_KEEPALIVE_INTERVAL_SECONDS } from '@mcpenv/contract';
import {
  type AcmeIssuerOptions,
  type GatewayApiRoutingOptions,
  IngressPreset,
  McpRouting,
  type McpRoutingProps,
  Routing,
  Tls,
} from '../../../constructs/k8s/routing';

const ACM_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

function synth(props: Partial<McpRoutingProps> = {}, namespace?: string) {
  const chart = new Chart(Testing.app(), 'test', namespace ? { namespace } : {});
  const routing = new McpRouting(chart, 'Routing', {
    publicUrl: 'https://mcp.example.com',
    serviceName: 'mcp-server',
    ...props,
  });
  return { routing, objects: Testing.synth(chart) as Manifest[] };
}

function only(objects: Manifest[], kind: string, name?: string): Manifest {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0];
}

function kindsOf(objects: Manifest[]) {
  return objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/** The CRDs of the kinds McpRouting creates, from the vendored copies. */
const CRD_FILES = [
  'cert-manager.io_certificates.yaml',
  'cert-manager.io_clusterissuers.yaml',
  'gateway.networking.k8s.io_gateways.yaml',
  'gateway.networking.k8s.io_httproutes.yaml',
];

/** Validators for every version of those CRDs, keyed by "apiVersion kind". */
function crdValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const dir = join(__dirname, '../../../constructs/k8s/crds');
  const validators = new Map<string, ValidateFunction>();
  for (const file of CRD_FILES) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as Manifest;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const version of crd.spec.versions) {
        const key = `${crd.spec.group}/${version.name} ${crd.spec.names.kind}`;
        validators.set(key, ajv.compile(version.schema.openAPIV3Schema));
      }
    }
  }
  return validators;
}

const nginxStreaming = (timeout: string) => ({
  'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
  'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
  'nginx.ingress.kubernetes.io/proxy-read-timeout': timeout,
  'nginx.ingress.kubernetes.io/proxy-send-timeout': timeout,
});

describe('McpRouting with an Ingress for ingress-nginx (the default)', () => {
  test('synthesizes one Ingress for the host with TLS from the letsencrypt-prod ClusterIssuer', () => {
    const { routing, objects } = synth({ instance: 'prod' });
    expect(kindsOf(objects)).toEqual(['Ingress/prod-server']);
    const ingress = only(objects, 'Ingress');
    expect(ingress.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'prod-server',
      'app.kubernetes.io/instance': 'prod',
    });
    expect(ingress.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt-prod');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ hosts: ['mcp.example.com'], secretName: 'prod-server-tls' }]);
    expect(routing.tlsSecretName).toBe('prod-server-tls');
    expect(routing.clusterIssuerName).toBe('letsencrypt-prod');
    expect(routing.ingress).toBe(routing.node.defaultChild);
  });

  test('routes only the MCP endpoint and its OAuth metadata, keeping /metrics and /readyz private', () => {
    const ingress = only(synth({ servicePort: 8080 }).objects, 'Ingress');
    const backend = { service: { name: 'mcp-server', port: { number: 8080 } } };
    expect(ingress.spec.rules).toEqual([
      {
        host: 'mcp.example.com',
        http: {
          paths: [
            { path: '/mcp', pathType: 'Prefix', backend },
            { path: '/.well-known/oauth-protected-resource', pathType: 'Prefix', backend },
          ],
        },
      },
    ]);
  });

  test('turns buffering off, holds streams for requestTimeoutSeconds and redirects HTTP to HTTPS', () => {
    const ingress = only(synth({ requestTimeoutSeconds: 900 }).objects, 'Ingress');
    expect(ingress.metadata.annotations).toEqual({
      'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
      'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
      'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
      'nginx.ingress.kubernetes.io/proxy-body-size': '2m',
      ...nginxStreaming('900'),
    });
  });

  test('uses a default of one hour for streams', () => {
    const ingress = only(synth().objects, 'Ingress');
    expect(ingress.metadata.annotations).toMatchObject(nginxStreaming('3600'));
  });

  test('lets extra annotations and a custom class override the preset', () => {
    const ingress = only(
      synth({
        routing: Routing.ingress({
          className: 'public-nginx',
          annotations: {
            'nginx.ingress.kubernetes.io/proxy-body-size': '8m',
            'example.com/team': 'platform',
          },
        }),
      }).objects,
      'Ingress',
    );
    expect(ingress.spec.ingressClassName).toBe('public-nginx');
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-body-size': '8m',
      'example.com/team': 'platform',
      'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
    });
  });

  test('creates an ACME ClusterIssuer whose HTTP-01 solver uses the same ingress class', () => {
    const { routing, objects } = synth(
      {
        instance: 'prod',
        routing: Routing.ingress({ className: 'public-nginx' }),
        tls: Tls.acme({ email: 'ops@example.org' }),
      },
      'mcp',
    );
    expect(kindsOf(objects)).toEqual(['ClusterIssuer/mcpenv-acme-prod', 'Ingress/prod-server']);
    const issuer = only(objects, 'ClusterIssuer');
    expect(issuer.metadata.namespace).toBeUndefined();
    expect(issuer.spec.acme).toEqual({
      server: 'https://acme-v02.api.letsencrypt.org/directory',
      email: 'ops@example.org',
      privateKeySecretRef: { name: 'mcpenv-acme-prod-account-key' },
      solvers: [{ http01: { ingress: { ingressClassName: 'public-nginx', serviceType: 'ClusterIP' } } }],
    });
    const ingress = only(objects, 'Ingress');
    expect(ingress.metadata.namespace).toBe('mcp');
    expect(ingress.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('mcpenv-acme-prod');
    expect(routing.clusterIssuer).toBeDefined();
  });

  test('names the ACME issuer and its server when asked', () => {
    const issuer = only(
      synth({
        tls: Tls.acme({ email: 'ops@example.org', server: Tls.LETS_ENCRYPT_STAGING, name: 'staging' }),
      }).objects,
      'ClusterIssuer',
    );
    expect(issuer.metadata.name).toBe('staging');
    expect(issuer.spec.acme.server).toBe('https://acme-staging-v02.api.letsencrypt.org/directory');
  });
});

describe('McpRouting with an Ingress for the AWS Load Balancer Controller', () => {
  const alb = (props: Partial<McpRoutingProps> = {}) =>
    synth({
      routing: Routing.ingress({ preset: IngressPreset.AWS_ALB }),
      tls: Tls.acmCertificate(ACM_ARN),
      ...props,
    });

  test('asks for an internet-facing ALB with the ACM certificate, a modern TLS policy and an HTTPS redirect', () => {
    const { routing, objects } = alb({ requestTimeoutSeconds: 1800 });
    expect(kindsOf(objects)).toEqual(['Ingress/mcp-server']);
    const ingress = only(objects, 'Ingress');
    expect(ingress.spec.ingressClassName).toBe('alb');
    expect(ingress.metadata.annotations).toEqual({
      'alb.ingress.kubernetes.io/scheme': 'internet-facing',
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP":80},{"HTTPS":443}]',
      'alb.ingress.kubernetes.io/ssl-redirect': '443',
      'alb.ingress.kubernetes.io/ssl-policy': 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
      'alb.ingress.kubernetes.io/certificate-arn': ACM_ARN,
      'alb.ingress.kubernetes.io/backend-protocol': 'HTTP',
      'alb.ingress.kubernetes.io/healthcheck-path': '/healthz',
      'alb.ingress.kubernetes.io/load-balancer-attributes':
        'idle_timeout.timeout_seconds=1800,routing.http.drop_invalid_header_fields.enabled=true',
      'alb.ingress.kubernetes.io/listener-attributes.HTTPS-443':
        'routing.http.response.strict_transport_security.header_value=max-age=31536000',
    });
    expect(ingress.spec.tls).toEqual([{ hosts: ['mcp.example.com'] }]);
    expect(routing.tlsSecretName).toBeUndefined();
    expect(routing.clusterIssuerName).toBeUndefined();
  });

  test('sends the configured HSTS max-age, or no header at 0', () => {
    const key = 'alb.ingress.kubernetes.io/listener-attributes.HTTPS-443';
    expect(only(alb({ hstsMaxAgeSeconds: 600 }).objects, 'Ingress').metadata.annotations[key]).toBe(
      'routing.http.response.strict_transport_security.header_value=max-age=600',
    );
    expect(only(alb({ hstsMaxAgeSeconds: 0 }).objects, 'Ingress').metadata.annotations).not.toHaveProperty(
      key,
    );
  });

  test('accepts the ALB maximum idle timeout of 4000 seconds', () => {
    const ingress = only(alb({ requestTimeoutSeconds: 4000 }).objects, 'Ingress');
    expect(ingress.metadata.annotations['alb.ingress.kubernetes.io/load-balancer-attributes']).toMatch(
      /^idle_timeout\.timeout_seconds=4000,/,
    );
  });
});

describe('McpRouting with an HTTPRoute on an existing Gateway', () => {
  const shared = (props: Partial<McpRoutingProps> = {}) =>
    synth({
      routing: Routing.gatewayApi({ gateway: { name: 'public', namespace: 'gateways' } }),
      ...props,
    });

  test('attaches the route to the HTTPS listener with a stream timeout and an HSTS header', () => {
    const { routing, objects } = shared({ requestTimeoutSeconds: 1200, servicePort: 8080 });
    expect(kindsOf(objects)).toEqual(['HTTPRoute/mcp-server', 'HTTPRoute/mcp-server-https-redirect']);
    const route = only(objects, 'HTTPRoute', 'mcp-server');
    expect(route.spec.parentRefs).toEqual([
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: 'public',
        namespace: 'gateways',
        sectionName: 'https',
      },
    ]);
    expect(route.spec.hostnames).toEqual(['mcp.example.com']);
    expect(route.spec.rules).toEqual([
      {
        matches: [
          { path: { type: 'PathPrefix', value: '/mcp' } },
          { path: { type: 'PathPrefix', value: '/.well-known/oauth-protected-resource' } },
        ],
        filters: [
          {
            type: 'ResponseHeaderModifier',
            responseHeaderModifier: {
              set: [{ name: 'Strict-Transport-Security', value: 'max-age=31536000' }],
            },
          },
        ],
        backendRefs: [{ name: 'mcp-server', port: 8080 }],
        timeouts: { request: '1200s', backendRequest: '1200s' },
      },
    ]);
    expect(routing.httpRoute).toBe(routing.node.defaultChild);
    expect(routing.tlsSecretName).toBeUndefined();
  });

  test("redirects plain HTTP for the host to https on the Gateway's HTTP listener", () => {
    const redirect = only(shared().objects, 'HTTPRoute', 'mcp-server-https-redirect');
    expect(redirect.spec.parentRefs).toEqual([
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: 'public',
        namespace: 'gateways',
        sectionName: 'http',
      },
    ]);
    expect(redirect.spec.hostnames).toEqual(['mcp.example.com']);
    expect(redirect.spec.rules).toEqual([
      { filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] },
    ]);
  });

  test('uses the listener names it is given and sends no HSTS header at 0', () => {
    const { objects } = synth({
      routing: Routing.gatewayApi({
        gateway: { name: 'edge', sectionName: 'mcp-tls', httpSectionName: 'web' },
      }),
      hstsMaxAgeSeconds: 0,
    });
    const route = only(objects, 'HTTPRoute', 'mcp-server');
    expect(route.spec.parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge', sectionName: 'mcp-tls' },
    ]);
    expect(route.spec.rules[0].filters).toBeUndefined();
    expect(only(objects, 'HTTPRoute', 'mcp-server-https-redirect').spec.parentRefs[0].sectionName).toBe(
      'web',
    );
  });
});

describe('McpRouting with a Gateway of its own', () => {
  const own = (props: Partial<McpRoutingProps> = {}) =>
    synth({ routing: Routing.gatewayApi({ createGateway: { gatewayClassName: 'eg' } }), ...props });

  test('creates a Gateway with an HTTP and an HTTPS listener for the host only', () => {
    const { routing, objects } = own();
    expect(kindsOf(objects)).toEqual([
      'Certificate/mcp-server',
      'Gateway/mcp-server',
      'HTTPRoute/mcp-server',
      'HTTPRoute/mcp-server-https-redirect',
    ]);
    const sameNamespace = { namespaces: { from: 'Same' } };
    expect(only(objects, 'Gateway').spec).toEqual({
      gatewayClassName: 'eg',
      listeners: [
        {
          name: 'http',
          protocol: 'HTTP',
          port: 80,
          hostname: 'mcp.example.com',
          allowedRoutes: sameNamespace,
        },
        {
          name: 'https',
          protocol: 'HTTPS',
          port: 443,
          hostname: 'mcp.example.com',
          tls: {
            mode: 'Terminate',
            certificateRefs: [{ group: '', kind: 'Secret', name: 'mcp-server-tls' }],
          },
          allowedRoutes: sameNamespace,
        },
      ],
    });
    expect(routing.gateway).toBeDefined();
  });

  test('issues the listener certificate with cert-manager from the ClusterIssuer', () => {
    const certificate = only(own({ tls: Tls.clusterIssuer('internal-ca') }).objects, 'Certificate');
    expect(certificate.spec).toEqual({
      secretName: 'mcp-server-tls',
      dnsNames: ['mcp.example.com'],
      issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'internal-ca' },
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
    });
  });

  test('attaches the service route to the HTTPS listener and the redirect to the HTTP listener', () => {
    const { objects } = own();
    const parent = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'mcp-server' };
    const route = only(objects, 'HTTPRoute', 'mcp-server');
    expect(route.spec.parentRefs).toEqual([{ ...parent, sectionName: 'https' }]);
    expect(route.spec.rules[0].timeouts).toEqual({ request: '3600s', backendRequest: '3600s' });
    expect(route.spec.rules[0].filters[0].responseHeaderModifier.set).toEqual([
      { name: 'Strict-Transport-Security', value: 'max-age=31536000' },
    ]);
    const redirect = only(objects, 'HTTPRoute', 'mcp-server-https-redirect');
    expect(redirect.spec.parentRefs).toEqual([{ ...parent, sectionName: 'http' }]);
    expect(redirect.spec.rules[0].filters[0].requestRedirect).toEqual({ scheme: 'https', statusCode: 301 });
  });

  test("solves ACME HTTP-01 challenges through the Gateway's HTTP listener", () => {
    const { objects } = own({ instance: 'staging', tls: Tls.acme({ email: 'ops@example.org' }) });
    const issuer = only(objects, 'ClusterIssuer', 'mcpenv-acme-staging');
    expect(issuer.spec.acme.solvers).toEqual([
      {
        http01: {
          gatewayHTTPRoute: {
            parentRefs: [
              {
                group: 'gateway.networking.k8s.io',
                kind: 'Gateway',
                name: 'staging-server',
                sectionName: 'http',
              },
            ],
            serviceType: 'ClusterIP',
          },
        },
      },
    ]);
    expect(only(objects, 'Certificate').spec.issuerRef.name).toBe('mcpenv-acme-staging');
  });
});

/** The ALB attributes of an AWS Load Balancer Controller Ingress, as a map. */
function albAttributes(ingress: Manifest): Record<string, string> {
  const text: string = ingress.metadata.annotations['alb.ingress.kubernetes.io/load-balancer-attributes'];
  return Object.fromEntries(text.split(',').map((pair) => pair.split('=') as [string, string]));
}

/**
 * ingress-nginx annotations that add, drop, rewrite or allow-list request headers, or route on
 * them: none may appear, so `Mcp-Method`, `Mcp-Name`, `Mcp-Param-*` and `MCP-Protocol-Version`
 * reach the server as the client sent them.
 */
const NGINX_HEADER_ANNOTATIONS =
  /snippet|cors|header|upstream-vhost|rewrite-target|x-forwarded-prefix|canary|auth-url|mirror/;

describe('McpRouting and the MCP 2026-07-28 transport (headers untouched, long-lived SSE streams)', () => {
  const keepAlive = SSE_KEEPALIVE_INTERVAL_SECONDS;

  test('ingress-nginx: streams unbuffered both ways, with read/send timeouts well above the keep-alive', () => {
    const ingress = only(synth().objects, 'Ingress');
    const annotations: Record<string, string> = ingress.metadata.annotations;
    expect(annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    expect(annotations['nginx.ingress.kubernetes.io/proxy-request-buffering']).toBe('off');
    for (const key of ['proxy-read-timeout', 'proxy-send-timeout']) {
      const seconds = Number(annotations[`nginx.ingress.kubernetes.io/${key}`]);
      expect({ key, seconds }).toEqual({ key, seconds: 3600 });
      expect(seconds).toBeGreaterThanOrEqual(2 * keepAlive);
    }
  });

  test('ingress-nginx: sets no annotation that rewrites, drops, allow-lists or routes on request headers', () => {
    for (const tls of [undefined, Tls.acme({ email: 'ops@example.org' })]) {
      const ingress = only(synth(tls ? { tls } : {}).objects, 'Ingress');
      const touching = Object.keys(ingress.metadata.annotations).filter((key) =>
        NGINX_HEADER_ANNOTATIONS.test(key),
      );
      expect(touching).toEqual([]);
      expect(ingress.spec.rules[0].http.paths.map((path: Manifest) => path.pathType)).toEqual([
        'Prefix',
        'Prefix',
      ]);
    }
  });

  test('AWS ALB: idle timeout is the stream timeout, above the keep-alive, and no header field is dropped', () => {
    const ingress = only(
      synth({
        routing: Routing.ingress({ preset: IngressPreset.AWS_ALB }),
        tls: Tls.acmCertificate(ACM_ARN),
      }).objects,
      'Ingress',
    );
    const attributes = albAttributes(ingress);
    expect(attributes).toEqual({
      'idle_timeout.timeout_seconds': '3600',
      'routing.http.drop_invalid_header_fields.enabled': 'true',
    });
    expect(Number(attributes['idle_timeout.timeout_seconds'])).toBeGreaterThan(keepAlive);
    // No listener rules or conditions that would match on, or add, request headers.
    const annotationKeys = Object.keys(ingress.metadata.annotations);
    expect(annotationKeys.filter((key) => /\/(actions|conditions)\./.test(key))).toEqual([]);
  });

  test.each([
    ['an existing Gateway', Routing.gatewayApi({ gateway: { name: 'public', namespace: 'gateways' } })],
    ['its own Gateway', Routing.gatewayApi({ createGateway: { gatewayClassName: 'eg' } })],
  ])(
    'HTTPRoute on %s: whole-request and backend timeouts for streams, no request header filters',
    (_case, routing) => {
      const route = only(synth({ routing, requestTimeoutSeconds: 7200 }).objects, 'HTTPRoute', 'mcp-server');
      expect(route.spec.rules).toHaveLength(1);
      const [rule] = route.spec.rules;
      expect(rule.timeouts).toEqual({ request: '7200s', backendRequest: '7200s' });
      expect((rule.filters ?? []).map((filter: Manifest) => filter.type)).toEqual(['ResponseHeaderModifier']);
      expect(rule.filters[0].responseHeaderModifier).toEqual({
        set: [{ name: 'Strict-Transport-Security', value: 'max-age=31536000' }],
      });
      for (const match of rule.matches) expect(Object.keys(match)).toEqual(['path']);
    },
  );

  test('accepts the shortest stream timeout, twice the keep-alive interval, on every routing choice', () => {
    const shortest = 2 * keepAlive;
    const nginx = only(synth({ requestTimeoutSeconds: shortest }).objects, 'Ingress');
    expect(nginx.metadata.annotations).toMatchObject(nginxStreaming('30'));
    const alb = only(
      synth({
        routing: Routing.ingress({ preset: IngressPreset.AWS_ALB }),
        tls: Tls.acmCertificate(ACM_ARN),
        requestTimeoutSeconds: shortest,
      }).objects,
      'Ingress',
    );
    expect(albAttributes(alb)['idle_timeout.timeout_seconds']).toBe('30');
    const route = only(
      synth({ routing: Routing.gatewayApi({ gateway: { name: 'public' } }), requestTimeoutSeconds: shortest })
        .objects,
      'HTTPRoute',
      'mcp-server',
    );
    expect(route.spec.rules[0].timeouts).toEqual({ request: '30s', backendRequest: '30s' });
  });
});

describe('McpRouting and its one public URL', () => {
  test('normalizes the URL and exposes its origin and host', () => {
    const { routing } = synth({ publicUrl: 'https://MCP.Example.com/' });
    expect(routing.publicUrl).toBe('https://mcp.example.com');
    expect(routing.host).toBe('mcp.example.com');
  });

  test.each([
    ['ingress-nginx', {}],
    ['an existing Gateway', { routing: Routing.gatewayApi({ gateway: { name: 'public' } }) }],
    ['its own Gateway', { routing: Routing.gatewayApi({ createGateway: { gatewayClassName: 'eg' } }) }],
  ])('puts the host everywhere a host name goes with %s', (_mode, props: Partial<McpRoutingProps>) => {
    const { objects } = synth({ publicUrl: 'https://Tools.Example.org', ...props });
    const hosts = objects.flatMap((o) => [
      ...(o.spec.rules ?? []).map((rule: Manifest) => rule.host).filter(Boolean),
      ...(o.spec.tls ?? []).flatMap((tls: Manifest) => tls.hosts),
      ...(o.spec.hostnames ?? []),
      ...(o.spec.dnsNames ?? []),
      ...(o.spec.listeners ?? []).map((listener: Manifest) => listener.hostname),
    ]);
    expect(hosts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(hosts)).toEqual(new Set(['tools.example.org']));
  });
});

describe('McpRouting output', () => {
  const validators = crdValidators();

  test.each([
    ['ingress-nginx with a ClusterIssuer', {}],
    ['ingress-nginx with ACME', { tls: Tls.acme({ email: 'ops@example.org' }) }],
    [
      'an ALB',
      { routing: Routing.ingress({ preset: IngressPreset.AWS_ALB }), tls: Tls.acmCertificate(ACM_ARN) },
    ],
    [
      'an existing Gateway',
      { routing: Routing.gatewayApi({ gateway: { name: 'public', namespace: 'gw' } }) },
    ],
    [
      'its own Gateway with ACME',
      {
        routing: Routing.gatewayApi({ createGateway: { gatewayClassName: 'eg' } }),
        tls: Tls.acme({ email: 'ops@example.org' }),
      },
    ],
  ])('matches the Kubernetes and CRD schemas with %s', (_mode, props: Partial<McpRoutingProps>) => {
    for (const object of synth(props, 'mcp').objects) {
      if (object.kind === 'Ingress') {
        expect(() => new Ingress(object).validate()).not.toThrow();
        continue;
      }
      const validate = validators.get(`${object.apiVersion} ${object.kind}`);
      if (!validate) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
      expect({ kind: object.kind, valid: validate(object), errors: validate.errors ?? null }).toEqual({
        kind: object.kind,
        valid: true,
        errors: null,
      });
    }
  });

  test('gives its children ids that do not depend on the input', () => {
    const ids = (props: Partial<McpRoutingProps>) =>
      synth(props).routing.node.children.map((child) => child.node.id);
    expect(ids({ tls: Tls.acme({ email: 'ops@example.org' }) })).toEqual(['Resource', 'ClusterIssuer']);
    expect(
      ids({ name: 'other', routing: Routing.gatewayApi({ createGateway: { gatewayClassName: 'eg' } }) }),
    ).toEqual(['Certificate', 'Gateway', 'Resource', 'HttpsRedirect']);
  });
});

describe('McpRouting validation', () => {
  const alb = Routing.ingress({ preset: IngressPreset.AWS_ALB });
  const acm = Tls.acmCertificate(ACM_ARN);

  test.each<[string, () => unknown, RegExp]>([
    [
      'a URL that does not parse',
      () => synth({ publicUrl: 'mcp.example.com' }),
      /`publicUrl` must be an absolute URL/,
    ],
    ['an http URL', () => synth({ publicUrl: 'http://mcp.example.com' }), /`publicUrl` must use https/],
    [
      'a URL with a path',
      () => synth({ publicUrl: 'https://mcp.example.com/mcp' }),
      /`publicUrl` must be an origin without path, query or fragment \(got "https:\/\/mcp.example.com\/mcp"\)/,
    ],
    [
      'a URL with a query',
      () => synth({ publicUrl: 'https://mcp.example.com/?a=1' }),
      /`publicUrl` must be an origin without path, query or fragment/,
    ],
    [
      'a URL with credentials',
      () => synth({ publicUrl: 'https://user:secret@mcp.example.com' }),
      /`publicUrl` must not contain credentials/,
    ],
    [
      'a URL with a port',
      () => synth({ publicUrl: 'https://mcp.example.com:8443' }),
      /`publicUrl` must not name a port/,
    ],
    [
      'an IPv4 host',
      () => synth({ publicUrl: 'https://203.0.113.7' }),
      /`publicUrl` must name a DNS host, not an IP/,
    ],
    [
      'an IPv6 host',
      () => synth({ publicUrl: 'https://[2001:db8::1]' }),
      /`publicUrl` must name a DNS host, not an IP/,
    ],
    [
      'a host with an underscore',
      () => synth({ publicUrl: 'https://mcp_server.example.com' }),
      /`publicUrl` must have a fully qualified DNS host name/,
    ],
    [
      'a single-label host',
      () => synth({ publicUrl: 'https://localhost' }),
      /`publicUrl` must have a fully qualified DNS host name/,
    ],
    ['a wildcard host', () => synth({ publicUrl: 'https://*.example.com' }), /fully qualified DNS host name/],
    ['an invalid name', () => synth({ name: 'MCP' }), /`name` must be a DNS label/],
    ['an invalid instance', () => synth({ instance: 'a b' }), /`instance` must be a label value/],
    [
      'an invalid Service name',
      () => synth({ serviceName: 'mcp_server' }),
      /`serviceName` must be the name of a Service/,
    ],
    ['port 0', () => synth({ servicePort: 0 }), /`servicePort` must be a port between 1 and 65535 \(got 0\)/],
    ['port 65536', () => synth({ servicePort: 65536 }), /`servicePort` must be a port between 1 and 65535/],
    [
      'a zero timeout',
      () => synth({ requestTimeoutSeconds: 0 }),
      /`requestTimeoutSeconds` must be a whole number of seconds between 30 and 86400 \(got 0\); keep it above/,
    ],
    [
      'a timeout that a quiet listen stream would outlive between two keep-alives',
      () => synth({ requestTimeoutSeconds: 29 }),
      /between 30 and 86400 \(got 29\);.*at least twice the server's 15-second SSE keep-alive interval/,
    ],
    [
      'a timeout of one keep-alive interval on an ALB',
      () => synth({ routing: alb, tls: acm, requestTimeoutSeconds: 15 }),
      /`requestTimeoutSeconds` must be a whole number of seconds between 30 and 86400 \(got 15\)/,
    ],
    [
      'a fractional timeout',
      () => synth({ requestTimeoutSeconds: 60.5 }),
      /`requestTimeoutSeconds` must be a whole number of seconds between 30 and 86400 \(got 60.5\)/,
    ],
    [
      'a timeout above a day',
      () => synth({ requestTimeoutSeconds: 86401 }),
      /between 30 and 86400 \(got 86401\)/,
    ],
    [
      'a timeout above the ALB limit',
      () => synth({ routing: alb, tls: acm, requestTimeoutSeconds: 4001 }),
      /`requestTimeoutSeconds` must be at most 4000 with IngressPreset.AWS_ALB \(got 4001\)/,
    ],
    [
      'a negative HSTS max-age',
      () => synth({ routing: alb, tls: acm, hstsMaxAgeSeconds: -1 }),
      /`hstsMaxAgeSeconds` must be a whole number of seconds, 0 or more \(got -1\)/,
    ],
    [
      'an HSTS max-age with ingress-nginx',
      () => synth({ hstsMaxAgeSeconds: 600 }),
      /`hstsMaxAgeSeconds` must be left unset with IngressPreset.NGINX.*hsts-max-age/,
    ],
    ['no paths', () => synth({ paths: [] }), /`paths` must name at least one path prefix/],
    ['a path with a regex', () => synth({ paths: ['/mcp.*'] }), /`paths` must be path prefixes/],
    ['a path with a trailing slash', () => synth({ paths: ['/mcp/'] }), /`paths` must be path prefixes/],
    ['a repeated path', () => synth({ paths: ['/mcp', '/mcp'] }), /`paths` must not repeat a path/],
    [
      'an invalid ACME email',
      () => Tls.acme({ email: 'ops.example.org' }),
      /Tls.acme: `email` must be an email address/,
    ],
    [
      'a plain-HTTP ACME server',
      () => Tls.acme({ email: 'ops@example.org', server: 'http://acme.example.org/directory' }),
      /Tls.acme: `server` must be an absolute https URL \(got "http:\/\/acme.example.org\/directory"\)/,
    ],
    [
      'an invalid ACME issuer name',
      () => Tls.acme({ email: 'ops@example.org', name: 'ACME' }),
      /Tls.acme: `name`/,
    ],
    [
      'an instance that cannot name the objects',
      () => synth({ instance: 'Prod' }),
      /`instance` must make `<instance>-server` a DNS label of at most 63 characters \(got "Prod"\); or set `name`/,
    ],
    [
      'an instance that cannot name the ACME issuer',
      () => synth({ name: 'mcp-server', instance: 'Prod', tls: Tls.acme({ email: 'ops@example.org' }) }),
      /`instance` must be lowercase letters, digits and hyphens to name the ACME ClusterIssuer/,
    ],
    ['an invalid ClusterIssuer name', () => Tls.clusterIssuer(''), /Tls.clusterIssuer: `name`/],
    [
      'an invalid ACM ARN',
      () => Tls.acmCertificate('arn:aws:iam::123456789012:server-certificate/mcp'),
      /Tls.acmCertificate: `certificateArn` must be an ACM certificate ARN/,
    ],
    [
      'an ACM certificate with ingress-nginx',
      () => synth({ tls: acm }),
      /`tls` must use cert-manager \(Tls.clusterIssuer or Tls.acme\) unless routing is IngressPreset.AWS_ALB/,
    ],
    [
      'an ACM certificate with a Gateway',
      () => synth({ routing: Routing.gatewayApi({ createGateway: { gatewayClassName: 'eg' } }), tls: acm }),
      /`tls` must use cert-manager/,
    ],
    [
      'an ALB without an ACM certificate',
      () => synth({ routing: alb }),
      /`tls` must be Tls.acmCertificate\(arn\) with IngressPreset.AWS_ALB \(got "Tls.clusterIssuer\('letsencrypt-prod'\)"\)/,
    ],
    [
      'TLS settings for an existing Gateway',
      () =>
        synth({ routing: Routing.gatewayApi({ gateway: { name: 'public' } }), tls: Tls.clusterIssuer('x') }),
      /`tls` must be left unset with Routing.gatewayApi\(\{ gateway \}\)/,
    ],
    [
      'a Gateway reference without a name',
      () => Routing.gatewayApi({ gateway: { name: '' } }),
      /Routing.gatewayApi: `gateway.name` must be the name of an existing Gateway/,
    ],
    [
      'an invalid Gateway namespace',
      () => Routing.gatewayApi({ gateway: { name: 'public', namespace: 'Gateways' } }),
      /`gateway.namespace` must be a namespace name/,
    ],
    [
      'an invalid listener name',
      () => Routing.gatewayApi({ gateway: { name: 'public', sectionName: 'HTTPS' } }),
      /`gateway.sectionName` must be a listener name \(got "HTTPS"\)/,
    ],
    [
      'the same listener for HTTPS and the redirect',
      () => Routing.gatewayApi({ gateway: { name: 'public', sectionName: 'web', httpSectionName: 'web' } }),
      /`gateway.httpSectionName` must differ from `gateway.sectionName`/,
    ],
    [
      'neither an existing nor a new Gateway',
      () => Routing.gatewayApi({}),
      /`gateway` must be set, or else `createGateway`, but not both \(got "neither"\)/,
    ],
    [
      'both an existing and a new Gateway',
      () => Routing.gatewayApi({ gateway: { name: 'public' }, createGateway: { gatewayClassName: 'eg' } }),
      /but not both \(got "both"\)/,
    ],
    [
      'a new Gateway without a class',
      () => Routing.gatewayApi({ createGateway: { gatewayClassName: '' } }),
      /`createGateway.gatewayClassName` must be the name of a GatewayClass/,
    ],
    [
      'an unknown ingress preset',
      () => Routing.ingress({ preset: 'traefik' as IngressPreset }),
      /Routing.ingress: `preset` must be IngressPreset.NGINX or IngressPreset.AWS_ALB \(got "traefik"\)/,
    ],
    [
      'an invalid ingress class',
      () => Routing.ingress({ className: 'Nginx' }),
      /Routing.ingress: `className`/,
    ],
    [
      'an invalid annotation key',
      () => Routing.ingress({ annotations: { 'bad key': 'x' } }),
      /`annotations` must have keys of the form "prefix\/name" \(got "bad key"\)/,
    ],
  ])('rejects %s', (_case, build, message) => {
    expect(build).toThrow(message);
  });

  test.each<[string, () => unknown, RegExp]>([
    [
      'McpRouting without publicUrl',
      () =>
        new McpRouting(new Chart(Testing.app(), 'test'), 'Routing', {
          serviceName: 'mcp-server',
        } as unknown as McpRoutingProps),
      /McpRouting: `publicUrl` is required: pass the public https origin/,
    ],
    [
      'McpRouting without serviceName',
      () =>
        new McpRouting(new Chart(Testing.app(), 'test'), 'Routing', {
          publicUrl: 'https://mcp.example.com',
        } as unknown as McpRoutingProps),
      /McpRouting: `serviceName` is required: pass the name of the server's Service/,
    ],
    [
      'Routing.gatewayApi without options',
      () => Routing.gatewayApi(undefined as unknown as GatewayApiRoutingOptions),
      /Routing.gatewayApi: `options` is required: pass \{ gateway: \{ name, namespace \} \} or \{ createGateway/,
    ],
    [
      'Tls.clusterIssuer without a name',
      () => Tls.clusterIssuer(undefined as unknown as string),
      /Tls.clusterIssuer: `name` is required: pass the name of an existing ClusterIssuer/,
    ],
    [
      'Tls.acme without an email',
      () => Tls.acme({} as unknown as AcmeIssuerOptions),
      /Tls.acme: `email` is required: pass the contact address of the ACME account/,
    ],
    [
      'Tls.acmCertificate without an ARN',
      () => Tls.acmCertificate(undefined as unknown as string),
      /Tls.acmCertificate: `certificateArn` is required: pass the ARN of a certificate in ACM/,
    ],
  ])('fails with a ValidationError for %s (plain JavaScript)', (_case, build, message) => {
    expect(build).toThrow(message);
  });
});
