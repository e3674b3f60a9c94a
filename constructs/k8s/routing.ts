import { SSE_KEEPALIVE_INTERVAL_SECONDS } from '@mcpenv/contract';
import { Chart, JsonPatch } from 'cdk8s';
import { KubeIngress } from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { invalidProp, missingProp } from '../errors';
import {
  acmCertificateArn,
  check,
  email,
  httpsOrigin,
  httpsUrl,
  LABEL_KEY,
  LABEL_VALUE,
  requireProps,
} from '../validators';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
} from './imports/certificates-cert-manager.io';
import {
  ClusterIssuer,
  type ClusterIssuerSpecAcmeSolversHttp01,
} from './imports/cluster-issuers-cert-manager.io';
import {
  Gateway,
  GatewaySpecListenersAllowedRoutesNamespacesFrom,
  GatewaySpecListenersTlsMode,
} from './imports/gateways-gateway.networking.k8s.io';
import {
  HttpRoute,
  type HttpRouteSpecParentRefs,
  type HttpRouteSpecRulesFilters,
  HttpRouteSpecRulesFiltersRequestRedirectScheme,
  HttpRouteSpecRulesFiltersRequestRedirectStatusCode,
  HttpRouteSpecRulesFiltersType,
  HttpRouteSpecRulesMatchesPathType,
} from './imports/http-routes-gateway.networking.k8s.io';
import { commonLabels } from './labels';
import {
  checkServerName,
  componentName,
  DEFAULT_INSTANCE,
  DNS_LABEL,
  DNS_NAME as DNS_SUBDOMAIN,
} from './names';

/** The characters ingress-nginx's strict path validation accepts for `Prefix` paths. */
const PATH_PREFIX = /^\/[A-Za-z0-9._~/-]*$/;

/** The ClusterIssuer `McpRouting` asks cert-manager for when no `tls` is given. */
export const DEFAULT_CLUSTER_ISSUER = 'letsencrypt-prod';
/** The longest idle timeout an AWS Application Load Balancer accepts. */
export const ALB_MAX_IDLE_TIMEOUT_SECONDS = 4000;
/**
 * The shortest `requestTimeoutSeconds`: twice the server's SSE keep-alive interval, so that a quiet
 * `subscriptions/listen` stream survives one late keep-alive at every idle or read timeout.
 */
export const MIN_REQUEST_TIMEOUT_SECONDS = 2 * SSE_KEEPALIVE_INTERVAL_SECONDS;
/** The longest `requestTimeoutSeconds`: a day; a stream open longer is better reconnected. */
export const MAX_REQUEST_TIMEOUT_SECONDS = 86400;
/** A TLS 1.3 + 1.2 policy restricted to forward-secret AEAD ciphers. */
export const ALB_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06';
/** What MCP clients need: the endpoint and its RFC 9728 protected-resource metadata. */
export const DEFAULT_PUBLIC_PATHS: readonly string[] = ['/mcp', '/.well-known/oauth-protected-resource'];
/**
 * The request body limit at ingress-nginx: above the server's own default (`MAX_BODY_BYTES`,
 * 1 MiB), so that oversize bodies get the server's JSON-RPC error rather than nginx's HTML.
 */
const NGINX_PROXY_BODY_SIZE = '2m';
const HTTP_LISTENER = 'http';
const HTTPS_LISTENER = 'https';
const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** Which ingress controller an Ingress is written for; each gets its own annotations. */
export enum IngressPreset {
  /**
   * ingress-nginx (kubernetes/ingress-nginx); TLS from cert-manager. The controller drops request
   * headers whose names hold `_` unless its ConfigMap sets `enable-underscores-in-headers: "true"`
   * (a cluster-wide setting no Ingress can make): needed when a tool mirrors an argument into an
   * `Mcp-Param-{Name}` header with an underscore in its Name.
   */
  NGINX = 'nginx',
  /** AWS Load Balancer Controller: one internet-facing ALB; TLS from ACM. */
  AWS_ALB = 'aws-alb',
}

