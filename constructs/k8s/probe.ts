import { Chart } from 'cdk8s';
import {
  IntOrString,
  KubeDeployment,
  KubeNetworkPolicy,
  type KubeService,
  type KubeServiceAccount,
  type NetworkPolicyPeer,
  type Volume,
  type VolumeMount,
} from 'cdk8s-plus-28/lib/imports/k8s';
import { PROBE_METRICS_PORT } from '@mcpenv/contract';
import { Construct } from 'constructs';
import { invalidProp, reportedAs } from '../errors';
import type { Selector } from '../monitoring/promql';
import {
  check,
  dnsSubdomain,
  httpsOrigin,
  mcpToolName,
  pinnedImage,
  requireProps,
  secretKey,
  wholeNumber,
} from '../validators';
import { commonLabels, selectorLabels } from './labels';
import { jobSelector, McpServiceMonitor } from './monitoring';
import { checkInstance, componentName, DEFAULT_INSTANCE } from './names';
import { dnsEgress, namespaceNamed } from './network-policies';
import {
  type ContainerResources,
  imagePullPolicy,
  namedPortService,
  resolveResources,
  resourceRequirements,
  restrictedContainerSecurity,
  restrictedPodSettings,
  TMP_MOUNT,
  TMP_VOLUME,
  tokenlessServiceAccount,
} from './pod';

/** Which MCP protocol generation the probe speaks (the `probe` command's `--protocol`). */
export enum ProbeProtocol {
  /** The newest revision the server offers, as a current client would. */
  AUTO = 'auto',
  /** MCP 2026-07-28: stateless requests. */
  MODERN = 'modern',
  /** The 2025 revisions: `initialize`, then a session. */
  LEGACY = 'legacy',
}

/** Where the probe container reads its API key (the `probe` command's `--api-key-file`). */
export const PROBE_API_KEY_FILE = '/run/secrets/mcpenv-probe/api-key';
const CA_BUNDLE_DIR = '/etc/mcpenv/ca';

/** What the probe does and with what; the environment supplies the rest. */
export interface McpProbeOptions {
  /**
   * Seconds between probe runs.
   * @default 30
   */
  readonly intervalSeconds?: number;
  /**
   * Seconds one run may take before it counts as failed; less than `intervalSeconds`.
   * @default 10
   */
  readonly timeoutSeconds?: number;
  /**
   * Name of an existing Secret holding the API key the probe authenticates with; it is mounted
   * read-only as a file, never put in the environment. Without it the probe runs keyless, which
   * suits only servers that ask for no key: the reference server requires one, so production
   * needs it (`mcpenv-server apikey create --tenant probe`, then
   * `kubectl create secret generic <name> --from-literal=api-key=...`).
   * @default - no key: the probe sends no Authorization header
   */
  readonly apiKeySecret?: string;
  /**
   * Key of `apiKeySecret` that holds the API key.
   * @default 'api-key'
   */
  readonly apiKeySecretKey?: string;
  /**
   * The tool to call on each run, after `tools/list`; it must be annotated read-only
   * (`readOnlyHint`), since the probe calls it over and over.
   * @default - the first read-only tool `tools/list` returns, with arguments made from its schema
   */
  readonly tool?: string;
  /**
   * Arguments of the tool call, a JSON object; keep secrets out of it (it is in the manifest).
   * @default - made from the tool's input schema (a valid value for each required property)
   */
  readonly toolArguments?: Readonly<Record<string, unknown>>;
  /**
   * The protocol generation the probe speaks.
   * @default ProbeProtocol.AUTO
   */
  readonly protocol?: ProbeProtocol;
  /**
   * Image holding the `probe` command (the server image's `mcpenv-server probe`), pinned by tag or
   * digest.
   * @default - the server's image
   */
  readonly image?: string;
  /**
   * ConfigMap with a CA bundle under `ca.pem` that the probe trusts for the public URL (a private
   * CA, or Let's Encrypt's staging roots).
   * @default - the system trust store only
   */
  readonly caBundleConfigMap?: string;
  /**
   * Probe container resources.
   * @default - 20m CPU requested, a 500m limit (throttling would show as latency in the step
   * durations); 96Mi memory requested, a 192Mi limit
   */
  readonly resources?: ContainerResources;
}

export interface McpProbeProps extends Omit<McpProbeOptions, 'image'> {
  /** Image holding the `probe` command, pinned by tag or digest: the server's. */
  readonly image: string;
  /** Public HTTPS origin of the server: the probe calls `<publicUrl>/mcp` as clients do. */
  readonly publicUrl: string;
  /**
   * The environment's instance: the objects are named `<instance>-probe`.
   * @default 'mcp'
   */
  readonly instance?: string;
  /**
   * Who may scrape the probe's metrics.
   * @default - pods in the namespace `monitoring`
   */
  readonly metricsFrom?: readonly NetworkPolicyPeer[];
  /**
   * Labels on the ServiceMonitor for the Prometheus's `serviceMonitorSelector`.
   * @default - none
   */
  readonly monitoringLabels?: Readonly<Record<string, string>>;
}

