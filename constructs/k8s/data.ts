import {
  type EnvVar,
  IntOrString,
  KubeService,
  KubeStatefulSet,
  type NetworkPolicyPeer,
  Quantity,
} from 'cdk8s-plus-28/lib/imports/k8s';
import { SECRET_KEYS } from '@mcpenv/contract';
import { Construct } from 'constructs';
import { invalidProp } from '../errors';
import { check, dnsSubdomain, ipv4Cidr, pinnedImage, quantity, requireProps } from '../validators';
import { commonLabels, selectorLabels } from './labels';
import { checkInstance, componentName, DNS_NAME } from './names';
import { restrictedContainerSecurity, restrictedPodSettings } from './pod';
import { checkBackupOptions, PostgresBackup, type PostgresBackupOptions } from './backup';
import type { SecretFile } from './workload';

/** The in-cluster Postgres image when none is given. */
const DEFAULT_POSTGRES_IMAGE = 'postgres:16.6-bookworm';

/** The user the official Postgres and Redis images run as (named in the images, so given by number). */
const DATA_STORE_USER = 999;

/** A reference to one key of an existing Secret; the value never appears in the manifests. */
export interface SecretKeyRef {
  readonly secretName: string;
  readonly key: string;
}

/** What the server container needs to reach a data store, and who may talk to it. */
export interface DataStoreBinding {
  /** Non-secret environment variables for the server (and the migration init container). */
  readonly env: readonly EnvVar[];
  /**
   * Secret values the server reads from mounted files (`PGPASSWORD_FILE` and the like).
   * @default - none
   */
  readonly secretFiles?: readonly SecretFile[];
  /** Where the server's egress policy must allow traffic to. */
  readonly peers: readonly NetworkPolicyPeer[];
  readonly port: number;
  /** Labels of the in-cluster pods, so their ingress policy can admit the server only. */
  readonly podSelector?: Readonly<Record<string, string>>;
  /**
   * Pods besides the server that the in-cluster store's ingress policy admits (its backup job).
   * @default - none
   */
  readonly clients?: readonly NetworkPolicyPeer[];
  /**
   * The store's backup CronJob, which the alerts watch.
   * @default - no backups
   */
  readonly backup?: PostgresBackup;
}

/** Where the data store's objects go and whom they belong to. */
export interface DataStoreContext {
  /** Instance label (the environment name); the objects are `<instance>-postgres` and `<instance>-redis`. */
  readonly instance: string;
}

/** A variable from a Secret key: for connection settings that are not secret themselves. */
function secretEnv(name: string, ref: SecretKeyRef): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } } };
}

/**
 * A data store's own password: one key of the Secret as the file `password`, readable by the
 * pod's fsGroup (the store's uid) only.
 */
function passwordVolume(secretName: string, key: string) {
  return {
    name: 'password',
    secret: { secretName, items: [{ key, path: 'password' }], defaultMode: 0o440 },
  };
}

function checkSecretName(construct: string, prop: string, name: string) {
  if (!DNS_NAME.test(name)) {
    throw invalidProp(construct, prop, 'be the name of an existing Secret (a DNS subdomain)', name);
  }
}

function checkPort(construct: string, prop: string, port: number) {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidProp(construct, prop, 'be a port from 1 to 65535', port);
  }
}

function checkCidrs(construct: string, prop: string, cidrs: readonly string[]) {
  if (cidrs.length === 0) throw invalidProp(construct, prop, 'list at least one CIDR block', cidrs);
  for (const cidr of cidrs) {
    check(construct, prop, cidr, ipv4Cidr);
    if (cidr === '0.0.0.0/0') {
      throw invalidProp(
        construct,
        prop,
        'not open egress to the whole internet',
        cidr,
        'give the VPC or subnet CIDRs',
      );
    }
  }
}

export interface InClusterPostgresProps {
  /**
   * Secret holding the credentials, created outside the manifests (kubectl, External Secrets,
   * the Terraform Kubernetes stack). Keys: `username` and `password`.
   * @default - `<instance>-postgres`, the StatefulSet's own name
   */
  readonly credentialsSecret?: string;
  /**
   * Database name.
   * @default 'mcp'
   */
  readonly database?: string;
  /**
   * Postgres image, pinned.
   * @default 'postgres:16.6-bookworm'
   */
  readonly image?: string;
  /**
   * Size of the data volume.
   * @default '10Gi'
   */
  readonly storageSize?: string;
  /**
   * StorageClass of the data volume; `''` binds only to volumes without a class (no dynamic
   * provisioning).
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Back the database up on a schedule: a CronJob running `pg_dump` with `image`, keeping the
   * newest `retention` dumps on a PersistentVolumeClaim or in S3, watched by an alert when the
   * last success is older than twice the schedule's longest gap. `{}` takes every default.
   * @default - no backups
   */
  readonly backup?: PostgresBackupOptions;
}

