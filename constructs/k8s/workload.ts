import {
  type EnvVar,
  IntOrString,
  KubeDeployment,
  KubeHorizontalPodAutoscalerV2,
  KubePodDisruptionBudget,
  type KubeService,
  type KubeServiceAccount,
  type Volume,
  type VolumeMount,
} from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { invalidProp } from '../errors';
import {
  check,
  dnsSubdomain,
  httpsOrigin,
  pinnedImage,
  requireProps,
  secretKey,
  wholeNumber,
} from '../validators';
import { commonLabels, selectorLabels } from './labels';
import { checkServerName, componentName, DEFAULT_INSTANCE, DNS_NAME } from './names';
import {
  imagePullPolicy,
  namedPortService,
  quantityToBytes,
  quantityToCores,
  resolveResources,
  resourceRequirements,
  restrictedContainerSecurity,
  restrictedPodSettings,
  TMP_MOUNT,
  TMP_VOLUME,
  tokenlessServiceAccount,
} from './pod';
import { checkServerTracing, type ServerTracingProps, tracingEnv } from './tracing';

export { quantityToBytes, quantityToCores } from './pod';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables the construct sets itself; a caller overriding them would break probes or routing. */
const RESERVED_ENV = new Set([
  'PORT',
  'BIND_ADDRESS',
  'PUBLIC_URL',
  'SHUTDOWN_DELAY_SECONDS',
  'SHUTDOWN_DRAIN_SECONDS',
]);
/** Names whose literal value would be a secret in the manifest. */
const SECRET_LOOKING = /(PASSWORD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
/** A URL with a password in it (`postgres://user:pw@host`, `redis://:pw@host`). */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]*:[^/?#@\s]*@/i;

/** The URL with its credentials masked, for an error message. */
function maskCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/i, '$1***@');
}

/** Where the server's containers find the files of `secretFiles`, one per variable. */
export const SECRET_FILES_DIR = '/run/secrets/mcpenv';

/**
 * Seconds between the pod's deletion and SIGTERM (the preStop hook), while its endpoint is removed
 * from kube-proxy on every node and from the gateway: usually a second or two, a few more on a
 * busy cluster; closing the listener before that resets connections still routed to it.
 */
const PRE_STOP_SLEEP_SECONDS = 10;
/**
 * Seconds the server keeps accepting after SIGTERM, each response ending its connection, so that
 * clients holding a connection through kube-proxy move to another pod; after the preStop hook a
 * short delay will do (the server also waits until connections stop coming).
 */
const SHUTDOWN_DELAY_SECONDS = 2;
/** Seconds in-flight requests get after that. */
const SHUTDOWN_DRAIN_SECONDS = 25;
/** Seconds, after the drain, to close the pools and exit before the kubelet kills the process. */
const SHUTDOWN_MARGIN_SECONDS = 10;

/** A Secret key the server reads from a file, with `<variable>_FILE` naming the file. */
export interface SecretFile {
  /** The variable the file stands in for, such as `PGPASSWORD`; the container gets `PGPASSWORD_FILE`. */
  readonly variable: string;
  /** Name of the existing Secret. */
  readonly secretName: string;
  /** The Secret's key holding the value. */
  readonly key: string;
}