export interface IngressRoutingOptions {
  /**
   * Which controller the Ingress is written for.
   * @default IngressPreset.NGINX
   */
  readonly preset?: IngressPreset;
  /**
   * `spec.ingressClassName`.
   * @default - 'nginx' for IngressPreset.NGINX, 'alb' for IngressPreset.AWS_ALB
   */
  readonly className?: string;
  /**
   * Extra annotations; where a key is also set by the preset, this value wins.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A Gateway someone else runs, with an HTTPS listener the route attaches to. */
export interface GatewayReference {
  /** Name of the Gateway. */
  readonly name: string;
  /**
   * Namespace of the Gateway; its listeners must allow routes from this namespace.
   * @default - the route's own namespace
   */
  readonly namespace?: string;
  /**
   * Name of the Gateway's HTTPS listener (which holds the certificate for the host).
   * @default 'https'
   */
  readonly sectionName?: string;
  /**
   * Name of the Gateway's port-80 listener, where a route redirecting the host to https attaches.
   * @default 'http'
   */
  readonly httpSectionName?: string;
}

/** A Gateway that `McpRouting` creates, with one HTTP and one HTTPS listener for the host. */
export interface NewGatewayOptions {
  /** The GatewayClass of an installed Gateway API implementation (e.g. 'eg' for Envoy Gateway). */
  readonly gatewayClassName: string;
}

/** Exactly one of `gateway` and `createGateway`. */
export interface GatewayApiRoutingOptions {
  /**
   * Attach to an existing Gateway.
   * @default - none: `createGateway` must be set
   */
  readonly gateway?: GatewayReference;
  /**
   * Create a Gateway for this server.
   * @default - none: `gateway` must be set
   */
  readonly createGateway?: NewGatewayOptions;
}

/** How traffic reaches the Service: a Kubernetes Ingress or the Gateway API. */
export class Routing {
  /** A networking.k8s.io/v1 Ingress for the host, annotated for the chosen controller. */
  static ingress(options: IngressRoutingOptions = {}): Routing {
    const where = 'Routing.ingress';
    const preset = options.preset ?? IngressPreset.NGINX;
    if (!Object.values(IngressPreset).includes(preset)) {
      throw invalidProp(where, 'preset', 'be IngressPreset.NGINX or IngressPreset.AWS_ALB', preset);
    }
    const className = options.className ?? (preset === IngressPreset.AWS_ALB ? 'alb' : 'nginx');
    if (!DNS_SUBDOMAIN.test(className) || className.length > 253) {
      throw invalidProp(where, 'className', 'be the name of an IngressClass', className);
    }
    for (const key of Object.keys(options.annotations ?? {})) {
      if (!LABEL_KEY.test(key)) {
        throw invalidProp(where, 'annotations', 'have keys of the form "prefix/name"', key);
      }
    }
    return new Routing({ preset, className, annotations: { ...options.annotations } }, undefined);
  }

