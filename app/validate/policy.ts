import { showValue } from '../../constructs/errors';
import { type FieldPath, type Finding, formatPath, isRecord, objectRef } from './schemas';

/** The checks `checkPolicies` runs, by rule id. */
export const POLICY_RULES = {
  'restricted-pod-security': 'every pod meets the Pod Security Standards "restricted" profile',
  'read-only-root-filesystem': 'every container has a read-only root filesystem',
  resources: 'every container requests CPU and memory and has a memory limit',
  'no-service-account-token':
    'no pod mounts a service account token unless annotated mcpenv.dev/needs-service-account-token: "true"',
  'no-literal-secrets': 'no Secret carries data, and no environment variable holds a literal secret',
  'tls-on-every-route': 'every Ingress and Gateway API route serves HTTPS; plain HTTP only redirects',
} as const;

export type PolicyRule = keyof typeof POLICY_RULES;

/** The pod annotation that allows a service account token, for pods that call the Kubernetes API. */
export const NEEDS_SERVICE_ACCOUNT_TOKEN = 'mcpenv.dev/needs-service-account-token';

type Report = (rule: PolicyRule, at: FieldPath, message: string) => void;

/**
 * Checks a set of objects against mcpenv's policies (see `POLICY_RULES`). Routes are checked
 * against the Gateways in the same set; what a Gateway outside the set does cannot be known, so
 * a route to one must name its listener (`sectionName`) and nothing more is claimed about it.
 */
export function checkPolicies(objects: readonly unknown[]): Finding[] {
  const findings: Finding[] = [];
  const gateways = indexGateways(objects);
  for (const object of objects) {
    if (!isRecord(object)) continue;
    const ref = objectRef(object);
    const report: Report = (rule, at, message) =>
      findings.push({ objectRef: ref, path: formatPath(at), message, rule });
    const type = `${String(object.apiVersion)} ${String(object.kind)}`;

    const template = POD_TEMPLATES[type];
    if (template !== undefined) {
      const pod = valueAt(object, template);
      if (isRecord(pod)) checkPod(pod, template, report);
    }
    if (type === 'v1 Secret') checkSecret(object, report);
    if (type === 'networking.k8s.io/v1 Ingress') checkIngress(object, report);
    if (isGatewayApi(object.apiVersion) && object.kind === 'Gateway') checkGateway(object, report);
    if (isGatewayApi(object.apiVersion) && object.kind === 'HTTPRoute') {
      checkHttpRoute(object, gateways, report);
    }
  }
  return findings;
}

function valueAt(object: unknown, at: FieldPath): unknown {
  let node = object;
  for (const segment of at) node = isRecord(node) ? node[segment] : undefined;
  return node;
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map((item) => (isRecord(item) ? item : {})) : [];
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

// ---------------------------------------------------------------------------------------------
// Pods

/** Where each workload kind keeps its pod (metadata + spec); a bare Pod is its own template. */
const POD_TEMPLATES: Readonly<Record<string, FieldPath>> = {
  'v1 Pod': [],
  'v1 PodTemplate': ['template'],
  'v1 ReplicationController': ['spec', 'template'],
  'apps/v1 Deployment': ['spec', 'template'],
  'apps/v1 StatefulSet': ['spec', 'template'],
  'apps/v1 DaemonSet': ['spec', 'template'],
  'apps/v1 ReplicaSet': ['spec', 'template'],
  'batch/v1 Job': ['spec', 'template'],
  'batch/v1 CronJob': ['spec', 'jobTemplate', 'spec', 'template'],
};

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

interface Container {
  readonly container: Record<string, unknown>;
  readonly securityContext: Record<string, unknown>;
  readonly at: FieldPath;
  readonly list: (typeof CONTAINER_LISTS)[number];
}

const ALLOWED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const SECCOMP_TYPES = new Set(['RuntimeDefault', 'Localhost']);
const SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);
/** The sysctls the baseline profile allows (Pod Security Standards, Kubernetes 1.29+). */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

