import type { NetworkPolicyPeer } from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { type PropOrigins, reportedAs } from '../errors';
import { claimInstance } from './collisions';
import type { PostgresBackup } from './backup';
import { Cache, Database } from './data';
import { ALERT_SETTINGS, type AlertThresholdProps } from '../monitoring/alerts';
import { resolveSlo, type SloProps } from '../monitoring/slo';
import { McpMonitoring } from './monitoring';
import { McpNetworkPolicies, namespaceNamed } from './network-policies';
import type { ContainerResources } from './pod';
import { McpProbe, type McpProbeOptions } from './probe';
import { McpRouting, Routing, type Tls } from './routing';
import { checkServerTracing, type OtlpCollector, otlpCollector, type TracingProps } from './tracing';
import { McpServerWorkload } from './workload';
import { checkInstance, DEFAULT_INSTANCE } from './names';
import {
  check,
  dnsLabel,
  httpsOrigin,
  httpsUrl,
  jwtClaimName,
  pinnedImage,
  requireProps,
} from '../validators';

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
   * Service level objectives over 30 days (availability, and latency within a histogram bucket
   * bound): recorded error ratios and budget left, dashboard rows, and page and ticket
   * burn-rate alerts.
   * @default - no SLOs
   */
  readonly slo?: SloProps;
  /**
   * Longest tool call or quiet `subscriptions/listen` stream the routing must keep open, in
   * seconds; at least 30, twice the server's SSE keep-alive interval (`McpRouting`).
   * @default 3600
   */
  readonly requestTimeoutSeconds?: number;
  /**
   * Export the server's traces to an OpenTelemetry collector in the cluster over OTLP/HTTP: the
   * `OTEL_*` variables on the server, and an egress rule to the collector's namespace and port.
   * @default - no tracing
   */
  readonly tracing?: TracingProps;
  /**
   * Run a synthetic probe (`McpProbe`) against the public URL, with the alerts and dashboard
   * panels that watch it. Give it an API key Secret: the reference server requires a key.
   * @default - no probe, and no probe alerts or panels
   */
  readonly probe?: McpProbeOptions;
  /**
   * Server container resources.
   * @default - McpServerWorkload's defaults
   */
  readonly resources?: ContainerResources;
}

const WHERE = 'McpEnvironment';

/**
 * Checks what the children do not see as given: the props this construct reads or renames.
 * Returns where the trace collector runs, when tracing is on.
 */
function validateProps(props: McpEnvironmentProps): OtlpCollector | undefined {
  requireProps(WHERE, props, {
    image: 'pass a container image pinned by tag or digest, such as "ghcr.io/org/server:1.2.3"',
    publicUrl: 'pass the public https origin, such as "https://mcp.example.com"',
  });
  check(WHERE, 'image', props.image, pinnedImage);
  check(WHERE, 'publicUrl', props.publicUrl, httpsOrigin);
  for (const prop of ['instance', 'ingressNamespace', 'monitoringNamespace'] as const) {
    if (props[prop] !== undefined) check(WHERE, prop, props[prop], dnsLabel());
  }
  if (props.oauth !== undefined) {
    check(WHERE, 'oauth.issuer', props.oauth.issuer, httpsUrl);
    check(WHERE, 'oauth.jwksUrl', props.oauth.jwksUrl, httpsUrl);
    if (props.oauth.tenantClaim !== undefined) {
      check(WHERE, 'oauth.tenantClaim', props.oauth.tenantClaim, jwtClaimName);
    }
  }
  resolveSlo(WHERE, props.slo);
  if (props.tracing === undefined) return undefined;
  checkServerTracing(WHERE, 'tracing', props.tracing);
  return otlpCollector(WHERE, 'tracing', props.tracing);
}

/** The children's props that come from this construct's props, by the children's names. */
const RESOURCES = ['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit'] as const;
const CHILD_PROPS: PropOrigins = {
  McpServerWorkload: {
    props: {
      instance: 'instance',
      image: 'image',
      publicUrl: 'publicUrl',
      replicas: 'replicas',
      maxReplicas: 'maxReplicas',
      tracing: 'tracing',
      ...Object.fromEntries(RESOURCES.map((prop) => [prop, `resources.${prop}`])),
    },
  },
  McpRouting: {
    props: {
      instance: 'instance',
      publicUrl: 'publicUrl',
      routing: 'routing',
      tls: 'tls',
      requestTimeoutSeconds: 'requestTimeoutSeconds',
    },
  },
  McpNetworkPolicies: {
    props: {
      httpsEgressCidrs: 'oauthEgressCidrs',
      otlpCollectorNamespace: 'tracing.collectorNamespace',
      otlpCollectorPort: 'tracing.collectorPort',
    },
  },
  McpProbe: {
    prefix: 'probe.',
    props: { publicUrl: 'publicUrl', instance: 'instance', monitoringLabels: 'monitoringLabels' },
  },
  ...Object.fromEntries(
    ['McpMonitoring', 'McpAlertRules', 'McpServiceMonitor', 'McpDashboard'].map((construct) => [
      construct,
      {
        props: {
          instance: 'instance',
          labels: 'monitoringLabels',
          sidecarLabels: 'dashboardLabels',
          runbookBaseUrl: 'runbookBaseUrl',
          slo: 'slo',
          ...Object.fromEntries(Object.keys(ALERT_SETTINGS).map((prop) => [prop, `alerts.${prop}`])),
        },
      },
    ]),
  ),
};

/** Builds a child construct; its prop errors name this construct's props, which its caller wrote. */
function child<P, C>(
  type: new (scope: Construct, id: string, props: P) => C,
  scope: Construct,
  id: string,
  props: P,
): C {
  return reportedAs(WHERE, CHILD_PROPS, () => new type(scope, id, props));
}