export interface McpServerWorkloadProps {
  /** Container image, pinned by tag or digest. */
  readonly image: string;
  /**
   * Number of pods; with autoscaling, the minimum.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Largest number of pods the HorizontalPodAutoscaler may run; equal to `replicas` turns
   * autoscaling off (no HPA is created).
   * @default - three times `replicas`
   */
  readonly maxReplicas?: number;
  /**
   * Average CPU utilization (percent of the request) the autoscaler aims for.
   * @default 70
   */
  readonly targetCpuUtilizationPercent?: number;
  /**
   * Pods that must stay up during voluntary disruptions (node drains). Must be below `replicas`,
   * or drains could never finish.
   * @default - at most one pod unavailable at a time
   */
  readonly minAvailable?: number;
  /**
   * Name of the Deployment, Service, ServiceAccount, autoscaler and disruption budget (and the
   * `app.kubernetes.io/name` label).
   * @default - `<instance>-server`, or 'mcp-server' without an `instance`
   */
  readonly name?: string;
  /**
   * Value of the `app.kubernetes.io/instance` label, usually the environment name.
   * @default - the same as `name`
   */
  readonly instance?: string;
  /**
   * Port the server listens on inside the pod; the Service exposes it as port 80 named `http`.
   * @default 3000
   */
  readonly port?: number;
  /**
   * Public HTTPS origin of the server; the server derives its Host/Origin allow-list and its
   * OAuth resource identifier from it.
   * @default - not set: the server only answers requests addressed to its pod or Service
   */
  readonly publicUrl?: string;
  /**
   * Extra plain (non-secret) environment variables for the server container.
   * @default - none
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Environment variables by reference (`valueFrom` a Secret or ConfigMap key), e.g. the data
   * tier's connection settings. A literal `value` is refused for secret-looking names.
   * @default - none
   */
  readonly referencedEnv?: readonly EnvVar[];
  /**
   * Secret values the server reads from files rather than from its environment: each Secret key
   * is mounted read-only under `/run/secrets/mcpenv` (mode 0440, readable through the pod's
   * fsGroup) and `<variable>_FILE` names its file, e.g. the data tier's passwords.
   * @default - none
   */
  readonly secretFiles?: readonly SecretFile[];
  /**
   * Run the server's `migrate` command in an init container, so that no pod serves before the
   * schema is current (concurrent runs queue on an advisory lock).
   * @default true
   */
  readonly runMigrations?: boolean;
  /**
   * ConfigMap with a CA bundle under `ca.pem`, trusted for outgoing TLS (e.g. Amazon RDS's).
   * @default - the system trust store only
   */
  readonly caBundleConfigMap?: string;
  /**
   * Export traces to an OpenTelemetry collector over OTLP/HTTP: sets the SDK's `OTEL_*`
   * variables, with the pod's name and namespace (from the downward API) and the image's tag as
   * resource attributes.
   * @default - no tracing: no `OTEL_*` variable is set
   */
  readonly tracing?: ServerTracingProps;
  /**
   * CPU request of the server container.
   * @default '100m'
   */
  readonly cpuRequest?: string;
  /**
   * CPU limit of the server container.
   * @default '1'
   */
  readonly cpuLimit?: string;
  /**
   * Memory request of the server container.
   * @default '256Mi'
   */
  readonly memoryRequest?: string;
  /**
   * Memory limit of the server container.
   * @default '512Mi'
   */
  readonly memoryLimit?: string;
}

/** The server container's memory limit when `memoryLimit` is not set. */
export const DEFAULT_MEMORY_LIMIT = '512Mi';

/**
 * Checks `secretFiles`: valid names, each variable once, and neither it nor its `_FILE` also set
 * through `env` or `referencedEnv` (the server refuses a variable together with its `_FILE`).
 */
function checkSecretFiles(where: string, props: McpServerWorkloadProps): void {
  const elsewhere = new Set([
    ...Object.keys(props.env ?? {}),
    ...(props.referencedEnv ?? []).map((variable) => variable.name),
  ]);
  const seen = new Set<string>();
  for (const file of props.secretFiles ?? []) {
    const at = `secretFiles.${file.variable}`;
    if (!ENV_NAME.test(file.variable)) {
      throw invalidProp(where, 'secretFiles', 'contain valid variable names', file.variable);
    }
    if (seen.has(file.variable)) {
      throw invalidProp(where, at, 'appear once', file.variable, 'remove the duplicate');
    }
    seen.add(file.variable);
    if (RESERVED_ENV.has(file.variable)) {
      throw invalidProp(where, at, 'not be set: the construct manages it', file.variable, 'remove it');
    }
    for (const name of [file.variable, `${file.variable}_FILE`]) {
      if (elsewhere.has(name)) {
        throw invalidProp(
          where,
          at,
          `not also be set as ${name} in env or referencedEnv`,
          name,
          'set the variable one way only',
        );
      }
    }
    check(where, `${at}.secretName`, file.secretName, dnsSubdomain);
    check(where, `${at}.key`, file.key, secretKey);
  }
}

/**
 * Checks that neither `env` nor `referencedEnv` sets a variable `tracing` sets: Kubernetes would
 * keep the later of the two, silently.
 */
