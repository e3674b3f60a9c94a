/**
 * The hardening every pod that runs the server image shares (the server and the probe): the Pod
 * Security Standards "restricted" profile (non-root, read-only root filesystem, no privilege
 * escalation, no capabilities, seccomp RuntimeDefault), no service-account token, requests and
 * limits set. One definition, so the two workloads cannot drift apart.
 */
import {
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
  if (quantityToBytes(resources.memoryRequest) > quantityToBytes(resources.memoryLimit)) {
    throw invalidProp(
      where,
      `${prefix}memoryRequest`,
      `not exceed memoryLimit (${resources.memoryLimit})`,
      resources.memoryRequest,
    );
  }
  if (quantityToCores(resources.cpuRequest) > quantityToCores(resources.cpuLimit)) {
    throw invalidProp(
      where,
      `${prefix}cpuRequest`,
      `not exceed cpuLimit (${resources.cpuLimit})`,
      resources.cpuRequest,
    );
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

/** A container's security context under the restricted profile, with a read-only root filesystem. */
export function restrictedContainerSecurity(): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * The pod-level settings of a restricted pod running the image's user: its own service account
 * without a token, no Service links, and the user, group and fsGroup (through which it reads
 * Secret files of mode 0440).
 */
export function restrictedPodSettings(serviceAccountName: string) {
  return {
    serviceAccountName,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: IMAGE_USER,
      runAsGroup: IMAGE_USER,
      fsGroup: IMAGE_USER,
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
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
