/**
 * The hardening every pod that runs the server image shares (the server and the probe): the Pod
 * Security Standards "restricted" profile (non-root, read-only root filesystem, no privilege
 * escalation, no capabilities, seccomp RuntimeDefault), no service-account token, requests and
 * limits set. One definition, so the two workloads cannot drift apart.
 */
import {
  IntOrString,
  KubeService,
  KubeServiceAccount,
  Quantity,
  type ResourceRequirements,
  type SecurityContext,
  type Volume,
  type VolumeMount,
} from 'cdk8s-plus-28/lib/imports/k8s';
import type { Construct } from 'constructs';
import { invalidProp } from '../errors';
import { check, parseImageReference, quantity } from '../validators';

/** The user and group the reference image runs as (its Dockerfile's numeric `USER`). */
const IMAGE_USER = 10001;

/** Requests and limits of one container. */
export interface ContainerResources {
  /**
   * CPU request.
   * @default - the construct's default
   */
  readonly cpuRequest?: string;
  /**
   * CPU limit.
   * @default - the construct's default
   */
  readonly cpuLimit?: string;
  /**
   * Memory request.
   * @default - the construct's default
   */
  readonly memoryRequest?: string;
  /**
   * Memory limit.
   * @default - the construct's default
   */
  readonly memoryLimit?: string;
}

/** Parses a memory quantity into bytes, for limits that alerts compare against. */
export function quantityToBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$/.exec(quantity);
  if (!match) throw new Error(`not a quantity: ${quantity}`);
  const factors: Record<string, number> = {
    '': 1,
    m: 0.001,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  return Number(match[1]) * (factors[match[2] ?? ''] ?? 1);
}

/** Parses a CPU quantity into cores. */
export function quantityToCores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/**
 * Applies `defaults` to `given` and checks the result: quantities, and no request above its
 * limit. `prefix` is the props' path to the four settings (`''` or `'resources.'`).
 */
export function resolveResources(
  where: string,
  given: ContainerResources,
  defaults: Required<ContainerResources>,
  prefix = '',
): Required<ContainerResources> {
  const resources = {
    cpuRequest: given.cpuRequest ?? defaults.cpuRequest,
    cpuLimit: given.cpuLimit ?? defaults.cpuLimit,
    memoryRequest: given.memoryRequest ?? defaults.memoryRequest,
    memoryLimit: given.memoryLimit ?? defaults.memoryLimit,
  };
  for (const [prop, value] of Object.entries(resources)) check(where, `${prefix}${prop}`, value, quantity);
  const pairs = [
    ['memoryRequest', 'memoryLimit', quantityToBytes],
    ['cpuRequest', 'cpuLimit', quantityToCores],
  ] as const;
  for (const [request, limit, amount] of pairs) {
    if (amount(resources[request]) > amount(resources[limit])) {
      throw invalidProp(
        where,
        `${prefix}${request}`,
        `not exceed ${limit} (${resources[limit]})`,
        resources[request],
      );
    }
  }
  return resources;
}

/** A container's requests and limits. */
export function resourceRequirements(resources: Required<ContainerResources>): ResourceRequirements {
  return {
    requests: {
      cpu: Quantity.fromString(resources.cpuRequest),
      memory: Quantity.fromString(resources.memoryRequest),
    },
    limits: {
      cpu: Quantity.fromString(resources.cpuLimit),
      memory: Quantity.fromString(resources.memoryLimit),
    },
  };
}

/**
 * A container's security context under the restricted profile, with a read-only root filesystem;
 * with `user`, it also names the user and group (for images whose own user is not numeric).
 */
export function restrictedContainerSecurity(user?: number): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    ...(user !== undefined ? { runAsUser: user, runAsGroup: user } : {}),
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * The pod-level settings of a restricted pod: no service-account token, no Service links, and
 * the user, group and fsGroup (through which it reads Secret files of mode 0440); with
 * `serviceAccountName`, its own service account.
 */
export function restrictedPodSettings(options: {
  readonly serviceAccountName?: string;
  readonly user?: number;
}) {
  const user = options.user ?? IMAGE_USER;
  return {
    ...(options.serviceAccountName !== undefined ? { serviceAccountName: options.serviceAccountName } : {}),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: user,
      runAsGroup: user,
      fsGroup: user,
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/** A ClusterIP Service that exposes one named container port of the selected pods. */
export function namedPortService(
  scope: Construct,
  service: {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly selector: Readonly<Record<string, string>>;
    readonly portName: string;
    readonly port: number;
  },
): KubeService {
  return new KubeService(scope, 'Service', {
    metadata: { name: service.name, labels: { ...service.labels } },
    spec: {
      type: 'ClusterIP',
      selector: { ...service.selector },
      ports: [
        {
          name: service.portName,
          port: service.port,
          targetPort: IntOrString.fromString(service.portName),
          protocol: 'TCP',
        },
      ],
    },
  });
}

/** A ServiceAccount of the pod's own that mounts no token: the pod never calls the Kubernetes API. */
export function tokenlessServiceAccount(
  scope: Construct,
  name: string,
  labels: Readonly<Record<string, string>>,
): KubeServiceAccount {
  return new KubeServiceAccount(scope, 'ServiceAccount', {
    metadata: { name, labels: { ...labels } },
    automountServiceAccountToken: false,
  });
}

/** A small in-memory `/tmp`, the only place a read-only container may write. */
export const TMP_VOLUME: Volume = {
  name: 'tmp',
  emptyDir: { medium: 'Memory', sizeLimit: Quantity.fromString('64Mi') },
};
export const TMP_MOUNT: VolumeMount = { name: 'tmp', mountPath: '/tmp' };

/** Pull a digest-pinned image only when missing; a tag may have moved, so check it on every start. */
export function imagePullPolicy(image: string): 'IfNotPresent' | 'Always' {
  return parseImageReference(image).digest ? 'IfNotPresent' : 'Always';
}