function checkTracingVariables(
  where: string,
  props: McpServerWorkloadProps,
  tracing: readonly EnvVar[],
): void {
  const managed = new Set(tracing.map((variable) => variable.name));
  const given = [
    ...Object.keys(props.env ?? {}).map((name) => ['env', name] as const),
    ...(props.referencedEnv ?? []).map((variable) => ['referencedEnv', variable.name] as const),
  ];
  for (const [prop, name] of given) {
    if (managed.has(name)) {
      throw invalidProp(
        where,
        `${prop}.${name}`,
        'not be set together with `tracing`, which sets it',
        name,
        'remove it, or set it through `tracing`',
      );
    }
  }
}

/**
 * One read-only volume holding every secret file, named after its variable. Mode 0440: the files
 * belong to the pod's fsGroup, which is how the non-root server user reads them.
 */
function secretFilesVolume(files: readonly SecretFile[]): Volume {
  return {
    name: 'secrets',
    projected: {
      defaultMode: 0o440,
      sources: files.map((file) => ({
        secret: { name: file.secretName, items: [{ key: file.key, path: file.variable }] },
      })),
    },
  };
}

/**
 * The MCP server workload: Deployment, Service, ServiceAccount, HorizontalPodAutoscaler and
 * PodDisruptionBudget, hardened to the Pod Security Standards "restricted" profile (non-root,
 * read-only root filesystem, no privilege escalation, no capabilities, seccomp RuntimeDefault,
 * no service-account token), spread across zones and nodes, rolling without losing capacity,
 * with migrations in an init container. Configuration is plain env; secrets are files mounted
 * from Secrets.
 */
export class McpServerWorkload extends Construct {
  /** The Deployment (the construct's `Resource`). */
  readonly deployment: KubeDeployment;
  /** The ClusterIP Service in front of the pods. */
  readonly service: KubeService;
  readonly serviceAccount: KubeServiceAccount;
  /** The autoscaler, unless `maxReplicas` equals `replicas`. */
  readonly autoscaler?: KubeHorizontalPodAutoscalerV2;
  readonly disruptionBudget: KubePodDisruptionBudget;
  /** Name shared by the Deployment, Service and ServiceAccount. */
  readonly name: string;
  /** Container port the server listens on. */
  readonly port: number;
  /** Labels that select the server's pods (for NetworkPolicies and monitors). */
  readonly podSelector: Readonly<Record<string, string>>;
  /** Memory limit of the server container in bytes, for alerts. */
  readonly memoryLimitBytes: number;
  /** CPU limit of the server container in cores, for alerts. */
  readonly cpuLimitCores: number;

