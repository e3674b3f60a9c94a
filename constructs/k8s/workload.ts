import { IntOrString, KubeDeployment, KubeService, Quantity } from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { invalidProp } from '../errors';
import { parseImageReference } from '../spec';
import { commonLabels, selectorLabels } from './labels';

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables the construct sets itself; a caller overriding them would break probes or routing. */
const RESERVED_ENV = new Set(['PORT', 'BIND_ADDRESS', 'PUBLIC_URL']);

export interface McpServerWorkloadProps {
  /** Container image, pinned by tag or digest. */
  readonly image: string;
  /**
   * Number of pods.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Name of the Deployment and Service (and the `app.kubernetes.io/name` label).
   * @default 'mcp-server'
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
   * @default '128Mi'
   */
  readonly memoryRequest?: string;
  /**
   * Memory limit of the server container.
   * @default '512Mi'
   */
  readonly memoryLimit?: string;
}

/**
 * The MCP server's Deployment and Service, hardened to the Pod Security Standards "restricted"
 * profile: non-root, read-only root filesystem, no privilege escalation, no capabilities,
 * seccomp RuntimeDefault and no service-account token.
 */
export class McpServerWorkload extends Construct {
  /** The Deployment (the construct's `Resource`). */
  readonly deployment: KubeDeployment;
  /** The ClusterIP Service in front of the pods. */
  readonly service: KubeService;
  /** Name shared by the Deployment and the Service. */
  readonly name: string;
  /** Container port the server listens on. */
  readonly port: number;

  constructor(scope: Construct, id: string, props: McpServerWorkloadProps) {
    super(scope, id);
    const where = 'McpServerWorkload';
    const name = props.name ?? 'mcp-server';
    const replicas = props.replicas ?? 2;
    const port = props.port ?? 3000;
    const resources = {
      cpuRequest: props.cpuRequest ?? '100m',
      cpuLimit: props.cpuLimit ?? '1',
      memoryRequest: props.memoryRequest ?? '128Mi',
      memoryLimit: props.memoryLimit ?? '512Mi',
    };

    if (!DNS_LABEL.test(name) || name.length > 63) {
      throw invalidProp(where, 'name', 'be a DNS label of at most 63 characters', name);
    }
    const { tag, digest } = parseImageReference(props.image);
    if (tag === undefined && digest === undefined) {
      throw invalidProp(where, 'image', 'be pinned by a tag or digest', props.image, 'add ":<version>"');
    }
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw invalidProp(where, 'replicas', 'be a whole number of at least 1', replicas);
    }
    if (!Number.isInteger(port) || port < 1024 || port > 65535) {
      throw invalidProp(where, 'port', 'be an unprivileged port between 1024 and 65535', port);
    }
    for (const [prop, value] of Object.entries(resources)) {
      if (!QUANTITY.test(value)) {
        throw invalidProp(where, prop, 'be a Kubernetes quantity such as "250m" or "256Mi"', value);
      }
    }
    for (const key of Object.keys(props.env ?? {})) {
      if (!ENV_NAME.test(key)) throw invalidProp(where, `env.${key}`, 'be a valid variable name', key);
      if (RESERVED_ENV.has(key)) {
        throw invalidProp(where, `env.${key}`, 'not be set: the construct manages it', key, 'remove it');
      }
    }

    this.name = name;
    this.port = port;
    const instance = props.instance ?? name;
    const labels = commonLabels(name, instance);
    const selector = selectorLabels(name, instance);

    const env = [
      { name: 'BIND_ADDRESS', value: '0.0.0.0' },
      { name: 'PORT', value: String(port) },
      ...(props.publicUrl ? [{ name: 'PUBLIC_URL', value: props.publicUrl }] : []),
      ...Object.keys(props.env ?? {})
        .sort()
        .map((key) => ({ name: key, value: props.env?.[key] ?? '' })),
    ];

    this.deployment = new KubeDeployment(this, 'Resource', {
      metadata: { name, labels },
      spec: {
        replicas,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: IntOrString.fromNumber(0), maxSurge: IntOrString.fromNumber(1) },
        },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 10001,
              runAsGroup: 10001,
              fsGroup: 10001,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'server',
                image: props.image,
                imagePullPolicy: digest ? 'IfNotPresent' : 'Always',
                args: ['serve'],
                ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
                env,
                resources: {
                  requests: {
                    cpu: Quantity.fromString(resources.cpuRequest),
                    memory: Quantity.fromString(resources.memoryRequest),
                  },
                  limits: {
                    cpu: Quantity.fromString(resources.cpuLimit),
                    memory: Quantity.fromString(resources.memoryLimit),
                  },
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
                securityContext: {
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ['ALL'] },
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [
              { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: Quantity.fromString('64Mi') } },
            ],
          },
        },
      },
    });

    this.service = new KubeService(this, 'Service', {
      metadata: { name, labels },
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: 'http', port: 80, targetPort: IntOrString.fromString('http'), protocol: 'TCP' }],
      },
    });
  }
}