  /**
   * An HTTPRoute on an existing Gateway (`gateway`) or on a Gateway created here (`createGateway`).
   * How a Gateway treats header names with `_` is its implementation's setting (Envoy Gateway
   * rejects such requests unless a ClientTrafficPolicy sets `headers.withUnderscoresAction: Allow`).
   */
  static gatewayApi(options: GatewayApiRoutingOptions): Routing {
    const where = 'Routing.gatewayApi';
    if (options === undefined || options === null) {
      throw missingProp(
        where,
        'options',
        'pass { gateway: { name, namespace } } or { createGateway: { gatewayClassName } }',
      );
    }
    const { gateway, createGateway } = options;
    if ((gateway === undefined) === (createGateway === undefined)) {
      throw invalidProp(
        where,
        'gateway',
        'be set, or else `createGateway`, but not both',
        gateway === undefined ? 'neither' : 'both',
      );
    }
    if (gateway) {
      if (!gateway.name || !DNS_SUBDOMAIN.test(gateway.name)) {
        throw invalidProp(where, 'gateway.name', 'be the name of an existing Gateway', gateway.name);
      }
      if (gateway.namespace !== undefined && !DNS_LABEL.test(gateway.namespace)) {
        throw invalidProp(where, 'gateway.namespace', 'be a namespace name', gateway.namespace);
      }
      const sectionName = gateway.sectionName ?? HTTPS_LISTENER;
      const httpSectionName = gateway.httpSectionName ?? HTTP_LISTENER;
      for (const [prop, value] of [
        ['gateway.sectionName', sectionName],
        ['gateway.httpSectionName', httpSectionName],
      ]) {
        if (!DNS_SUBDOMAIN.test(value)) throw invalidProp(where, prop, 'be a listener name', value);
      }
      if (sectionName === httpSectionName) {
        throw invalidProp(
          where,
          'gateway.httpSectionName',
          'differ from `gateway.sectionName`',
          httpSectionName,
          'the redirect to https must not share the HTTPS listener',
        );
      }
      return new Routing(undefined, {
        existing: { name: gateway.name, namespace: gateway.namespace, sectionName, httpSectionName },
      });
    }
    const className = createGateway?.gatewayClassName ?? '';
    if (!DNS_SUBDOMAIN.test(className)) {
      throw invalidProp(where, 'createGateway.gatewayClassName', 'be the name of a GatewayClass', className);
    }
    return new Routing(undefined, { create: { gatewayClassName: className } });
  }

  private constructor(
    /** Set when routing through an Ingress. */
    readonly ingress:
      | {
          readonly preset: IngressPreset;
          readonly className: string;
          readonly annotations: Readonly<Record<string, string>>;
        }
      | undefined,
    /** Set when routing through the Gateway API. */
    readonly gatewayApi:
      | {
          readonly existing?: Required<Omit<GatewayReference, 'namespace'>> & { readonly namespace?: string };
          readonly create?: NewGatewayOptions;
        }
      | undefined,
  ) {}
}

export interface AcmeIssuerOptions {
  /** Contact address of the ACME account (expiry and incident notices). */
  readonly email: string;
  /**
   * ACME directory URL.
   * @default Tls.LETS_ENCRYPT_PRODUCTION
   */
  readonly server?: string;
  /**
   * Name of the ClusterIssuer (cluster-scoped: unique per cluster).
   * @default - 'mcpenv-acme-<instance>'
   */
  readonly name?: string;
}

/** Where the certificate for the public host comes from. */
export class Tls {
  /** Let's Encrypt's production directory. */
  static readonly LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
  /** Let's Encrypt's staging directory: untrusted certificates, generous rate limits. */
  static readonly LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

  /** cert-manager issues the certificate from an existing ClusterIssuer. */
  static clusterIssuer(name: string): Tls {
    if (name === undefined || name === null) {
      throw missingProp('Tls.clusterIssuer', 'name', 'pass the name of an existing ClusterIssuer');
    }
    if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
      throw invalidProp('Tls.clusterIssuer', 'name', 'be the name of a ClusterIssuer', name);
    }
    return new Tls({ clusterIssuer: name }, `Tls.clusterIssuer('${name}')`);
  }

  /**
   * cert-manager issues the certificate from a ClusterIssuer created here: an ACME account with
   * an HTTP-01 solver that answers through the same Ingress class or Gateway as the server.
   */
  static acme(options: AcmeIssuerOptions): Tls {
    const where = 'Tls.acme';
    requireProps(where, options, { email: 'pass the contact address of the ACME account' });
    check(where, 'email', options.email, email);
    const server = options.server ?? Tls.LETS_ENCRYPT_PRODUCTION;
    check(where, 'server', server, httpsUrl);
    if (options.name !== undefined && (!DNS_SUBDOMAIN.test(options.name) || options.name.length > 253)) {
      throw invalidProp(where, 'name', 'be a lowercase DNS name for the ClusterIssuer', options.name);
    }
    return new Tls(
      {
        acme: { email: options.email, server, ...(options.name !== undefined ? { name: options.name } : {}) },
      },
      `Tls.acme(${options.email})`,
    );
  }

