import type { NetworkPolicyPeer } from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { invalidProp } from '../errors';
import { claimInstance } from './collisions';
import { Cache, Database } from './data';
import type { AlertThresholdProps } from '../monitoring/alerts';
import { McpMonitoring } from './monitoring';
import { McpNetworkPolicies, namespaceNamed } from './network-policies';
import { McpRouting, Routing, type Tls } from './routing';
import { McpServerWorkload } from './workload';
import { checkInstance, DEFAULT_INSTANCE, DNS_LABEL } from './names';

/** OAuth 2.1 authorization server whose JWTs the server accepts. */
export interface OAuthSettings {
  /** The issuer (`iss`). */
  readonly issuer: string;
  /** Its JWKS URL. */
  readonly jwksUrl: string;
  /**
   * JWT claim naming the tenant.
   * @default 'tenant_id'
   */
  readonly tenantClaim?: string;
}

export interface McpEnvironmentProps {
  /** Server image, pinned by tag or digest. */
  readonly image: string;
  /** Public HTTPS origin: host, certificate and the server's allow-list and OAuth audience. */
  readonly publicUrl: string;
  /**
   * Environment name: the `app.kubernetes.io/instance` label of every object, and the first part
   * of every object's name (`<instance>-server`, `<instance>-postgres`, `<instance>-redis`,
   * `<instance>-default-deny`, ...). A DNS label of at most 43 characters (`MAX_INSTANCE_LENGTH`);
   * unique among the environments of one namespace.
   * @default 'mcp'
   */
  readonly instance?: string;
  /**
   * Server pods (with autoscaling, the minimum).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Most server pods the autoscaler may run.
   * @default - three times `replicas`
   */
  readonly maxReplicas?: number;
  /**
   * Where Postgres runs.
   * @default Database.inCluster()
   */
  readonly database?: Database;
  /**
   * Where Redis runs.
   * @default Cache.inCluster()
   */
  readonly cache?: Cache;
  /**
   * How clients reach the server.
   * @default Routing.ingress()
   */
  readonly routing?: Routing;
  /**
   * Where the certificate comes from.
   * @default - McpRouting's default for the routing
   */
  readonly tls?: Tls;
  /**
   * OAuth issuer whose tokens the server accepts, besides API keys.
   * @default - API keys only, and no HTTPS egress from the server
   */
  readonly oauth?: OAuthSettings;
  /**
   * Where the server may open HTTPS connections when OAuth is on (the issuer's JWKS).
   * @default - public internet addresses on 443, never private ranges or the metadata API
   */
  readonly oauthEgressCidrs?: readonly string[];
  /**
   * Namespace of the ingress controller or gateway pods, admitted to the server.
   * @default 'ingress-nginx'
   */
  readonly ingressNamespace?: string;
  /**
   * Namespace of Prometheus, admitted to the metrics port.
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
  /**
   * Labels on the ServiceMonitor and PrometheusRule for the Prometheus's selectors, e.g.
   * `{ release: 'kube-prometheus-stack' }`.
   * @default - none
   */
  readonly monitoringLabels?: Readonly<Record<string, string>>;
  /**
   * Labels that make Grafana's sidecar load the dashboard ConfigMap.
   * @default { grafana_dashboard: '1' }
   */
  readonly dashboardLabels?: Readonly<Record<string, string>>;
  /**
   * Base URL of the runbooks linked from alerts.
   * @default - alerts carry no runbook link
   */
  readonly runbookBaseUrl?: string;
  /**
   * Alert thresholds and `for` durations; the memory and CPU limits come from the workload.
   * @default - the defaults of `AlertRulesProps`
   */
  readonly alerts?: AlertThresholdProps;
  /**
   * Longest tool call the routing must keep a stream open for, in seconds.
   * @default 3600
   */
  readonly requestTimeoutSeconds?: number;
  /**
   * Server container resources.
   * @default - McpServerWorkload's defaults
   */
  readonly resources?: {
    readonly cpuRequest?: string;
    readonly cpuLimit?: string;
    readonly memoryRequest?: string;
    readonly memoryLimit?: string;
  };
}

function checkUrl(prop: string, value: string) {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidProp('McpEnvironment', prop, 'be an absolute https URL', value);
  }
  if (url.protocol !== 'https:') throw invalidProp('McpEnvironment', prop, 'use https', value);
}