const WHERE = 'McpProbe';
/** A CPU limit well above the need, so that throttling never shows up in the measured step durations. */
const DEFAULT_RESOURCES = {
  cpuRequest: '20m',
  cpuLimit: '500m',
  memoryRequest: '96Mi',
  memoryLimit: '192Mi',
};

/** Checks the props that no builder below checks for itself. */
function validateProps(props: McpProbeProps, interval: number, timeout: number): void {
  requireProps(WHERE, props, {
    image: 'pass the server image, pinned by tag or digest, such as "ghcr.io/org/server:1.2.3"',
    publicUrl: 'pass the public https origin, such as "https://mcp.example.com"',
  });
  check(WHERE, 'image', props.image, pinnedImage);
  check(WHERE, 'publicUrl', props.publicUrl, httpsOrigin);
  check(WHERE, 'intervalSeconds', interval, wholeNumber(5, 3600));
  check(WHERE, 'timeoutSeconds', timeout, wholeNumber(1));
  if (timeout >= interval) {
    throw invalidProp(
      WHERE,
      'timeoutSeconds',
      `be less than intervalSeconds (${interval})`,
      timeout,
      'a run must end before the next one starts',
    );
  }
  if (props.apiKeySecret !== undefined) check(WHERE, 'apiKeySecret', props.apiKeySecret, dnsSubdomain);
  if (props.apiKeySecretKey !== undefined) {
    if (props.apiKeySecret === undefined) {
      throw invalidProp(WHERE, 'apiKeySecretKey', 'be set only with apiKeySecret', props.apiKeySecretKey);
    }
    check(WHERE, 'apiKeySecretKey', props.apiKeySecretKey, secretKey);
  }
  if (props.tool !== undefined) check(WHERE, 'tool', props.tool, mcpToolName);
  if (props.toolArguments !== undefined) {
    if (props.tool === undefined) {
      throw invalidProp(
        WHERE,
        'toolArguments',
        'be set only with tool',
        props.toolArguments,
        'name the tool',
      );
    }
    if (!isJsonObject(props.toolArguments)) {
      throw invalidProp(WHERE, 'toolArguments', 'be a JSON object (a mapping)', props.toolArguments);
    }
  }
  if (props.protocol !== undefined && !Object.values(ProbeProtocol).includes(props.protocol)) {
    throw invalidProp(
      WHERE,
      'protocol',
      `be one of ${Object.values(ProbeProtocol).join(', ')}`,
      props.protocol,
    );
  }
  if (props.caBundleConfigMap !== undefined) {
    check(WHERE, 'caBundleConfigMap', props.caBundleConfigMap, dnsSubdomain);
  }
}

/** A plain object whose values survive JSON (no functions, undefined, cycles, or non-finite numbers). */
function isJsonObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const seen = new Set<unknown>();
  const isJson = (node: unknown): boolean => {
    if (node === null || typeof node === 'string' || typeof node === 'boolean') return true;
    if (typeof node === 'number') return Number.isFinite(node);
    if (typeof node !== 'object' || seen.has(node)) return false;
    seen.add(node);
    const prototype = Object.getPrototypeOf(node);
    if (Array.isArray(node)) return node.every(isJson);
    return (prototype === Object.prototype || prototype === null) && Object.values(node).every(isJson);
  };
  return isJson(value);
}

/** The name of an environment's probe objects, which is also the Prometheus `job` of its metrics. */
export function probeName(instance: string): string {
  return componentName(instance, 'probe');
}

/**
 * A synthetic client of the environment: the server image's `probe` command, run every
 * `intervalSeconds` against the public URL (TLS, `initialize`, `tools/list`, optionally one
 * `tools/call`), serving the result as `mcp_probe_*` metrics that a ServiceMonitor scrapes, so
 * alerts see the server as its users do, through DNS, the load balancer, TLS and the routing.
 *
 * One replica, hardened like the server (Pod Security Standards "restricted", no service-account
 * token); its key, when it has one, a read-only file from a Secret. Its NetworkPolicy lets it
 * reach only the public URL's port (on any address: the name may resolve to a public or an
 * internal load balancer) and DNS, and admits only Prometheus to its metrics port.
 */
export class McpProbe extends Construct {
  /** The Deployment (the construct's `Resource`). */
  readonly deployment: KubeDeployment;
  /** The Service in front of the metrics port, which the ServiceMonitor selects. */
  readonly service: KubeService;
  readonly serviceAccount: KubeServiceAccount;
  readonly serviceMonitor: McpServiceMonitor;
  readonly networkPolicy: KubeNetworkPolicy;
  /** Name of every object, and the `job` of the probe's metrics. */
  readonly name: string;
  /** Target labels of the probe's metrics, for alerts and panels (`probeSelector`). */
  readonly metricsSelector: Selector;