  /** The AWS ALB serves a certificate from AWS Certificate Manager (IngressPreset.AWS_ALB only). */
  static acmCertificate(certificateArn: string): Tls {
    if (certificateArn === undefined || certificateArn === null) {
      throw missingProp('Tls.acmCertificate', 'certificateArn', 'pass the ARN of a certificate in ACM');
    }
    check('Tls.acmCertificate', 'certificateArn', certificateArn, acmCertificateArn);
    return new Tls({ acmCertificateArn: certificateArn }, `Tls.acmCertificate(${certificateArn})`);
  }

  private constructor(
    /** Exactly one of the three is set. */
    readonly source: {
      readonly clusterIssuer?: string;
      readonly acme?: Required<Omit<AcmeIssuerOptions, 'name'>> & { readonly name?: string };
      readonly acmCertificateArn?: string;
    },
    private readonly description: string,
  ) {}

  /** How the choice was written, for messages. */
  toString(): string {
    return this.description;
  }
}

export interface McpRoutingProps {
  /**
   * The server's public HTTPS origin, such as 'https://mcp.example.com'. Its host name is the
   * Ingress/HTTPRoute host and the certificate's DNS name; the MCP endpoint is `<publicUrl>/mcp`.
   */
  readonly publicUrl: string;
  /** Name of the server's Service (in the same namespace). */
  readonly serviceName: string;
  /**
   * Port of the Service.
   * @default 80
   */
  readonly servicePort?: number;
  /**
   * How traffic reaches the Service.
   * @default Routing.ingress()
   */
  readonly routing?: Routing;
  /**
   * Where the certificate comes from. Not allowed with `Routing.gatewayApi({ gateway })`: the
   * existing Gateway's HTTPS listener holds the certificate.
   * @default - Tls.clusterIssuer('letsencrypt-prod'); required with IngressPreset.AWS_ALB
   */
  readonly tls?: Tls;
  /**
   * How long a response stream may stay open (the idle/read timeout at ingress-nginx and the ALB,
   * the whole-request timeout on HTTPRoutes): `subscriptions/listen` streams, and tool calls that
   * stream their result. Keep it above the longest tool call. At least 30 (twice the server's
   * 15-second SSE keep-alive interval), at most 86400, and at most 4000 on an ALB.
   * @default 3600
   */
  readonly requestTimeoutSeconds?: number;
  /**
   * `max-age` of the Strict-Transport-Security header; 0 sends none. With IngressPreset.NGINX
   * leave it unset: the controller sets HSTS for all its TLS hosts from its ConfigMap.
   * @default 31536000
   */
  readonly hstsMaxAgeSeconds?: number;
  /**
   * Path prefixes routed to the server; the controller answers 404 for everything else, which
   * keeps `/metrics` and `/readyz` inside the cluster.
   * @default ['/mcp', '/.well-known/oauth-protected-resource']
   */
  readonly paths?: readonly string[];
  /**
   * Name of the Ingress, HTTPRoute, Gateway and Certificate (and the `app.kubernetes.io/name`
   * label); the TLS Secret is `<name>-tls`.
   * @default - `<instance>-server`, or 'mcp-server' without an `instance`
   */
  readonly name?: string;
  /**
   * Value of the `app.kubernetes.io/instance` label, usually the environment name.
   * @default - the same as `name`
   */
  readonly instance?: string;
}

/**
 * Publishes the MCP server's Service on its public HTTPS URL: TLS at the edge, plain HTTP
 * redirected to HTTPS, HSTS, and timeouts long enough for streamed responses.
 */