function checkPod(pod: Record<string, unknown>, at: FieldPath, report: Report): void {
  const spec = record(pod.spec);
  const specAt = [...at, 'spec'];
  const podContext = record(spec.securityContext);
  const podContextAt = [...specAt, 'securityContext'];
  const annotations = record(record(pod.metadata).annotations);
  const containers: Container[] = CONTAINER_LISTS.flatMap((list) =>
    records(spec[list]).map((container, index) => ({
      container,
      securityContext: record(container.securityContext),
      at: [...specAt, list, index],
      list,
    })),
  );
  const restricted = (where: FieldPath, message: string) => report('restricted-pod-security', where, message);

  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[field] === true) {
      restricted([...specAt, field], `remove ${field}: true: a pod shares no host namespace`);
    }
  }
  records(spec.volumes).forEach((volume, index) => {
    const types = Object.keys(volume).filter((key) => key !== 'name');
    for (const type of types.filter((key) => !ALLOWED_VOLUME_TYPES.has(key))) {
      restricted(
        [...specAt, 'volumes', index, type],
        `volume type ${type} is not allowed; use one of ${[...ALLOWED_VOLUME_TYPES].join(', ')}`,
      );
    }
  });

  // Pod-level settings that every container inherits unless it sets its own. A pod value that is
  // set but wrong is a finding even when every container overrides it (as in Pod Security Admission).
  const { runAsNonRoot } = podContext;
  if (runAsNonRoot !== undefined && runAsNonRoot !== true) {
    restricted([...podContextAt, 'runAsNonRoot'], `set runAsNonRoot: true (got ${showValue(runAsNonRoot)})`);
  }
  requireEverywhere(containers, {
    podSetsIt: runAsNonRoot !== undefined,
    containerSetsIt: (context) => context.runAsNonRoot !== undefined,
    field: ['runAsNonRoot'],
    podAt: podContextAt,
    setting: 'securityContext.runAsNonRoot: true',
    restricted,
  });
  const podSeccomp = record(podContext.seccompProfile).type;
  if (podSeccomp !== undefined && !SECCOMP_TYPES.has(String(podSeccomp))) {
    restricted(
      [...podContextAt, 'seccompProfile', 'type'],
      `set it to RuntimeDefault (got ${showValue(podSeccomp)})`,
    );
  }
  requireEverywhere(containers, {
    podSetsIt: podSeccomp !== undefined,
    containerSetsIt: (context) => record(context.seccompProfile).type !== undefined,
    field: ['seccompProfile', 'type'],
    podAt: podContextAt,
    setting: 'securityContext.seccompProfile.type: RuntimeDefault',
    restricted,
  });
  checkSecurityContext(podContext, podContextAt, restricted);
  records(podContext.sysctls).forEach((sysctl, index) => {
    if (!SAFE_SYSCTLS.has(String(sysctl.name))) {
      restricted(
        [...podContextAt, 'sysctls', index, 'name'],
        `sysctl ${showValue(sysctl.name)} is not allowed; only ${[...SAFE_SYSCTLS].join(', ')} are`,
      );
    }
  });
  for (const [key, value] of Object.entries(annotations)) {
    if (
      key.startsWith(APPARMOR_ANNOTATION) &&
      value !== 'runtime/default' &&
      !String(value).startsWith('localhost/')
    ) {
      restricted(
        [...at, 'metadata', 'annotations', key],
        `set it to runtime/default or localhost/<profile> (got ${showValue(value)})`,
      );
    }
  }

  for (const { container, securityContext: context, at: containerAt, list } of containers) {
    const contextAt = [...containerAt, 'securityContext'];
    if (context.privileged === true) {
      restricted([...contextAt, 'privileged'], 'set privileged: false (or remove it)');
    }
    if (context.allowPrivilegeEscalation !== false) {
      restricted(
        [...contextAt, 'allowPrivilegeEscalation'],
        'set securityContext.allowPrivilegeEscalation: false',
      );
    }
    if (context.runAsNonRoot === false) {
      restricted(
        [...contextAt, 'runAsNonRoot'],
        'set runAsNonRoot: true (or remove it to inherit the pod setting)',
      );
    }
    const seccomp = record(context.seccompProfile).type;
    if (seccomp !== undefined && !SECCOMP_TYPES.has(String(seccomp))) {
      restricted(
        [...contextAt, 'seccompProfile', 'type'],
        `set it to RuntimeDefault (got ${showValue(seccomp)})`,
      );
    }
    const capabilities = record(context.capabilities);
    if (!(Array.isArray(capabilities.drop) && capabilities.drop.includes('ALL'))) {
      restricted([...contextAt, 'capabilities', 'drop'], 'set securityContext.capabilities.drop: [ALL]');
    }
    (Array.isArray(capabilities.add) ? capabilities.add : []).forEach((capability: unknown, index) => {
      if (capability !== 'NET_BIND_SERVICE') {
        restricted(
          [...contextAt, 'capabilities', 'add', index],
          `remove capability ${showValue(capability)}: only NET_BIND_SERVICE may be added`,
        );
      }
    });
    if (context.procMount !== undefined && context.procMount !== 'Default') {
      restricted(
        [...contextAt, 'procMount'],
        `set procMount: Default (or remove it) (got ${showValue(context.procMount)})`,
      );
    }
    checkSecurityContext(context, contextAt, restricted);
    records(container.ports).forEach((port, index) => {
      if (port.hostPort !== undefined && port.hostPort !== 0) {
        restricted(
          [...containerAt, 'ports', index, 'hostPort'],
          'remove hostPort: expose the port through a Service',
        );
      }
    });

    // Ephemeral (debug) containers come and go with kubectl debug; mcpenv's own rules leave them be.
    if (list === 'ephemeralContainers') continue;
    if (context.readOnlyRootFilesystem !== true) {
      report(
        'read-only-root-filesystem',
        [...contextAt, 'readOnlyRootFilesystem'],
        'set securityContext.readOnlyRootFilesystem: true, and mount an emptyDir where the process must write',
      );
    }
    const resources = record(container.resources);
    for (const [kind, resource] of [
      ['requests', 'cpu'],
      ['requests', 'memory'],
      ['limits', 'memory'],
    ] as const) {
      if (record(resources[kind])[resource] === undefined) {
        report(
          'resources',
          [...containerAt, 'resources', kind, resource],
          `set resources.${kind}.${resource}`,
        );
      }
    }
  }

  if (spec.automountServiceAccountToken !== false && annotations[NEEDS_SERVICE_ACCOUNT_TOKEN] !== 'true') {
    report(
      'no-service-account-token',
      [...specAt, 'automountServiceAccountToken'],
      'set automountServiceAccountToken: false; a pod that calls the Kubernetes API says so with the ' +
        `annotation ${NEEDS_SERVICE_ACCOUNT_TOKEN}: "true" on the pod template`,
    );
  }
  for (const { container, at: containerAt } of containers) checkEnv(container, containerAt, report);
}