/**
 * A whole MCP environment on Kubernetes: the server workload, its Postgres and Redis, routing
 * with TLS, NetworkPolicies and the monitoring objects, and optionally trace export and a
 * synthetic probe, from one set of props. Every object is
 * named after the `instance`, so environments with different instances share a namespace; a
 * second environment with the same instance in a namespace, or any other object of the app with
 * the same kind, namespace and name as one of its objects, is an error.
 */
export class McpEnvironment extends Construct {
  readonly server: McpServerWorkload;
  readonly routing: McpRouting;
  readonly networkPolicies: McpNetworkPolicies;
  readonly monitoring: McpMonitoring;
  /** The synthetic probe, when `probe` is set. */
  readonly probe?: McpProbe;
  /** The in-cluster Postgres's backups, when its `backup` is set. */
  readonly postgresBackup?: PostgresBackup;

  constructor(scope: Construct, id: string, props: McpEnvironmentProps) {
    super(scope, id);
    const collector = validateProps(props);
    const instance = props.instance ?? DEFAULT_INSTANCE;
    checkInstance('McpEnvironment', instance);
    claimInstance(this, instance);

    const database = props.database ?? Database.inCluster();
    const cache = props.cache ?? Cache.inCluster();
    const dataStores = [database.bind(this, { instance }), cache.bind(this, { instance })];
    this.postgresBackup = dataStores[0]?.backup;

    this.server = child(McpServerWorkload, this, 'Server', {
      image: props.image,
      instance,
      publicUrl: new URL(props.publicUrl).origin,
      ...(props.replicas === undefined ? {} : { replicas: props.replicas }),
      ...(props.maxReplicas === undefined ? {} : { maxReplicas: props.maxReplicas }),
      ...(props.resources ?? {}),
      ...(props.tracing !== undefined
        ? {
            tracing: {
              otlpEndpoint: props.tracing.otlpEndpoint,
              ...(props.tracing.samplingRatio !== undefined
                ? { samplingRatio: props.tracing.samplingRatio }
                : {}),
              ...(props.tracing.serviceName !== undefined ? { serviceName: props.tracing.serviceName } : {}),
            },
          }
        : {}),
      env: {
        // Idle keep-alive above the routing's stream timeout: the proxy closes idle connections first.
        KEEPALIVE_TIMEOUT_SECONDS: String(Math.max(65, (props.requestTimeoutSeconds ?? 3600) + 5)),
        ...(props.oauth !== undefined
          ? {
              OAUTH_ISSUER: props.oauth.issuer,
              OAUTH_JWKS_URL: props.oauth.jwksUrl,
              OAUTH_TENANT_CLAIM: props.oauth.tenantClaim ?? 'tenant_id',
            }
          : {}),
      },
      referencedEnv: dataStores.flatMap((store) => store.env),
      secretFiles: dataStores.flatMap((store) => store.secretFiles ?? []),
      ...(database.caBundleConfigMap ? { caBundleConfigMap: database.caBundleConfigMap } : {}),
    });

    this.routing = child(McpRouting, this, 'Routing', {
      publicUrl: props.publicUrl,
      name: this.server.name,
      serviceName: this.server.name,
      instance,
      routing: props.routing ?? Routing.ingress(),
      ...(props.tls !== undefined ? { tls: props.tls } : {}),
      ...(props.requestTimeoutSeconds === undefined
        ? {}
        : { requestTimeoutSeconds: props.requestTimeoutSeconds }),
    });

    const ingressFrom: NetworkPolicyPeer[] = [namespaceNamed(props.ingressNamespace ?? 'ingress-nginx')];
    const metricsFrom: NetworkPolicyPeer[] = [namespaceNamed(props.monitoringNamespace ?? 'monitoring')];
    this.networkPolicies = child(McpNetworkPolicies, this, 'NetworkPolicies', {
      instance,
      serverPodSelector: this.server.podSelector,
      serverPort: this.server.port,
      dataStores,
      ingressFrom,
      metricsFrom,
      allowHttpsEgress: props.oauth !== undefined,
      ...(props.oauthEgressCidrs !== undefined ? { httpsEgressCidrs: props.oauthEgressCidrs } : {}),
      ...(collector !== undefined
        ? { otlpCollectorNamespace: collector.namespace, otlpCollectorPort: collector.port }
        : {}),
    });

    if (props.probe !== undefined) {
      this.probe = child(McpProbe, this, 'Probe', {
        ...props.probe,
        image: props.probe.image ?? props.image,
        publicUrl: new URL(props.publicUrl).origin,
        instance,
        metricsFrom,
        ...(props.monitoringLabels !== undefined ? { monitoringLabels: props.monitoringLabels } : {}),
      });
    }

    this.monitoring = child(McpMonitoring, this, 'Monitoring', {
      name: this.server.name,
      instance,
      ...(props.monitoringLabels !== undefined ? { labels: props.monitoringLabels } : {}),
      ...(props.dashboardLabels !== undefined ? { sidecarLabels: props.dashboardLabels } : {}),
      ...(props.runbookBaseUrl !== undefined ? { runbookBaseUrl: props.runbookBaseUrl } : {}),
      ...props.alerts,
      ...(props.slo !== undefined ? { slo: props.slo } : {}),
      ...(this.probe !== undefined ? { probeSelector: this.probe.metricsSelector } : {}),
      ...(this.postgresBackup !== undefined ? { backupCronJob: this.postgresBackup.alertTarget } : {}),
      memoryLimitBytes: this.server.memoryLimitBytes,
      cpuLimitCores: this.server.cpuLimitCores,
    });
  }
}
