/**
 * What makes a change risky, in one place: stateful resources, attributes that force
 * replacement, and changes that weaken security. The diff reads these tables; nothing else
 * decides risk.
 */

/**
 * Terraform resource types whose destruction loses data or keys. A `kubernetes_manifest` is
 * stateful when the object it holds is of one of the `STATEFUL_KINDS`.
 */
export const STATEFUL_TERRAFORM_TYPES = new Set([
  'aws_db_instance',
  'aws_elasticache_replication_group',
  'aws_kms_key',
  'aws_secretsmanager_secret',
  'kubernetes_namespace_v1',
  'kubernetes_persistent_volume_claim_v1',
  'kubernetes_stateful_set_v1',
]);

/**
 * Attributes whose change makes Terraform destroy and recreate the resource, as hashicorp/aws
 * 5.100.0 plans it (checked with `terraform plan` against a state holding the old value) and as
 * hashicorp/kubernetes marks metadata and `kubernetes_manifest` identity. Not here because 5.x
 * updates them in place: `aws_db_instance` `identifier` (a rename), `engine_version` and
 * `db_subnet_group_name`; `aws_elasticache_replication_group` `engine` and `engine_version`.
 */
export const FORCE_NEW_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  aws_db_instance: [
    'engine',
    'storage_encrypted',
    'kms_key_id',
    'db_name',
    'username',
    'availability_zone',
    'character_set_name',
    'nchar_character_set_name',
    'timezone',
    'snapshot_identifier',
    'restore_to_point_in_time',
    'custom_iam_instance_profile',
    'backup_target',
  ],
  aws_elasticache_replication_group: [
    'replication_group_id',
    'at_rest_encryption_enabled',
    'kms_key_id',
    'subnet_group_name',
    'port',
    'network_type',
    'data_tiering_enabled',
    'snapshot_name',
    'snapshot_arns',
  ],
  aws_kms_key: ['customer_master_key_spec', 'key_usage', 'multi_region', 'custom_key_store_id', 'xks_key_id'],
  aws_secretsmanager_secret: ['name', 'name_prefix'],
  aws_vpc: ['cidr_block'],
  aws_subnet: ['cidr_block', 'availability_zone', 'vpc_id'],
  aws_db_subnet_group: ['name'],
  aws_elasticache_subnet_group: ['name'],
  aws_security_group: ['name', 'vpc_id', 'description'],
  kubernetes_namespace_v1: ['metadata.name'],
  kubernetes_persistent_volume_claim_v1: ['metadata.name', 'metadata.namespace'],
  kubernetes_stateful_set_v1: ['metadata.name', 'metadata.namespace'],
  kubernetes_manifest: [
    'manifest.apiVersion',
    'manifest.kind',
    'manifest.metadata.name',
    'manifest.metadata.namespace',
  ],
};

/** Kubernetes kinds whose removal deletes data or needs a migration. */
export const STATEFUL_KINDS = new Set(['StatefulSet', 'PersistentVolumeClaim']);

/** What a reviewer should know about losing the data of one of these, beyond "its data is lost". */
export const DATA_LOSS_NOTES: Readonly<Record<string, string>> = {
  StatefulSet:
    'the PersistentVolumeClaims of its volumeClaimTemplates stay behind or are deleted as its ' +
    'persistentVolumeClaimRetentionPolicy says, and a StatefulSet under another name starts with new, empty ones',
  aws_kms_key: 'whatever it encrypted becomes unreadable once the key is deleted',
};

/** Kubernetes fields that are immutable: changing them means delete and recreate. */
export const IMMUTABLE_KUBERNETES_FIELDS: Readonly<Record<string, readonly string[]>> = {
  StatefulSet: ['spec.volumeClaimTemplates', 'spec.selector', 'spec.serviceName', 'spec.podManagementPolicy'],
  Deployment: ['spec.selector'],
  PersistentVolumeClaim: [
    'spec.resources.requests.storage',
    'spec.storageClassName',
    'spec.accessModes',
    'spec.volumeMode',
    'spec.volumeName',
    'spec.selector',
    'spec.dataSource',
    'spec.dataSourceRef',
  ],
  Job: ['spec.template'],
};

/** A value that weakens security when a field at `path` takes it. */
export interface SecurityRule {
  readonly path: RegExp;
  readonly weakens: (before: unknown, after: unknown) => boolean;
  readonly message: string;
}

const becomes = (value: unknown) => (_before: unknown, after: unknown) => after === value;
const becomesFalsy = (_before: unknown, after: unknown) =>
  after === false || after === undefined || after === 'false';
const OPEN_CIDRS = new Set(['0.0.0.0/0', '::/0']);