export class McpRouting extends Construct {
  /** Name shared by the objects created here. */
  readonly name: string;
  /** The public origin, normalized (lowercase host, no trailing slash). */
  readonly publicUrl: string;
  /** The public host name. */
  readonly host: string;
  /** Stream/request timeout applied at the edge. */
  readonly requestTimeoutSeconds: number;
  /** Secret holding the certificate; undefined when an ALB (ACM) or an existing Gateway serves it. */
  readonly tlsSecretName?: string;
  /** Name of the ClusterIssuer cert-manager uses; undefined when cert-manager is not involved. */
  readonly clusterIssuerName?: string;
  /** The Ingress (the construct's `Resource`), with Routing.ingress(). */
  readonly ingress?: KubeIngress;
  /** The HTTPRoute to the Service (the construct's `Resource`), with Routing.gatewayApi(). */
  readonly httpRoute?: HttpRoute;
  /** The HTTPRoute that redirects plain HTTP to https, with Routing.gatewayApi(). */
  readonly httpsRedirectRoute?: HttpRoute;
  /** The Gateway, with Routing.gatewayApi({ createGateway }). */
  readonly gateway?: Gateway;
  /** The cert-manager Certificate, with Routing.gatewayApi({ createGateway }). */
  readonly certificate?: Certificate;
  /** The ACME ClusterIssuer, with Tls.acme(). */
  readonly clusterIssuer?: ClusterIssuer;