/**
 * A setting the pod may make for all its containers: when the pod leaves it unset, every
 * container must set it. Missing everywhere is one finding at the pod, not one per container.
 */
function requireEverywhere(
  containers: readonly Container[],
  check: {
    /** Whether the pod sets it, to any value (a wrong value is reported apart). */
    readonly podSetsIt: boolean;
    /** Whether a container sets it, to any value (likewise). */
    readonly containerSetsIt: (context: Record<string, unknown>) => boolean;
    /** The field's path inside a securityContext. */
    readonly field: FieldPath;
    /** The pod's securityContext. */
    readonly podAt: FieldPath;
    /** The fix, as `securityContext.<field>: <value>`. */
    readonly setting: string;
    readonly restricted: (at: FieldPath, message: string) => void;
  },
): void {
  const { podSetsIt, containerSetsIt, field, podAt, setting, restricted } = check;
  if (podSetsIt) return;
  const missing = containers.filter((container) => !containerSetsIt(container.securityContext));
  if (missing.length === 0) return;
  if (missing.length === containers.length) {
    restricted([...podAt, ...field], `set ${setting} on the pod (or on every container)`);
    return;
  }
  for (const container of missing) {
    restricted(
      [...container.at, 'securityContext', ...field],
      `set ${setting} on this container too, or on the pod`,
    );
  }
}

/** The settings pods and containers share: runAsUser, SELinux, AppArmor, Windows host processes. */
function checkSecurityContext(
  context: Record<string, unknown>,
  at: FieldPath,
  restricted: (at: FieldPath, message: string) => void,
): void {
  if (context.runAsUser === 0) {
    restricted([...at, 'runAsUser'], 'set runAsUser to a non-zero user id, such as 10001');
  }
  const seLinux = record(context.seLinuxOptions);
  if (seLinux.type !== undefined && !SELINUX_TYPES.has(String(seLinux.type))) {
    restricted(
      [...at, 'seLinuxOptions', 'type'],
      `remove it or use one of container_t, container_init_t, container_kvm_t, container_engine_t (got ${showValue(seLinux.type)})`,
    );
  }
  for (const field of ['user', 'role']) {
    if (seLinux[field] !== undefined && seLinux[field] !== '') {
      restricted([...at, 'seLinuxOptions', field], `remove seLinuxOptions.${field}`);
    }
  }
  const appArmor = record(context.appArmorProfile).type;
  if (appArmor !== undefined && !SECCOMP_TYPES.has(String(appArmor))) {
    restricted(
      [...at, 'appArmorProfile', 'type'],
      `set it to RuntimeDefault or Localhost (got ${showValue(appArmor)})`,
    );
  }
  if (record(context.windowsOptions).hostProcess === true) {
    restricted([...at, 'windowsOptions', 'hostProcess'], 'remove hostProcess: true');
  }
}