  constructor(scope: Construct, id: string, props: McpServerWorkloadProps) {
    super(scope, id);
    const where = 'McpServerWorkload';
    requireProps(where, props, {
      image: 'pass a container image pinned by tag or digest, such as "ghcr.io/org/server:1.2.3"',
    });
    const name = props.name ?? componentName(props.instance ?? DEFAULT_INSTANCE, 'server');
    const replicas = props.replicas ?? 2;
    const maxReplicas = props.maxReplicas ?? replicas * 3;
    const targetCpu = props.targetCpuUtilizationPercent ?? 70;
    const port = props.port ?? 3000;
    const runMigrations = props.runMigrations ?? true;

    checkServerName(where, name, props);
    check(where, 'image', props.image, pinnedImage);
    if (props.publicUrl !== undefined) check(where, 'publicUrl', props.publicUrl, httpsOrigin);
    check(where, 'replicas', replicas, wholeNumber(1));
    if (!Number.isInteger(maxReplicas) || maxReplicas < replicas) {
      throw invalidProp(
        where,
        'maxReplicas',
        `be a whole number of at least replicas (${replicas})`,
        maxReplicas,
      );
    }
    if (!Number.isInteger(targetCpu) || targetCpu < 10 || targetCpu > 100) {
      throw invalidProp(where, 'targetCpuUtilizationPercent', 'be a whole number from 10 to 100', targetCpu);
    }
    if (
      props.minAvailable !== undefined &&
      (!Number.isInteger(props.minAvailable) || props.minAvailable < 0)
    ) {
      throw invalidProp(where, 'minAvailable', 'be a whole number of at least 0', props.minAvailable);
    }
    if (props.minAvailable !== undefined && props.minAvailable >= replicas) {
      throw invalidProp(
        where,
        'minAvailable',
        `be below replicas (${replicas}), or node drains could never evict a pod`,
        props.minAvailable,
        'lower it or raise replicas',
      );
    }
    if (!Number.isInteger(port) || port < 1024 || port > 65535) {
      throw invalidProp(where, 'port', 'be an unprivileged port between 1024 and 65535', port);
    }
    const resources = resolveResources(where, props, {
      cpuRequest: '100m',
      cpuLimit: '1',
      memoryRequest: '256Mi',
      memoryLimit: DEFAULT_MEMORY_LIMIT,
    });
    for (const [key, value] of Object.entries(props.env ?? {})) {
      if (!ENV_NAME.test(key)) throw invalidProp(where, `env.${key}`, 'be a valid variable name', key);
      if (RESERVED_ENV.has(key)) {
        throw invalidProp(where, `env.${key}`, 'not be set: the construct manages it', key, 'remove it');
      }
      if (SECRET_LOOKING.test(key)) {
        throw invalidProp(
          where,
          `env.${key}`,
          'not carry a secret literally',
          key,
          'pass it in referencedEnv from a Secret',
        );
      }
      if (URL_WITH_PASSWORD.test(value)) {
        throw invalidProp(
          where,
          `env.${key}`,
          'not carry credentials in a URL',
          maskCredentials(value),
          "pass the URL in referencedEnv from a Secret, or the data tier's connection Secret",
        );
      }
    }
    for (const variable of props.referencedEnv ?? []) {
      if (!ENV_NAME.test(variable.name)) {
        throw invalidProp(where, 'referencedEnv', 'contain valid variable names', variable.name);
      }
      if (variable.value !== undefined && URL_WITH_PASSWORD.test(variable.value)) {
        throw invalidProp(
          where,
          `referencedEnv.${variable.name}`,
          'come from a Secret (valueFrom): the URL carries credentials',
          maskCredentials(variable.value),
        );
      }
      if (variable.value !== undefined && SECRET_LOOKING.test(variable.name)) {
        throw invalidProp(
          where,
          `referencedEnv.${variable.name}`,
          'come from a Secret (valueFrom), not a literal',
          variable.name,
        );
      }
    }
    checkSecretFiles(where, props);
    if (props.tracing !== undefined) checkServerTracing(where, 'tracing', props.tracing);
    const tracing =
      props.tracing !== undefined ? tracingEnv(props.tracing, { name, image: props.image }) : [];
    checkTracingVariables(where, props, tracing);
    if (props.caBundleConfigMap !== undefined && !DNS_NAME.test(props.caBundleConfigMap)) {
      throw invalidProp(where, 'caBundleConfigMap', 'be the name of a ConfigMap', props.caBundleConfigMap);
    }

    this.name = name;
    this.port = port;
    this.memoryLimitBytes = quantityToBytes(resources.memoryLimit);
    this.cpuLimitCores = quantityToCores(resources.cpuLimit);
    const instance = props.instance ?? name;
    const secretFiles = props.secretFiles ?? [];
    const labels = commonLabels(name, instance);
    const selector = selectorLabels(name, instance);
    this.podSelector = selector;

    const env: EnvVar[] = [
      { name: 'BIND_ADDRESS', value: '0.0.0.0' },
      { name: 'PORT', value: String(port) },
      { name: 'SHUTDOWN_DELAY_SECONDS', value: String(SHUTDOWN_DELAY_SECONDS) },
      { name: 'SHUTDOWN_DRAIN_SECONDS', value: String(SHUTDOWN_DRAIN_SECONDS) },
      ...(props.publicUrl !== undefined ? [{ name: 'PUBLIC_URL', value: props.publicUrl }] : []),
      ...(props.caBundleConfigMap ? [{ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/mcpenv/ca/ca.pem' }] : []),
      ...Object.keys(props.env ?? {})
        .sort()
        .map((key) => ({ name: key, value: props.env?.[key] ?? '' })),
      ...(props.referencedEnv ?? []),
      ...secretFiles.map((file) => ({
        name: `${file.variable}_FILE`,
        value: `${SECRET_FILES_DIR}/${file.variable}`,
      })),
      ...tracing,
    ];
    const volumeMounts: VolumeMount[] = [
      TMP_MOUNT,
      ...(props.caBundleConfigMap
        ? [{ name: 'ca-bundle', mountPath: '/etc/mcpenv/ca', readOnly: true }]
        : []),
      ...(secretFiles.length > 0 ? [{ name: 'secrets', mountPath: SECRET_FILES_DIR, readOnly: true }] : []),
    ];
    const volumes: Volume[] = [
      TMP_VOLUME,
      ...(props.caBundleConfigMap
        ? [{ name: 'ca-bundle', configMap: { name: props.caBundleConfigMap } }]
        : []),
      ...(secretFiles.length > 0 ? [secretFilesVolume(secretFiles)] : []),
    ];
    const securityContext = restrictedContainerSecurity();
    const containerResources = resourceRequirements(resources);
    const pullPolicy = imagePullPolicy(props.image);

    this.serviceAccount = tokenlessServiceAccount(this, name, labels);

    this.deployment = new KubeDeployment(this, 'Resource', {
      metadata: { name, labels },
      spec: {
        // With an autoscaler, leave the count to it: a replicas field would reset it on each apply.
        ...(maxReplicas > replicas ? {} : { replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: IntOrString.fromNumber(0), maxSurge: IntOrString.fromNumber(1) },
        },
        template: {
          metadata: { labels },
          spec: {
            ...restrictedPodSettings({ serviceAccountName: name }),
            // Counted from the pod's deletion, so the preStop hook's sleep is part of it.
            terminationGracePeriodSeconds:
              PRE_STOP_SLEEP_SECONDS +
              SHUTDOWN_DELAY_SECONDS +
              SHUTDOWN_DRAIN_SECONDS +
              SHUTDOWN_MARGIN_SECONDS,
            topologySpreadConstraints: [
              {
                topologyKey: 'topology.kubernetes.io/zone',
                maxSkew: 1,
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: selector },
                matchLabelKeys: ['pod-template-hash'],
              },
              {
                topologyKey: 'kubernetes.io/hostname',
                maxSkew: 1,
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: selector },
                matchLabelKeys: ['pod-template-hash'],
              },
            ],
            ...(runMigrations
              ? {
                  initContainers: [
                    {
                      name: 'migrate',
                      image: props.image,
                      imagePullPolicy: pullPolicy,
                      args: ['migrate'],
                      env,
                      resources: containerResources,
                      securityContext,
                      volumeMounts,
                    },
                  ],
                }
              : {}),
            containers: [
              {
                name: 'server',
                image: props.image,
                imagePullPolicy: pullPolicy,
                args: ['serve'],
                ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
                env,
                resources: containerResources,
                startupProbe: {
                  httpGet: { path: '/healthz', port: IntOrString.fromString('http') },
                  periodSeconds: 2,
                  failureThreshold: 30,
                },
                livenessProbe: {
                  httpGet: { path: '/healthz', port: IntOrString.fromString('http') },
                  periodSeconds: 10,
                  timeoutSeconds: 2,
                  failureThreshold: 3,
                },
                readinessProbe: {
                  httpGet: { path: '/readyz', port: IntOrString.fromString('http') },
                  periodSeconds: 5,
                  timeoutSeconds: 2,
                  failureThreshold: 2,
                },
                // `sleep` from the image (the reference image's Debian base has it): the hook's own
                // sleep action needs Kubernetes 1.30, and the 1.28 bindings do not carry it.
                lifecycle: { preStop: { exec: { command: ['sleep', String(PRE_STOP_SLEEP_SECONDS)] } } },
                securityContext,
                volumeMounts,
              },
            ],
            volumes,
          },
        },
      },
    });

    this.service = namedPortService(this, { name, labels, selector, portName: 'http', port: 80 });

    if (maxReplicas > replicas) {
      this.autoscaler = new KubeHorizontalPodAutoscalerV2(this, 'Autoscaler', {
        metadata: { name, labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: replicas,
          maxReplicas,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: targetCpu } },
            },
          ],
          behavior: {
            // Scale down slowly: MCP sessions are short, but load comes in bursts.
            scaleDown: {
              stabilizationWindowSeconds: 300,
              policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
            },
          },
        },
      });
    }

    this.disruptionBudget = new KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: { name, labels },
      spec: {
        selector: { matchLabels: selector },
        ...(props.minAvailable !== undefined
          ? { minAvailable: IntOrString.fromNumber(props.minAvailable) }
          : { maxUnavailable: IntOrString.fromNumber(1) }),
      },
    });
  }
}