export interface ExternalPostgresProps {
  /**
   * Secret with the connection: keys `host`, `port`, `dbname`, `username` and `password` (as the
   * Terraform Kubernetes stack writes for RDS).
   */
  readonly connectionSecret: string;
  /** CIDR blocks the database lives in (the VPC or its private subnets), for the egress policy. */
  readonly cidrs: readonly string[];
  /**
   * Database port, for the egress policy.
   * @default 5432
   */
  readonly port?: number;
  /**
   * TLS to the database, in libpq's terms: `verify-full` checks the certificate and host name
   * (mount the provider's CA bundle and set NODE_EXTRA_CA_CERTS via `caBundleConfigMap`).
   * @default 'verify-full'
   */
  readonly sslMode?: 'require' | 'verify-ca' | 'verify-full';
  /**
   * ConfigMap holding the CA bundle under the key `ca.pem` (e.g. Amazon RDS's global bundle).
   * @default - none: the system trust store
   */
  readonly caBundleConfigMap?: string;
}

/** Where the server's Postgres runs: a typed choice. */
export abstract class Database {
  /** A single-instance Postgres StatefulSet in the namespace, with a persistent volume. */
  static inCluster(props: InClusterPostgresProps = {}): Database {
    return new InClusterPostgres(props);
  }

  /** An existing Postgres outside the cluster, such as the RDS instance of the Terraform stack. */
  static external(props: ExternalPostgresProps): Database {
    return new ExternalPostgres(props);
  }

  /** Creates whatever the choice needs under `scope` and says how to reach it. */
  abstract bind(scope: Construct, context: DataStoreContext): DataStoreBinding;
  /** A CA bundle to mount into the server, if the choice needs one. */
  get caBundleConfigMap(): string | undefined {
    return undefined;
  }
}

/**
 * Where the in-cluster Postgres container finds its password: the Secret, mounted as a file that
 * the official image's entrypoint reads through `POSTGRES_PASSWORD_FILE`.
 */
export const POSTGRES_PASSWORD_FILE = '/run/secrets/postgres/password';
const POSTGRES_SECRET_DIR = '/run/secrets/postgres';

class InClusterPostgres extends Database {
  constructor(private readonly props: InClusterPostgresProps) {
    super();
    const where = 'Database.inCluster';
    if (props.credentialsSecret !== undefined) {
      checkSecretName(where, 'credentialsSecret', props.credentialsSecret);
    }
    if (props.database !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(props.database)) {
      throw invalidProp(where, 'database', 'be a lowercase SQL identifier', props.database);
    }
    check(where, 'image', props.image ?? DEFAULT_POSTGRES_IMAGE, pinnedImage);
    check(where, 'storageSize', props.storageSize ?? '10Gi', quantity);
    if (props.storageClassName !== undefined && props.storageClassName !== '') {
      check(where, 'storageClassName', props.storageClassName, dnsSubdomain);
    }
    if (props.backup !== undefined) checkBackupOptions(where, 'backup.', props.backup);
  }