  constructor(scope: Construct, id: string, props: McpProbeProps) {
    super(scope, id);
    const interval = props?.intervalSeconds ?? 30;
    const timeout = props?.timeoutSeconds ?? 10;
    validateProps(props, interval, timeout);
    const instance = props.instance ?? DEFAULT_INSTANCE;
    checkInstance(WHERE, instance);
    const resources = resolveResources(WHERE, props.resources ?? {}, DEFAULT_RESOURCES, 'resources.');

    const name = probeName(instance);
    const labels = commonLabels(name, instance);
    const selector = selectorLabels(name, instance);
    const publicUrl = new URL(props.publicUrl);
    this.name = name;
    this.metricsSelector = jobSelector(name, Chart.of(this).namespace);

    const args = [
      'probe',
      publicUrl.origin,
      '--serve-metrics',
      '--metrics-address',
      '0.0.0.0',
      '--metrics-port',
      String(PROBE_METRICS_PORT),
      '--interval-seconds',
      String(interval),
      '--timeout-seconds',
      String(timeout),
      '--protocol',
      props.protocol ?? ProbeProtocol.AUTO,
      ...(props.tool !== undefined ? ['--tool', props.tool] : []),
      ...(props.toolArguments !== undefined ? ['--tool-arguments', JSON.stringify(props.toolArguments)] : []),
      ...(props.apiKeySecret !== undefined ? ['--api-key-file', PROBE_API_KEY_FILE] : []),
      ...(props.caBundleConfigMap !== undefined ? ['--ca-file', `${CA_BUNDLE_DIR}/ca.pem`] : []),
    ];
    const keyDir = PROBE_API_KEY_FILE.slice(0, PROBE_API_KEY_FILE.lastIndexOf('/'));
    const keyFile = PROBE_API_KEY_FILE.slice(keyDir.length + 1);
    const volumeMounts: VolumeMount[] = [
      TMP_MOUNT,
      ...(props.apiKeySecret !== undefined ? [{ name: 'api-key', mountPath: keyDir, readOnly: true }] : []),
      ...(props.caBundleConfigMap !== undefined
        ? [{ name: 'ca-bundle', mountPath: CA_BUNDLE_DIR, readOnly: true }]
        : []),
    ];
    const volumes: Volume[] = [
      TMP_VOLUME,
      ...(props.apiKeySecret !== undefined
        ? [
            {
              name: 'api-key',
              // Mode 0440: the file belongs to the pod's fsGroup, through which the non-root user reads it.
              secret: {
                secretName: props.apiKeySecret,
                items: [{ key: props.apiKeySecretKey ?? 'api-key', path: keyFile }],
                defaultMode: 0o440,
              },
            },
          ]
        : []),
      ...(props.caBundleConfigMap !== undefined
        ? [{ name: 'ca-bundle', configMap: { name: props.caBundleConfigMap } }]
        : []),
    ];
    const health = {
      httpGet: { path: '/healthz', port: IntOrString.fromString('metrics') },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    };

    this.serviceAccount = tokenlessServiceAccount(this, name, labels);
    this.deployment = new KubeDeployment(this, 'Resource', {
      metadata: { name, labels },
      spec: {
        replicas: 1,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            ...restrictedPodSettings({ serviceAccountName: name }),
            containers: [
              {
                name: 'probe',
                image: props.image,
                imagePullPolicy: imagePullPolicy(props.image),
                args,
                ports: [{ name: 'metrics', containerPort: PROBE_METRICS_PORT, protocol: 'TCP' }],
                resources: resourceRequirements(resources),
                livenessProbe: health,
                readinessProbe: health,
                securityContext: restrictedContainerSecurity(),
                volumeMounts,
              },
            ],
            volumes,
          },
        },
      },
    });

    this.service = namedPortService(this, {
      name,
      labels,
      selector,
      portName: 'metrics',
      port: PROBE_METRICS_PORT,
    });

    this.serviceMonitor = reportedAs(
      WHERE,
      { McpServiceMonitor: { props: { labels: 'monitoringLabels' } } },
      () =>
        new McpServiceMonitor(this, 'ServiceMonitor', {
          name,
          instance,
          portName: 'metrics',
          ...(props.monitoringLabels !== undefined ? { labels: props.monitoringLabels } : {}),
        }),
    );

    const publicPort = Number(publicUrl.port || 443);
    this.networkPolicy = new KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [...(props.metricsFrom ?? [namespaceNamed('monitoring')])],
            ports: [{ protocol: 'TCP', port: IntOrString.fromNumber(PROBE_METRICS_PORT) }],
          },
        ],
        // No peers: the public name may resolve to a public or an internal load balancer, or be
        // answered inside the cluster by kube-proxy; the port is the whole restriction.
        egress: [{ ports: [{ protocol: 'TCP', port: IntOrString.fromNumber(publicPort) }] }, dnsEgress()],
      },
    });
  }
}