// ---------------------------------------------------------------------------------------------
// Secrets

/** Words that make a variable name look like it holds a secret (matched whole, between underscores). */
const SECRET_WORDS =
  /(?:^|_)(?:PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIALS?|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY)(?:_|$)/i;
/**
 * `*_FILE` or `*_PATH` holding an absolute path names a mounted file, the convention of official
 * images (`POSTGRES_PASSWORD_FILE`): a reference, not the secret.
 */
const FILE_REFERENCE = { name: /_(?:FILE|PATH)$/i, value: /^\/[^\s]*$/ };
/** A URL with a password in it: scheme://user:password@host. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]*:[^/?#@\s]+@/i;

function checkSecret(secret: Record<string, unknown>, report: Report): void {
  for (const field of ['data', 'stringData']) {
    if (isRecord(secret[field]) && Object.keys(secret[field]).length > 0) {
      report(
        'no-literal-secrets',
        [field],
        `remove ${field}: a Secret's values do not belong in manifests (they end up in Git and CI logs); ` +
          'create the Secret out of band (Terraform, External Secrets, kubectl) and reference it by name',
      );
    }
  }
}

function checkEnv(container: Record<string, unknown>, at: FieldPath, report: Report): void {
  records(container.env).forEach((variable, index) => {
    const { name, value } = variable;
    if (typeof value !== 'string' || value === '') return;
    const valuePath = [...at, 'env', index, 'value'];
    if (URL_WITH_PASSWORD.test(value)) {
      report(
        'no-literal-secrets',
        valuePath,
        `${String(name)} holds a URL with a password; put the URL in a Secret and mount it as a file (the server reads ${String(name)}_FILE) or use valueFrom.secretKeyRef`,
      );
    } else if (
      typeof name === 'string' &&
      SECRET_WORDS.test(name) &&
      !(FILE_REFERENCE.name.test(name) && FILE_REFERENCE.value.test(value))
    ) {
      report(
        'no-literal-secrets',
        valuePath,
        `${name} looks like a secret but has a literal value; put it in a Secret and mount it as a file (${name}_FILE, where the program reads one) or use valueFrom.secretKeyRef`,
      );
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Routes

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

function isGatewayApi(apiVersion: unknown): boolean {
  return typeof apiVersion === 'string' && apiVersion.startsWith(`${GATEWAY_GROUP}/`);
}

function checkIngress(ingress: Record<string, unknown>, report: Report): void {
  const spec = record(ingress.spec);
  const tls = records(spec.tls);
  if (tls.length === 0) {
    report(
      'tls-on-every-route',
      ['spec', 'tls'],
      'add spec.tls listing every rule host and the Secret that holds their certificate',
    );
    return;
  }
  const covered = tls.flatMap((entry) => (Array.isArray(entry.hosts) ? entry.hosts.map(String) : []));
  records(spec.rules).forEach(({ host }, index) => {
    const at = ['spec', 'rules', index, 'host'];
    if (typeof host !== 'string') {
      report(
        'tls-on-every-route',
        at,
        'set a host: a rule without one answers any name, which TLS cannot cover',
      );
    } else if (!covered.some((pattern) => hostMatches(pattern, host))) {
      report(
        'tls-on-every-route',
        at,
        `host ${showValue(host)} is in no spec.tls[].hosts; add it there, with a certificate for it`,
      );
    }
  });
}

/** A TLS host covers itself, and `*.example.com` covers exactly one more label. */
function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot) === pattern.slice(1);
}

interface Listener {
  readonly name: string;
  readonly protocol: string;
  readonly port: unknown;
}

interface GatewayListeners {
  readonly ref: string;
  readonly listeners: readonly Listener[];
}

function gatewayKey(namespace: unknown, name: unknown): string {
  return `${typeof namespace === 'string' ? namespace : ''}/${String(name)}`;
}