  bind(scope: Construct, context: DataStoreContext): DataStoreBinding {
    checkInstance('Database.inCluster', context.instance);
    const name = componentName(context.instance, 'postgres');
    const secret = this.props.credentialsSecret ?? name;
    const database = this.props.database ?? 'mcp';
    const labels = commonLabels(name, context.instance);
    const selector = selectorLabels(name, context.instance);
    const construct = new Construct(scope, 'Postgres');
    new KubeService(construct, 'Service', {
      metadata: { name, labels },
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [
          { name: 'postgres', port: 5432, targetPort: IntOrString.fromString('postgres'), protocol: 'TCP' },
        ],
      },
    });
    // The official image runs as uid 999 and needs writable PGDATA, /var/run/postgresql and /tmp.
    new KubeStatefulSet(construct, 'Resource', {
      metadata: { name, labels },
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            ...restrictedPodSettings({ user: DATA_STORE_USER }),
            containers: [
              {
                name: 'postgres',
                image: this.props.image ?? DEFAULT_POSTGRES_IMAGE,
                ports: [{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }],
                env: [
                  // The user name is no secret, and the probes need it as a variable.
                  secretEnv('POSTGRES_USER', {
                    secretName: secret,
                    key: SECRET_KEYS.postgresCredentials.username,
                  }),
                  { name: 'POSTGRES_PASSWORD_FILE', value: POSTGRES_PASSWORD_FILE },
                  { name: 'POSTGRES_DB', value: database },
                  { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                ],
                resources: {
                  requests: { cpu: Quantity.fromString('100m'), memory: Quantity.fromString('256Mi') },
                  limits: { memory: Quantity.fromString('1Gi') },
                },
                readinessProbe: {
                  exec: {
                    command: ['sh', '-c', 'pg_isready -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'],
                  },
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                },
                livenessProbe: {
                  exec: {
                    command: ['sh', '-c', 'pg_isready -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'],
                  },
                  initialDelaySeconds: 30,
                  periodSeconds: 10,
                  timeoutSeconds: 5,
                  failureThreshold: 6,
                },
                securityContext: restrictedContainerSecurity(DATA_STORE_USER),
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/postgresql/data' },
                  { name: 'run', mountPath: '/var/run/postgresql' },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'password', mountPath: POSTGRES_SECRET_DIR, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'run', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
              passwordVolume(secret, SECRET_KEYS.postgresCredentials.password),
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(this.props.storageClassName !== undefined
                ? { storageClassName: this.props.storageClassName }
                : {}),
              resources: { requests: { storage: Quantity.fromString(this.props.storageSize ?? '10Gi') } },
            },
          },
        ],
      },
    });
    const backup =
      this.props.backup === undefined
        ? undefined
        : new PostgresBackup(construct, 'Backup', {
            ...this.props.backup,
            instance: context.instance,
            image: this.props.image ?? DEFAULT_POSTGRES_IMAGE,
            database,
            credentialsSecret: secret,
            postgresServiceName: name,
            postgresPodSelector: selector,
          });
    return {
      env: [
        { name: 'PGHOST', value: name },
        { name: 'PGPORT', value: '5432' },
        { name: 'PGDATABASE', value: database },
        secretEnv('PGUSER', { secretName: secret, key: SECRET_KEYS.postgresCredentials.username }),
        // Inside the namespace, behind a NetworkPolicy; the image serves no certificate.
        { name: 'PGSSLMODE', value: 'disable' },
      ],
      secretFiles: [
        { variable: 'PGPASSWORD', secretName: secret, key: SECRET_KEYS.postgresCredentials.password },
      ],
      peers: [{ podSelector: { matchLabels: selector } }],
      port: 5432,
      podSelector: selector,
      ...(backup !== undefined
        ? { clients: [{ podSelector: { matchLabels: { ...backup.podSelector } } }], backup }
        : {}),
    };
  }
}

class ExternalPostgres extends Database {
  constructor(private readonly props: ExternalPostgresProps) {
    super();
    const where = 'Database.external';
    requireProps(where, props, {
      connectionSecret: 'pass the Secret with host, port, dbname, username and password',
      cidrs: 'pass the CIDR blocks the database lives in, such as ["10.0.0.0/16"]',
    });
    checkSecretName(where, 'connectionSecret', props.connectionSecret);
    checkCidrs(where, 'cidrs', props.cidrs);
    checkPort(where, 'port', props.port ?? 5432);
    if (props.caBundleConfigMap !== undefined && !DNS_NAME.test(props.caBundleConfigMap)) {
      throw invalidProp(where, 'caBundleConfigMap', 'be the name of a ConfigMap', props.caBundleConfigMap);
    }
  }

  override get caBundleConfigMap() {
    return this.props.caBundleConfigMap;
  }

  bind(): DataStoreBinding {
    const secret = this.props.connectionSecret;
    return {
      env: [
        secretEnv('PGHOST', { secretName: secret, key: SECRET_KEYS.postgresConnection.host }),
        secretEnv('PGPORT', { secretName: secret, key: SECRET_KEYS.postgresConnection.port }),
        secretEnv('PGDATABASE', { secretName: secret, key: SECRET_KEYS.postgresConnection.dbname }),
        secretEnv('PGUSER', { secretName: secret, key: SECRET_KEYS.postgresConnection.username }),
        { name: 'PGSSLMODE', value: this.props.sslMode ?? 'verify-full' },
      ],
      secretFiles: [
        { variable: 'PGPASSWORD', secretName: secret, key: SECRET_KEYS.postgresConnection.password },
      ],
      peers: this.props.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
      port: this.props.port ?? 5432,
    };
  }
}