  constructor(scope: Construct, id: string, props: McpRoutingProps) {
    super(scope, id);
    const where = 'McpRouting';
    requireProps(where, props, {
      publicUrl: 'pass the public https origin, such as "https://mcp.example.com"',
      serviceName: "pass the name of the server's Service",
    });
    const name = props.name ?? componentName(props.instance ?? DEFAULT_INSTANCE, 'server');
    const instance = props.instance ?? name;
    const servicePort = props.servicePort ?? 80;
    const requestTimeoutSeconds = props.requestTimeoutSeconds ?? 3600;
    const routing = props.routing ?? Routing.ingress();
    const paths = props.paths ?? DEFAULT_PUBLIC_PATHS;
    const ingress = routing.ingress;
    const alb = ingress?.preset === IngressPreset.AWS_ALB;
    const nginx = ingress?.preset === IngressPreset.NGINX;
    const existingGateway = routing.gatewayApi?.existing;

    if (!LABEL_VALUE.test(instance)) {
      throw invalidProp(where, 'instance', 'be a label value of at most 63 characters', instance);
    }
    checkServerName(where, name, props);
    const url = parsePublicUrl(where, props.publicUrl);
    if (!DNS_LABEL.test(props.serviceName) || props.serviceName.length > 63) {
      throw invalidProp(where, 'serviceName', 'be the name of a Service', props.serviceName);
    }
    if (!Number.isInteger(servicePort) || servicePort < 1 || servicePort > 65535) {
      throw invalidProp(where, 'servicePort', 'be a port between 1 and 65535', servicePort);
    }
    if (
      !Number.isInteger(requestTimeoutSeconds) ||
      requestTimeoutSeconds < MIN_REQUEST_TIMEOUT_SECONDS ||
      requestTimeoutSeconds > MAX_REQUEST_TIMEOUT_SECONDS
    ) {
      throw invalidProp(
        where,
        'requestTimeoutSeconds',
        `be a whole number of seconds between ${MIN_REQUEST_TIMEOUT_SECONDS} and ${MAX_REQUEST_TIMEOUT_SECONDS}`,
        requestTimeoutSeconds,
        `keep it above the longest tool call, and at least twice the server's ${SSE_KEEPALIVE_INTERVAL_SECONDS}-second ` +
          'SSE keep-alive interval so quiet listen streams stay open',
      );
    }
    if (alb && requestTimeoutSeconds > ALB_MAX_IDLE_TIMEOUT_SECONDS) {
      throw invalidProp(
        where,
        'requestTimeoutSeconds',
        `be at most ${ALB_MAX_IDLE_TIMEOUT_SECONDS} with IngressPreset.AWS_ALB`,
        requestTimeoutSeconds,
        `the ALB idle timeout cannot exceed ${ALB_MAX_IDLE_TIMEOUT_SECONDS} seconds`,
      );
    }
    if (props.hstsMaxAgeSeconds !== undefined) {
      if (!Number.isInteger(props.hstsMaxAgeSeconds) || props.hstsMaxAgeSeconds < 0) {
        throw invalidProp(
          where,
          'hstsMaxAgeSeconds',
          'be a whole number of seconds, 0 or more',
          props.hstsMaxAgeSeconds,
          '0 sends no Strict-Transport-Security header',
        );
      }
      if (nginx) {
        throw invalidProp(
          where,
          'hstsMaxAgeSeconds',
          'be left unset with IngressPreset.NGINX',
          props.hstsMaxAgeSeconds,
          'ingress-nginx sets HSTS for every TLS host from its ConfigMap (hsts, hsts-max-age)',
        );
      }
    }
    const hstsMaxAgeSeconds = props.hstsMaxAgeSeconds ?? 31536000;
    if (paths.length === 0) {
      throw invalidProp(where, 'paths', 'name at least one path prefix', paths);
    }
    for (const path of paths) {
      if (!PATH_PREFIX.test(path) || (path.length > 1 && path.endsWith('/'))) {
        throw invalidProp(where, 'paths', 'be path prefixes such as "/mcp" (no trailing slash)', path);
      }
    }
    if (new Set(paths).size !== paths.length) {
      throw invalidProp(where, 'paths', 'not repeat a path', paths);
    }

    if (existingGateway && props.tls) {
      throw invalidProp(
        where,
        'tls',
        'be left unset with Routing.gatewayApi({ gateway })',
        String(props.tls),
        "the existing Gateway's HTTPS listener holds the certificate",
      );
    }
    const tls = existingGateway ? undefined : (props.tls ?? Tls.clusterIssuer(DEFAULT_CLUSTER_ISSUER));
    if (alb && !tls?.source.acmCertificateArn) {
      throw invalidProp(
        where,
        'tls',
        'be Tls.acmCertificate(arn) with IngressPreset.AWS_ALB',
        String(tls),
        'an ALB serves only certificates from AWS Certificate Manager',
      );
    }
    if (!alb && tls?.source.acmCertificateArn) {
      throw invalidProp(
        where,
        'tls',
        'use cert-manager (Tls.clusterIssuer or Tls.acme) unless routing is IngressPreset.AWS_ALB',
        String(tls),
        'only an ALB can serve an ACM certificate',
      );
    }
    const acme = tls?.source.acme;
    const clusterIssuerName = acme ? (acme.name ?? `mcpenv-acme-${instance}`) : tls?.source.clusterIssuer;
    if (acme && clusterIssuerName && !DNS_SUBDOMAIN.test(clusterIssuerName)) {
      throw invalidProp(
        where,
        'instance',
        'be lowercase letters, digits and hyphens to name the ACME ClusterIssuer',
        instance,
        'or name the issuer with Tls.acme({ name })',
      );
    }

    this.name = name;
    this.publicUrl = url.origin;
    this.host = url.hostname;
    this.requestTimeoutSeconds = requestTimeoutSeconds;
    this.clusterIssuerName = clusterIssuerName;
    this.tlsSecretName = clusterIssuerName ? `${name}-tls` : undefined;
    const labels = commonLabels(name, instance);
    const host = this.host;
    const hsts = hstsMaxAgeSeconds > 0 ? `max-age=${hstsMaxAgeSeconds}` : undefined;

    if (ingress) {
      const presetAnnotations = alb
        ? albAnnotations({ requestTimeoutSeconds, hsts, certificateArn: tls?.source.acmCertificateArn ?? '' })
        : nginxAnnotations({ requestTimeoutSeconds, clusterIssuerName });
      this.ingress = new KubeIngress(this, 'Resource', {
        metadata: { name, labels, annotations: { ...presetAnnotations, ...ingress.annotations } },
        spec: {
          ingressClassName: ingress.className,
          tls: [{ hosts: [host], ...(this.tlsSecretName ? { secretName: this.tlsSecretName } : {}) }],
          rules: [
            {
              host,
              http: {
                paths: paths.map((path) => ({
                  path,
                  pathType: 'Prefix',
                  backend: { service: { name: props.serviceName, port: { number: servicePort } } },
                })),
              },
            },
          ],
        },
      });
    } else {
      const parent: HttpRouteSpecParentRefs = existingGateway
        ? {
            group: GATEWAY_GROUP,
            kind: 'Gateway',
            name: existingGateway.name,
            ...(existingGateway.namespace ? { namespace: existingGateway.namespace } : {}),
          }
        : { group: GATEWAY_GROUP, kind: 'Gateway', name };
      const httpsListener = existingGateway?.sectionName ?? HTTPS_LISTENER;
      const httpListener = existingGateway?.httpSectionName ?? HTTP_LISTENER;
      const gatewayClassName = routing.gatewayApi?.create?.gatewayClassName;

      if (gatewayClassName && this.tlsSecretName && clusterIssuerName) {
        this.certificate = new Certificate(this, 'Certificate', {
          metadata: { name, labels },
          spec: {
            secretName: this.tlsSecretName,
            dnsNames: [host],
            issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: clusterIssuerName },
            privateKey: {
              algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA,
              size: 256,
              rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
            },
          },
        });
        const sameNamespace = { namespaces: { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME } };
        this.gateway = new Gateway(this, 'Gateway', {
          metadata: { name, labels },
          spec: {
            gatewayClassName,
            listeners: [
              {
                name: HTTP_LISTENER,
                protocol: 'HTTP',
                port: 80,
                hostname: host,
                allowedRoutes: sameNamespace,
              },
              {
                name: HTTPS_LISTENER,
                protocol: 'HTTPS',
                port: 443,
                hostname: host,
                tls: {
                  mode: GatewaySpecListenersTlsMode.TERMINATE,
                  certificateRefs: [{ group: '', kind: 'Secret', name: this.tlsSecretName }],
                },
                allowedRoutes: sameNamespace,
              },
            ],
          },
        });
      }

      const hstsFilter: HttpRouteSpecRulesFilters[] = hsts
        ? [
            {
              type: HttpRouteSpecRulesFiltersType.RESPONSE_HEADER_MODIFIER,
              responseHeaderModifier: { set: [{ name: 'Strict-Transport-Security', value: hsts }] },
            },
          ]
        : [];
      this.httpRoute = new HttpRoute(this, 'Resource', {
        metadata: { name, labels },
        spec: {
          parentRefs: [{ ...parent, sectionName: httpsListener }],
          hostnames: [host],
          rules: [
            {
              matches: paths.map((path) => ({
                path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: path },
              })),
              ...(hstsFilter.length > 0 ? { filters: hstsFilter } : {}),
              backendRefs: [{ name: props.serviceName, port: servicePort }],
              // The whole request, and the one attempt at the backend within it: a listen stream
              // is closed after this long (clients reconnect), never for being quiet between
              // keep-alives. Without `backendRequest` some implementations keep a short default.
              timeouts: { request: `${requestTimeoutSeconds}s`, backendRequest: `${requestTimeoutSeconds}s` },
            },
          ],
        },
      });
      this.httpsRedirectRoute = new HttpRoute(this, 'HttpsRedirect', {
        metadata: { name: `${name}-https-redirect`, labels },
        spec: {
          parentRefs: [{ ...parent, sectionName: httpListener }],
          hostnames: [host],
          rules: [
            {
              filters: [
                {
                  type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
                  requestRedirect: {
                    scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS,
                    statusCode: HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301,
                  },
                },
              ],
            },
          ],
        },
      });
    }

    if (acme && clusterIssuerName) {
      const http01: ClusterIssuerSpecAcmeSolversHttp01 = ingress
        ? { ingress: { ingressClassName: ingress.className, serviceType: 'ClusterIP' } }
        : {
            gatewayHttpRoute: {
              parentRefs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name, sectionName: HTTP_LISTENER }],
              serviceType: 'ClusterIP',
            },
          };
      this.clusterIssuer = new ClusterIssuer(this, 'ClusterIssuer', {
        metadata: { name: clusterIssuerName, labels },
        spec: {
          acme: {
            server: acme.server,
            email: acme.email,
            privateKeySecretRef: { name: `${clusterIssuerName}-account-key` },
            solvers: [{ http01 }],
          },
        },
      });
      // Cluster-scoped: the chart's namespace must not leak into its metadata.
      if (Chart.of(this).namespace) this.clusterIssuer.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
  }
}