/**
 * A whole MCP environment on Kubernetes: the server workload, its Postgres and Redis, routing
 * with TLS, NetworkPolicies and the monitoring objects, from one set of props. Every object is
 * named after the `instance`, so environments with different instances share a namespace; a
 * second environment with the same instance in a namespace, or any other object of the app with
 * the same kind, namespace and name as one of its objects, is an error.
 */
export class McpEnvironment extends Construct {
  readonly server: McpServerWorkload;
  readonly routing: McpRouting;
  readonly networkPolicies: McpNetworkPolicies;
  readonly monitoring: McpMonitoring;

  constructor(scope: Construct, id: string, props: McpEnvironmentProps) {
    super(scope, id);
    const instance = props.instance ?? DEFAULT_INSTANCE;
    checkInstance('McpEnvironment', instance);
    for (const [prop, value] of [
      ['ingressNamespace', props.ingressNamespace ?? 'ingress-nginx'],
      ['monitoringNamespace', props.monitoringNamespace ?? 'monitoring'],
    ] as const) {
      if (!DNS_LABEL.test(value)) throw invalidProp('McpEnvironment', prop, 'be a DNS label', value);
    }
    if (props.oauth) {
      checkUrl('oauth.issuer', props.oauth.issuer);
      checkUrl('oauth.jwksUrl', props.oauth.jwksUrl);
    }
    claimInstance(this, instance);

    const database = props.database ?? Database.inCluster();
    const cache = props.cache ?? Cache.inCluster();
    const dataStores = [database.bind(this, { instance }), cache.bind(this, { instance })];

    this.server = new McpServerWorkload(this, 'Server', {
      image: props.image,
      instance,
      publicUrl: new URL(props.publicUrl).origin,
      ...(props.replicas === undefined ? {} : { replicas: props.replicas }),
      ...(props.maxReplicas === undefined ? {} : { maxReplicas: props.maxReplicas }),
      ...(props.resources ?? {}),
      env: {
        // Idle keep-alive above the routing's stream timeout: the proxy closes idle connections first.
        KEEPALIVE_TIMEOUT_SECONDS: String(Math.max(65, (props.requestTimeoutSeconds ?? 3600) + 5)),
        ...(props.oauth
          ? {
              OAUTH_ISSUER: props.oauth.issuer,
              OAUTH_JWKS_URL: props.oauth.jwksUrl,
              OAUTH_TENANT_CLAIM: props.oauth.tenantClaim ?? 'tenant_id',
            }
          : {}),
      },
      referencedEnv: dataStores.flatMap((store) => store.env),
      ...(database.caBundleConfigMap ? { caBundleConfigMap: database.caBundleConfigMap } : {}),
    });

    this.routing = new McpRouting(this, 'Routing', {
      publicUrl: props.publicUrl,
      name: this.server.name,
      serviceName: this.server.name,
      instance,
      routing: props.routing ?? Routing.ingress(),
      ...(props.tls ? { tls: props.tls } : {}),
      ...(props.requestTimeoutSeconds === undefined
        ? {}
        : { requestTimeoutSeconds: props.requestTimeoutSeconds }),
    });

    const ingressFrom: NetworkPolicyPeer[] = [namespaceNamed(props.ingressNamespace ?? 'ingress-nginx')];
    this.networkPolicies = new McpNetworkPolicies(this, 'NetworkPolicies', {
      instance,
      serverPodSelector: this.server.podSelector,
      serverPort: this.server.port,
      dataStores,
      ingressFrom,
      metricsFrom: [namespaceNamed(props.monitoringNamespace ?? 'monitoring')],
      allowHttpsEgress: props.oauth !== undefined,
      ...(props.oauthEgressCidrs ? { httpsEgressCidrs: props.oauthEgressCidrs } : {}),
    });

    this.monitoring = new McpMonitoring(this, 'Monitoring', {
      name: this.server.name,
      instance,
      ...(props.monitoringLabels ? { labels: props.monitoringLabels } : {}),
      ...(props.dashboardLabels ? { sidecarLabels: props.dashboardLabels } : {}),
      ...(props.runbookBaseUrl ? { runbookBaseUrl: props.runbookBaseUrl } : {}),
      ...props.alerts,
      memoryLimitBytes: this.server.memoryLimitBytes,
      cpuLimitCores: this.server.cpuLimitCores,
    });
  }
}