export interface InClusterRedisProps {
  /**
   * Secret holding the Redis password under the key `password`.
   * @default - `<instance>-redis`, the StatefulSet's own name
   */
  readonly passwordSecret?: string;
  /**
   * Redis image, pinned.
   * @default 'redis:7.4.1-bookworm'
   */
  readonly image?: string;
  /**
   * Keep data on a persistent volume (append-only file). The cache and rate-limit counters are
   * disposable, so this is off by default.
   * @default false
   */
  readonly persistence?: boolean;
  /**
   * Size of the data volume when `persistence` is on.
   * @default '1Gi'
   */
  readonly storageSize?: string;
}

export interface ExternalRedisProps {
  /** Secret with the connection: keys `host`, `port` and `password` (the auth token). */
  readonly connectionSecret: string;
  /** CIDR blocks Redis lives in, for the egress policy. */
  readonly cidrs: readonly string[];
  /**
   * Redis port, for the egress policy.
   * @default 6379
   */
  readonly port?: number;
  /**
   * TLS in transit (ElastiCache with transit encryption requires it).
   * @default true
   */
  readonly tls?: boolean;
}

/** Where the server's Redis runs: a typed choice. */
export abstract class Cache {
  /** A single Redis in the namespace, password-protected, optionally persistent. */
  static inCluster(props: InClusterRedisProps = {}): Cache {
    return new InClusterRedis(props);
  }

  /** An existing Redis outside the cluster, such as the ElastiCache group of the Terraform stack. */
  static external(props: ExternalRedisProps): Cache {
    return new ExternalRedis(props);
  }

  abstract bind(scope: Construct, context: DataStoreContext): DataStoreBinding;
}

/**
 * Where the in-cluster Redis container finds its password: the Secret, mounted as a file. The path
 * is inside the container, so it is the same for every instance.
 */
export const REDIS_PASSWORD_FILE = '/run/secrets/redis/password';
const REDIS_SECRET_DIR = '/run/secrets/redis';

/**
 * How the in-cluster Redis starts: `sh -c REDIS_START_SCRIPT redis-server <args>`, with
 * `REDIS_PASSWORD_FILE` naming the mounted Secret file. The password reaches redis-server as a
 * `requirepass` line on its standard input (`redis-server -`): never in an argument or an
 * environment variable, which the container runtime keeps in the container's spec on the node and
 * `ps`/`/proc` show. Every byte is written as a `\xHH` escape in a quoted string, so quotes,
 * backslashes and spaces arrive exactly as the MCP server sends them. One trailing newline (a
 * Secret made `--from-file` has one) is dropped, as the MCP server drops it when it reads its
 * copy. The here-document keeps `exec`, so redis-server is PID 1 and gets SIGTERM itself; dash,
 * the image's /bin/sh, feeds it through a pipe, which a read-only root filesystem allows. An empty
 * password would switch authentication off, so the script refuses to start without one (a file
 * holding only a newline counts as empty).
 */
export const REDIS_START_SCRIPT = [
  'set -eu',
  `hex=$(od -An -v -tx1 < "$REDIS_PASSWORD_FILE" | tr -d ' \\n' | sed 's/../\\\\x&/g')`,
  'hex=${hex%\\\\x0a}',
  '[ -n "$hex" ] || {',
  `  echo "$REDIS_PASSWORD_FILE is missing or empty: put the password under the key 'password' of the Secret" >&2`,
  '  exit 1',
  '}',
  'exec redis-server - "$@" <<EOF',
  'requirepass "$hex"',
  'EOF',
].join('\n');

/**
 * The in-cluster Redis's readiness check: it answers commands and has finished loading. Without
 * credentials the answer is NOAUTH, which proves both, so the probe never handles the password.
 */
export const REDIS_READY_SCRIPT = "redis-cli ping | grep -qE '^(PONG|NOAUTH)'";

class InClusterRedis extends Cache {
  constructor(private readonly props: InClusterRedisProps) {
    super();
    const where = 'Cache.inCluster';
    if (props.passwordSecret !== undefined) checkSecretName(where, 'passwordSecret', props.passwordSecret);
    check(where, 'image', props.image ?? 'redis:7.4.1-bookworm', pinnedImage);
    check(where, 'storageSize', props.storageSize ?? '1Gi', quantity);
    if (props.storageSize !== undefined && !props.persistence) {
      throw invalidProp(where, 'storageSize', 'be set only with persistence: true', props.storageSize);
    }
  }