export const SECURITY_RULES: readonly SecurityRule[] = [
  {
    path: /(^|\.)publicly_accessible$/,
    weakens: becomes(true),
    message: 'the database becomes publicly accessible',
  },
  { path: /(^|\.)storage_encrypted$/, weakens: becomesFalsy, message: 'storage encryption is turned off' },
  { path: /(^|\.)deletion_protection$/, weakens: becomesFalsy, message: 'deletion protection is turned off' },
  {
    path: /(^|\.)transit_encryption_enabled$/,
    weakens: becomesFalsy,
    message: 'TLS in transit is turned off',
  },
  {
    path: /(^|\.)at_rest_encryption_enabled$/,
    weakens: becomesFalsy,
    message: 'encryption at rest is turned off',
  },
  {
    path: /(^|\.)auth_token$/,
    weakens: (_b, a) => a === undefined,
    message: 'Redis authentication is removed',
  },
  {
    path: /(^|\.)(cidr_ipv4|cidr_ipv6|cidr_blocks(\[\d+\])?|ipv6_cidr_blocks(\[\d+\])?)$/,
    weakens: (_b, a) => typeof a === 'string' && OPEN_CIDRS.has(a),
    message: 'a security group opens to the whole internet',
  },
  { path: /securityContext\.runAsNonRoot$/, weakens: becomesFalsy, message: 'containers may run as root' },
  {
    path: /securityContext\.allowPrivilegeEscalation$/,
    weakens: (_b, a) => a !== false,
    message: 'privilege escalation is allowed',
  },
  { path: /securityContext\.privileged$/, weakens: becomes(true), message: 'a container becomes privileged' },
  {
    path: /securityContext\.readOnlyRootFilesystem$/,
    weakens: becomesFalsy,
    message: 'the root filesystem becomes writable',
  },
  {
    path: /securityContext\.capabilities\.drop/,
    weakens: () => true,
    message: 'dropped capabilities change',
  },
  {
    path: /securityContext\.capabilities\.add/,
    weakens: (_b, a) => a !== undefined,
    message: 'capabilities are added',
  },
  { path: /securityContext\.seccompProfile/, weakens: () => true, message: 'the seccomp profile changes' },
  {
    path: /automountServiceAccountToken$/,
    weakens: (_b, a) => a !== false,
    message: 'the service-account token is mounted',
  },
  { path: /^spec\.tls/, weakens: (_b, a) => a === undefined, message: 'TLS is removed from a route' },
  { path: /listeners\[\d+\]\.protocol$/, weakens: becomes('HTTP'), message: 'a Gateway listener drops TLS' },
  {
    path: /^spec\.(ingress|egress|podSelector|policyTypes)/,
    weakens: () => true,
    message: 'a NetworkPolicy changes: check it does not widen access',
  },
  {
    path: /\.env\[\d+\]\.name$/,
    weakens: (b, a) => b === 'PGHOST' || b === 'DATABASE_URL' || a === 'AUTH_DISABLED',
    message:
      'the server may lose its database settings and fall back to the embedded mode, where auth is off',
  },
];

/** Removing one of these kinds weakens security. */
export const SECURITY_KINDS_ON_REMOVAL: Readonly<Record<string, string>> = {
  NetworkPolicy: 'a NetworkPolicy is removed',
  PodDisruptionBudget: 'a PodDisruptionBudget is removed',
  aws_vpc_security_group_ingress_rule: 'a security group rule is removed (check what replaces it)',
};

/** A change to monitoring that may leave an outage unnoticed. */
export interface MonitoringRule {
  readonly kind: string;
  readonly path: RegExp;
  readonly message: string;
}

/**
 * Alert changes a reviewer should look at. Rules are compared by position, so a removed alert
 * shows as changes to those after it: each is flagged, and the diff shows the new expressions.
 */
export const MONITORING_RULES: readonly MonitoringRule[] = [
  {
    kind: 'PrometheusRule',
    path: /^spec\.groups\[\d+\]\.rules\[\d+\]\.(expr|for)$/,
    message:
      'an alert or recording rule changes its expression or `for` duration: check it still fires when ' +
      'it should (monitoring/rules.test.yaml and, with SLOs, rules.slo.test.yaml hold its cases)',
  },
  {
    kind: 'PrometheusRule',
    path: /^spec\.groups(\[\d+\](\.rules(\[\d+\])?)?)?$/,
    message: 'alert or recording rules are added or removed',
  },
  {
    kind: 'ServiceMonitor',
    path: /^spec\.(endpoints|selector|namespaceSelector)/,
    message: 'what Prometheus scrapes changes: check the server is still scraped',
  },
];

/** Removing one of these kinds silences monitoring. */
export const MONITORING_KINDS_ON_REMOVAL: Readonly<Record<string, string>> = {
  PrometheusRule: 'the alert rules are removed: nothing alerts on this environment',
  ServiceMonitor: 'the ServiceMonitor is removed: Prometheus stops scraping the server',
};

/** Keys whose values are masked in every report. */
export const SECRET_KEY = /(password|passwd|secret|token|private_?key|access_?key|credential|auth)/i;