/** Validates the public URL and returns it parsed (host lowercased, IDNs in punycode). */
function parsePublicUrl(where: string, value: string): URL {
  check(where, 'publicUrl', value, httpsOrigin);
  return new URL(value);
}

function nginxAnnotations(options: {
  requestTimeoutSeconds: number;
  clusterIssuerName: string | undefined;
}): Record<string, string> {
  // Read and send timeouts are idle times between two reads or writes, so the server's SSE
  // keep-alives hold a quiet stream open; the request timeout only bounds how long it may be quiet.
  const timeout = String(options.requestTimeoutSeconds);
  return {
    ...(options.clusterIssuerName ? { 'cert-manager.io/cluster-issuer': options.clusterIssuerName } : {}),
    'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
    'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
    // Streamed responses (SSE) must reach the client event by event, and request bodies go
    // straight through instead of being spooled to the controller's disk.
    'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
    'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
    'nginx.ingress.kubernetes.io/proxy-read-timeout': timeout,
    'nginx.ingress.kubernetes.io/proxy-send-timeout': timeout,
    'nginx.ingress.kubernetes.io/proxy-body-size': NGINX_PROXY_BODY_SIZE,
  };
}

function albAnnotations(options: {
  requestTimeoutSeconds: number;
  hsts: string | undefined;
  certificateArn: string;
}): Record<string, string> {
  return {
    'alb.ingress.kubernetes.io/scheme': 'internet-facing',
    'alb.ingress.kubernetes.io/target-type': 'ip',
    'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP":80},{"HTTPS":443}]',
    'alb.ingress.kubernetes.io/ssl-redirect': '443',
    'alb.ingress.kubernetes.io/ssl-policy': ALB_SSL_POLICY,
    'alb.ingress.kubernetes.io/certificate-arn': options.certificateArn,
    'alb.ingress.kubernetes.io/backend-protocol': 'HTTP',
    'alb.ingress.kubernetes.io/healthcheck-path': '/healthz',
    // The idle timeout outlasts the server's SSE keep-alive interval (the constructor checks), so
    // only a stream that stays quiet that long is closed. Header fields that are not
    // [-A-Za-z0-9] are dropped (AWS's hardening against request smuggling, Security Hub ELB.4):
    // Mcp-Method, Mcp-Name, MCP-Protocol-Version and the reference server's tools pass it; an
    // org's own tool must name its `x-mcp-header` arguments with letters, digits and `-` (README).
    'alb.ingress.kubernetes.io/load-balancer-attributes':
      `idle_timeout.timeout_seconds=${options.requestTimeoutSeconds},` +
      'routing.http.drop_invalid_header_fields.enabled=true',
    ...(options.hsts
      ? {
          'alb.ingress.kubernetes.io/listener-attributes.HTTPS-443': `routing.http.response.strict_transport_security.header_value=${options.hsts}`,
        }
      : {}),
  };
}