  bind(scope: Construct, context: DataStoreContext): DataStoreBinding {
    checkInstance('Cache.inCluster', context.instance);
    const name = componentName(context.instance, 'redis');
    const secret = this.props.passwordSecret ?? name;
    const persistent = this.props.persistence ?? false;
    const labels = commonLabels(name, context.instance);
    const selector = selectorLabels(name, context.instance);
    const construct = new Construct(scope, 'Redis');
    new KubeService(construct, 'Service', {
      metadata: { name, labels },
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: 'redis', port: 6379, targetPort: IntOrString.fromString('redis'), protocol: 'TCP' }],
      },
    });
    const args = ['--protected-mode', 'yes', '--dir', '/data'];
    args.push(...(persistent ? ['--appendonly', 'yes'] : ['--save', '', '--appendonly', 'no']));
    new KubeStatefulSet(construct, 'Resource', {
      metadata: { name, labels },
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            ...restrictedPodSettings({ user: DATA_STORE_USER }),
            containers: [
              {
                name: 'redis',
                image: this.props.image ?? 'redis:7.4.1-bookworm',
                command: ['sh', '-c', REDIS_START_SCRIPT, 'redis-server'],
                args,
                ports: [{ name: 'redis', containerPort: 6379, protocol: 'TCP' }],
                env: [{ name: 'REDIS_PASSWORD_FILE', value: REDIS_PASSWORD_FILE }],
                resources: {
                  requests: { cpu: Quantity.fromString('50m'), memory: Quantity.fromString('64Mi') },
                  limits: { memory: Quantity.fromString('512Mi') },
                },
                readinessProbe: {
                  exec: { command: ['sh', '-c', REDIS_READY_SCRIPT] },
                  periodSeconds: 5,
                  timeoutSeconds: 2,
                },
                livenessProbe: { tcpSocket: { port: IntOrString.fromString('redis') }, periodSeconds: 10 },
                securityContext: restrictedContainerSecurity(DATA_STORE_USER),
                volumeMounts: [
                  { name: 'data', mountPath: '/data' },
                  { name: 'password', mountPath: REDIS_SECRET_DIR, readOnly: true },
                ],
              },
            ],
            volumes: [
              ...(persistent ? [] : [{ name: 'data', emptyDir: {} }]),
              passwordVolume(secret, SECRET_KEYS.redisPassword.password),
            ],
          },
        },
        ...(persistent
          ? {
              volumeClaimTemplates: [
                {
                  metadata: { name: 'data', labels },
                  spec: {
                    accessModes: ['ReadWriteOnce'],
                    resources: {
                      requests: { storage: Quantity.fromString(this.props.storageSize ?? '1Gi') },
                    },
                  },
                },
              ],
            }
          : {}),
      },
    });
    return {
      env: [
        { name: 'REDIS_HOST', value: name },
        { name: 'REDIS_PORT', value: '6379' },
        { name: 'REDIS_TLS', value: 'false' },
      ],
      secretFiles: [
        { variable: 'REDIS_PASSWORD', secretName: secret, key: SECRET_KEYS.redisPassword.password },
      ],
      peers: [{ podSelector: { matchLabels: selector } }],
      port: 6379,
      podSelector: selector,
    };
  }
}

class ExternalRedis extends Cache {
  constructor(private readonly props: ExternalRedisProps) {
    super();
    const where = 'Cache.external';
    requireProps(where, props, {
      connectionSecret: 'pass the Secret with host, port and password',
      cidrs: 'pass the CIDR blocks Redis lives in, such as ["10.0.0.0/16"]',
    });
    checkSecretName(where, 'connectionSecret', props.connectionSecret);
    checkCidrs(where, 'cidrs', props.cidrs);
    checkPort(where, 'port', props.port ?? 6379);
  }

  bind(): DataStoreBinding {
    const secret = this.props.connectionSecret;
    return {
      env: [
        secretEnv('REDIS_HOST', { secretName: secret, key: SECRET_KEYS.redisConnection.host }),
        secretEnv('REDIS_PORT', { secretName: secret, key: SECRET_KEYS.redisConnection.port }),
        { name: 'REDIS_TLS', value: String(this.props.tls ?? true) },
      ],
      secretFiles: [
        { variable: 'REDIS_PASSWORD', secretName: secret, key: SECRET_KEYS.redisConnection.password },
      ],
      peers: this.props.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
      port: this.props.port ?? 6379,
    };
  }
}