function indexGateways(objects: readonly unknown[]): Map<string, GatewayListeners> {
  const gateways = new Map<string, GatewayListeners>();
  for (const object of objects) {
    if (!isRecord(object) || !isGatewayApi(object.apiVersion) || object.kind !== 'Gateway') continue;
    const metadata = record(object.metadata);
    const listeners = records(record(object.spec).listeners).map((listener) => ({
      name: String(listener.name),
      protocol: String(listener.protocol),
      port: listener.port,
    }));
    const ref =
      typeof metadata.namespace === 'string'
        ? `${metadata.namespace}/${String(metadata.name)}`
        : String(metadata.name);
    gateways.set(gatewayKey(metadata.namespace, metadata.name), { ref, listeners });
  }
  return gateways;
}

function checkGateway(gateway: Record<string, unknown>, report: Report): void {
  records(record(gateway.spec).listeners).forEach((listener, index) => {
    if (listener.protocol !== 'HTTPS') return;
    const certificates = record(listener.tls).certificateRefs;
    if (!Array.isArray(certificates) || certificates.length === 0) {
      report(
        'tls-on-every-route',
        ['spec', 'listeners', index, 'tls', 'certificateRefs'],
        `HTTPS listener ${showValue(listener.name)} needs tls.certificateRefs, such as the Secret a cert-manager Certificate writes`,
      );
    }
  });
}

/**
 * A route must reach its Gateway over HTTPS. A route on a plain-HTTP listener may only redirect
 * to https. Listener hostnames and allowedRoutes are not taken into account: a route that could
 * attach to an HTTP listener counts as attached.
 */
function checkHttpRoute(
  route: Record<string, unknown>,
  gateways: ReadonlyMap<string, GatewayListeners>,
  report: Report,
): void {
  const spec = record(route.spec);
  const routeNamespace = record(route.metadata).namespace;
  records(spec.parentRefs).forEach((parent, index) => {
    const at = ['spec', 'parentRefs', index];
    // Parents other than Gateways (a Service, for a service mesh) carry east-west traffic.
    if ((parent.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (parent.kind ?? 'Gateway') !== 'Gateway') return;
    const { sectionName, port } = parent;
    const gateway = gateways.get(gatewayKey(parent.namespace ?? routeNamespace, parent.name));
    if (gateway === undefined) {
      if (typeof sectionName !== 'string') {
        report(
          'tls-on-every-route',
          [...at, 'sectionName'],
          `set sectionName to the HTTPS listener of Gateway ${showValue(parent.name)}: that Gateway is not ` +
            'among the checked objects, and without a sectionName the route attaches to all its listeners, plain HTTP included',
        );
      }
      return;
    }
    const attached = gateway.listeners.filter(
      (listener) =>
        (typeof sectionName !== 'string' || listener.name === sectionName) &&
        (port === undefined || listener.port === port),
    );
    if (typeof sectionName === 'string' && attached.length === 0) {
      report(
        'tls-on-every-route',
        [...at, 'sectionName'],
        `Gateway ${gateway.ref} has no listener ${showValue(sectionName)}${port === undefined ? '' : ` on port ${String(port)}`}; ` +
          `name one of its HTTPS listeners`,
      );
    }
    const where = typeof sectionName === 'string' ? [...at, 'sectionName'] : at;
    for (const listener of attached) {
      if (listener.protocol === 'HTTP' && !redirectsToHttpsOnly(spec)) {
        report(
          'tls-on-every-route',
          where,
          `attaches to plain-HTTP listener ${showValue(listener.name)} of Gateway ${gateway.ref}; set sectionName ` +
            'to an HTTPS listener, or make every rule a RequestRedirect filter with scheme: https and no backendRefs',
        );
      } else if (
        listener.protocol !== 'HTTP' &&
        listener.protocol !== 'HTTPS' &&
        typeof sectionName === 'string'
      ) {
        // Without a sectionName a route only attaches to listeners that speak HTTP.
        report(
          'tls-on-every-route',
          where,
          `listener ${showValue(listener.name)} of Gateway ${gateway.ref} speaks ${listener.protocol}, not HTTPS; ` +
            'name an HTTPS listener',
        );
      }
    }
  });
}

function redirectsToHttpsOnly(spec: Record<string, unknown>): boolean {
  const rules = records(spec.rules);
  return (
    rules.length > 0 &&
    rules.every((rule) => {
      const filters = records(rule.filters);
      const backends = Array.isArray(rule.backendRefs) ? rule.backendRefs : [];
      return (
        backends.length === 0 &&
        filters.length > 0 &&
        filters.every(
          (filter) => filter.type === 'RequestRedirect' && record(filter.requestRedirect).scheme === 'https',
        )
      );
    })
  );
}
