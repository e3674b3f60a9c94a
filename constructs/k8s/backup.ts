/**
 * Backups of the in-cluster Postgres: a CronJob that runs `pg_dump` (custom format) with the
 * database's own image, checks the dump by reading it back to the end, moves it into place under
 * a sortable UTC name and keeps the newest `retention` dumps, on a PersistentVolumeClaim or in S3.
 * The scripts the jobs run are generated here, once, so the integration tests run exactly what the
 * CronJob carries; the restore Job for a dump is built here too (`mcpenv backup restore-job`).
 */
import { Chart } from 'cdk8s';
import {
  type Container,
  type EnvVar,
  IntOrString,
  KubeCronJob,
  KubeJob,
  KubeNetworkPolicy,
  KubePersistentVolumeClaim,
  KubeServiceAccount,
  type NetworkPolicyEgressRule,
  type PodSpec,
  Quantity,
  type Volume,
  type VolumeMount,
} from 'cdk8s-plus-28/lib/imports/k8s';
import { SECRET_KEYS } from '@mcpenv/contract';
import { Construct } from 'constructs';
import { cronGaps } from '../cron';
import { invalidProp, ValidationError } from '../errors';
import type { BackupCronJobTarget } from '../monitoring/backup-alerts';
import {
  awsRegion,
  check,
  cronSchedule,
  dnsSubdomain,
  iamRoleArn,
  pinnedImage,
  quantity,
  requireProps,
  s3BucketName,
  s3KeyPrefix,
  wholeNumber,
} from '../validators';
import { commonLabels, selectorLabels } from './labels';
import { componentName } from './names';
import { dnsEgress, NON_PUBLIC } from './network-policies';
import {
  imagePullPolicy,
  restrictedContainerSecurity,
  restrictedPodSettings,
  TMP_MOUNT,
  TMP_VOLUME,
} from './pod';

/** The user the official Postgres image runs as; the backup pods run as it too. */
const POSTGRES_USER_ID = 999;

/** Where the backup containers see the storage (the claim, or the scratch volume before S3). */
export const BACKUP_DIR = '/backup';
/** Where the backup and restore containers read the database password (a Secret file). */
export const BACKUP_PASSWORD_FILE = '/run/secrets/postgres/password';
/** Where the upload container reads the AWS keys of `credentialsSecret`. */
const AWS_CREDENTIALS_PATH = '/run/secrets/aws';
/** The web identity token of the IRSA role, projected for the STS audience only. */
const AWS_TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

/** Keys of a `credentialsSecret` holding static AWS keys. */
export const AWS_CREDENTIALS_KEYS = {
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
} as const;

/**
 * The AWS CLI image the S3 steps run in, pinned. It runs as the Postgres user (999) with a
 * read-only root filesystem and HOME in the scratch `/tmp`.
 */
export const DEFAULT_AWS_CLI_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.22.35';

// ---------------------------------------------------------------------------------------------
// Scripts

/**
 * The start of every script: stop at the first failing command, unset variable or failing stage
 * of a pipe; byte order for names; private files; `fail` says what went wrong on stderr and exits 1.
 * `$0` is the step's name (the argument after the script in `bash -c`).
 */
export const SCRIPT_PRELUDE = [
  'set -euo pipefail',
  'shopt -s nullglob',
  'export LC_ALL=C',
  'umask 077',
  `fail() { printf '%s: %s\\n' "$0" "$*" >&2; exit 1; }`,
  'require() {',
  '  local variable',
  '  for variable in "$@"; do',
  '    [ -n "${!variable:-}" ] || fail "the variable $variable is not set"',
  '  done',
  '}',
  'work=$(mktemp -d "${TMPDIR:-/tmp}/$0.XXXXXX")',
  `trap 'rm -rf -- "$work"' EXIT`,
];

/** The glob of the dumps a backup keeps, after `"<dir>/$BACKUP_PREFIX"`: `<prefix>20260105T030000Z.dump`. */
const DUMP_STAMP_GLOB = '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.dump';

/**
 * libpq's password from the mounted Secret file, through a pgpass file in the private temporary
 * folder: never in an argument or an environment variable. Trailing line breaks are dropped (as
 * the Postgres image's entrypoint drops them); `\` and `:` are escaped as pgpass requires.
 */
const PGPASS = [
  '[ -r "$BACKUP_PASSWORD_FILE" ] || fail "cannot read the password file $BACKUP_PASSWORD_FILE: check the credentials Secret"',
  'password=$(<"$BACKUP_PASSWORD_FILE")',
  '[ -n "$password" ] || fail "the password file $BACKUP_PASSWORD_FILE is empty"',
  String.raw`case $password in *$'\n'*) fail "the password in $BACKUP_PASSWORD_FILE has a line break, which a pgpass file cannot hold";; esac`,
  'password=${password//\\\\/\\\\\\\\}',
  'password=${password//:/\\\\:}',
  String.raw`printf '*:*:*:*:%s\n' "$password" > "$work/pgpass"`,
  'unset password',
  'export PGPASSFILE=$work/pgpass',
];

/**
 * Checks a dump before it is kept or restored: its table of contents lists (`pg_restore --list`),
 * and every data block reads and decompresses to the end (`pg_restore` to /dev/null), which a
 * truncated or damaged file fails.
 */
export const VERIFY_DUMP_FUNCTION = [
  'verify_dump() {',
  '  pg_restore --list "$1" > /dev/null ||',
  '    fail "$1 failed verification: its table of contents does not read (pg_restore --list)"',
  '  pg_restore --file=/dev/null "$1" ||',
  '    fail "$1 failed verification: it does not read to the end (truncated or damaged)"',
  '}',
].join('\n');

/**
 * The backup step, run by `bash -c <script> postgres-backup` in the database's image. It reads
 * libpq's PGHOST, PGPORT, PGDATABASE and PGUSER, and BACKUP_PASSWORD_FILE (the password, a
 * file), BACKUP_DIR (the storage), BACKUP_PREFIX (the dumps' names start with it) and
 * BACKUP_RETENTION (how many dumps to keep). It dumps to a hidden temporary name in BACKUP_DIR,
 * verifies the dump, moves it (one atomic rename) to `<prefix><UTC time>.dump`, and then removes
 * the oldest dumps until BACKUP_RETENTION remain; other files in the folder are never touched.
 * Any failure ends it with a message on stderr and exit status 1, and the temporary file removed.
 */
export function backupScript(): string {
  return [
    ...SCRIPT_PRELUDE,
    'require PGHOST PGPORT PGDATABASE PGUSER BACKUP_PASSWORD_FILE BACKUP_DIR BACKUP_PREFIX BACKUP_RETENTION',
    'case $BACKUP_RETENTION in',
    `  ''|*[!0-9]*|0*) fail "BACKUP_RETENTION must be a whole number of at least 1 (got '$BACKUP_RETENTION')";;`,
    'esac',
    '[ -d "$BACKUP_DIR" ] && [ -w "$BACKUP_DIR" ] || fail "$BACKUP_DIR is not a writable folder: check the backup volume"',
    ...PGPASS,
    VERIFY_DUMP_FUNCTION,
    '# Leftovers of a run that was killed before it could clean up (runs never overlap).',
    'for stale in "$BACKUP_DIR/.$BACKUP_PREFIX"*.partial; do rm -f -- "$stale"; done',
    'stamp=$(date -u +%Y%m%dT%H%M%SZ)',
    'final=$BACKUP_DIR/$BACKUP_PREFIX$stamp.dump',
    'partial=$BACKUP_DIR/.$BACKUP_PREFIX$stamp.partial',
    '[ ! -e "$final" ] || fail "$final already exists: another backup finished in the same second"',
    `trap 'rm -rf -- "$work"; rm -f -- "$partial"' EXIT`,
    'pg_dump --format=custom --no-password --file="$partial" ||',
    '  fail "pg_dump of the database $PGDATABASE on $PGHOST:$PGPORT failed"',
    'verify_dump "$partial"',
    'sync -- "$partial"',
    'mv -f -T -- "$partial" "$final"',
    'sync -- "$BACKUP_DIR"',
    'echo "stored $final ($(stat -c %s -- "$final") bytes)"',
    'kept=()',
    `for dump in "$BACKUP_DIR/$BACKUP_PREFIX"${DUMP_STAMP_GLOB}; do`,
    '  if [ -f "$dump" ] && [ ! -L "$dump" ]; then kept+=("$dump"); fi',
    'done',
    'excess=$(( ${#kept[@]} - BACKUP_RETENTION ))',
    'for (( i = 0; i < excess; i++ )); do',
    '  rm -f -- "${kept[i]}" || fail "could not remove the old dump ${kept[i]}"',
    '  echo "removed ${kept[i]} (keeping the newest $BACKUP_RETENTION)"',
    'done',
    '',
  ].join('\n');
}

/**
 * The restore step, run by `bash -c <script> postgres-restore` in the database's image: verifies
 * `$BACKUP_DIR/$RESTORE_DUMP_NAME` as the backup does, then restores it into PGDATABASE in one
 * transaction with `pg_restore --clean --if-exists --exit-on-error --single-transaction`, objects
 * owned by the restoring user (`--no-owner --no-acl`). A failure rolls everything back and ends
 * it with a message on stderr and exit status 1; the database is then as it was.
 */
export function restoreScript(): string {
  return [
    ...SCRIPT_PRELUDE,
    'require PGHOST PGPORT PGDATABASE PGUSER BACKUP_PASSWORD_FILE BACKUP_DIR RESTORE_DUMP_NAME',
    'dump=$BACKUP_DIR/$RESTORE_DUMP_NAME',
    'if [ ! -f "$dump" ]; then',
    '  available=("$BACKUP_DIR"/*.dump)',
    '  fail "there is no dump $dump; the dumps there: ${available[*]##*/}"',
    'fi',
    ...PGPASS,
    VERIFY_DUMP_FUNCTION,
    'verify_dump "$dump"',
    'pg_restore --clean --if-exists --exit-on-error --single-transaction --no-owner --no-acl \\',
    '  --no-password --dbname="$PGDATABASE" "$dump" ||',
    '  fail "restoring $dump into $PGDATABASE failed and was rolled back: the database is unchanged"',
    'echo "restored $dump into the database $PGDATABASE on $PGHOST:$PGPORT"',
    '',
  ].join('\n');
}

/**
 * The AWS credentials of the S3 steps: with AWS_CREDENTIALS_PATH, the static keys mounted from the
 * Secret become a shared-credentials file in the private temporary folder (never variables);
 * otherwise the CLI finds the IRSA web identity from AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE.
 */
const AWS_CREDENTIALS = [
  'if [ -n "${AWS_CREDENTIALS_PATH:-}" ]; then',
  '  key_id=$(<"$AWS_CREDENTIALS_PATH/access-key-id")',
  '  secret=$(<"$AWS_CREDENTIALS_PATH/secret-access-key")',
  '  [ -n "$key_id" ] && [ -n "$secret" ] || fail "the AWS credentials Secret has an empty key"',
  String.raw`  printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key_id" "$secret" > "$work/credentials"`,
  '  unset key_id secret',
  '  export AWS_SHARED_CREDENTIALS_FILE=$work/credentials',
  'fi',
];

/**
 * The S3 upload step, run by `bash -c <script> s3-upload` in the AWS CLI image after the backup
 * step has left one dump in BACKUP_DIR: uploads it to `s3://$S3_BUCKET/$S3_PREFIX/<name>`,
 * checks the object's size, then deletes the oldest dump objects under the prefix until
 * BACKUP_RETENTION remain (other objects are never touched). An S3 lifecycle rule that expires
 * `$S3_PREFIX/` objects is the alternative to this pruning.
 */
export function s3UploadScript(): string {
  return [
    ...SCRIPT_PRELUDE,
    'require BACKUP_DIR BACKUP_PREFIX BACKUP_RETENTION S3_BUCKET S3_PREFIX AWS_REGION',
    `dumps=("$BACKUP_DIR/$BACKUP_PREFIX"${DUMP_STAMP_GLOB})`,
    '[ "${#dumps[@]}" -eq 1 ] || fail "expected the one dump of the backup step in $BACKUP_DIR, found ${#dumps[@]}"',
    'dump=${dumps[0]}',
    'key=$S3_PREFIX/${dump##*/}',
    ...AWS_CREDENTIALS,
    'aws s3 cp --only-show-errors --no-progress "$dump" "s3://$S3_BUCKET/$key" ||',
    '  fail "uploading $dump to s3://$S3_BUCKET/$key failed"',
    'size=$(aws s3api head-object --bucket "$S3_BUCKET" --key "$key" --query ContentLength --output text) ||',
    '  fail "cannot read back s3://$S3_BUCKET/$key"',
    '[ "$size" = "$(stat -c %s -- "$dump")" ] || fail "s3://$S3_BUCKET/$key has $size bytes, the dump more"',
    'echo "stored s3://$S3_BUCKET/$key ($size bytes)"',
    'listing=$(aws s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$S3_PREFIX/$BACKUP_PREFIX" \\',
    '  --query \'Contents[].Key\' --output text) || fail "cannot list s3://$S3_BUCKET/$S3_PREFIX/"',
    'keys=()',
    'set -f',
    'for candidate in $listing; do',
    `  if [[ $candidate == "$S3_PREFIX/$BACKUP_PREFIX"${DUMP_STAMP_GLOB} ]]; then keys+=("$candidate"); fi`,
    'done',
    'set +f',
    '[ "${#keys[@]}" -eq 0 ] || mapfile -t keys < <(printf \'%s\\n\' "${keys[@]}" | sort)',
    'excess=$(( ${#keys[@]} - BACKUP_RETENTION ))',
    'for (( i = 0; i < excess; i++ )); do',
    '  aws s3api delete-object --bucket "$S3_BUCKET" --key "${keys[i]}" > /dev/null ||',
    '    fail "could not delete the old dump s3://$S3_BUCKET/${keys[i]}"',
    '  echo "removed s3://$S3_BUCKET/${keys[i]} (keeping the newest $BACKUP_RETENTION)"',
    'done',
    '',
  ].join('\n');
}

/** The S3 download step of a restore, in the AWS CLI image: fetches the named dump into BACKUP_DIR. */
export function s3DownloadScript(): string {
  return [
    ...SCRIPT_PRELUDE,
    'require BACKUP_DIR RESTORE_DUMP_NAME S3_BUCKET S3_PREFIX AWS_REGION',
    ...AWS_CREDENTIALS,
    'aws s3 cp --only-show-errors --no-progress "s3://$S3_BUCKET/$S3_PREFIX/$RESTORE_DUMP_NAME" \\',
    '  "$BACKUP_DIR/$RESTORE_DUMP_NAME" || fail "downloading s3://$S3_BUCKET/$S3_PREFIX/$RESTORE_DUMP_NAME failed"',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Storage

export interface PersistentVolumeBackupOptions {
  /**
   * Size of the claim: room for `retention` dumps plus one being written.
   * @default '10Gi'
   */
  readonly size?: string;
  /**
   * StorageClass of the claim; `''` binds only to volumes without a class.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
}

export interface ExistingClaimBackupOptions {
  /** Name of an existing PersistentVolumeClaim in the namespace, writable by uid/gid 999. */
  readonly claimName: string;
}

export interface S3BackupOptions {
  /** Bucket the dumps go to; turn on its default encryption and versioning as you see fit. */
  readonly bucket: string;
  /** AWS region of the bucket. */
  readonly region: string;
  /**
   * Key prefix of the dumps: they are `<prefix>/<database>-<UTC time>.dump`.
   * @default - `mcpenv/<instance>/postgres`
   */
  readonly prefix?: string;
  /**
   * Existing Secret with static keys under `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`,
   * mounted as files. Give this or `roleArn`.
   * @default - none: `roleArn` is required
   */
  readonly credentialsSecret?: string;
  /**
   * IAM role the backup's service account assumes through IRSA (EKS's OIDC provider): its trust
   * policy must allow `system:serviceaccount:<namespace>:<instance>-backup`. Give this or
   * `credentialsSecret`.
   * @default - none: `credentialsSecret` is required
   */
  readonly roleArn?: string;
  /**
   * AWS CLI image for the upload (and the restore's download), pinned.
   * @default DEFAULT_AWS_CLI_IMAGE
   */
  readonly awsCliImage?: string;
  /**
   * Size limit of the scratch volume the dump is written to before the upload.
   * @default '10Gi'
   */
  readonly scratchSize?: string;
}

/** What the pods of the backup (and restore) need for a storage choice. */
interface StorageParts {
  /** The volume named `backup`. */
  readonly volume: Volume;
  readonly volumes: readonly Volume[];
  /** Added to the S3 containers. */
  readonly awsEnv: readonly EnvVar[];
  readonly awsMounts: readonly VolumeMount[];
  readonly awsCliImage?: string;
  readonly s3Env: readonly EnvVar[];
}

/** Where the dumps are kept: a typed choice. */
export abstract class BackupStorage {
  /** A PersistentVolumeClaim made for the backups, `<instance>-backup`. */
  static persistentVolume(options: PersistentVolumeBackupOptions = {}): BackupStorage {
    return new PersistentVolumeStorage(options);
  }

  /** An existing PersistentVolumeClaim. */
  static existingClaim(options: ExistingClaimBackupOptions): BackupStorage {
    return new ExistingClaimStorage(options);
  }

  /** An S3 bucket, with credentials by reference only: an existing Secret or an IRSA role. */
  static s3(options: S3BackupOptions): BackupStorage {
    return new S3Storage(options);
  }

  /** Whether the dumps leave the cluster over HTTPS. */
  get isS3(): boolean {
    return false;
  }

  /** Creates what the choice needs and says how pods reach it. */
  abstract bind(scope: Construct, name: string, instance: string): StorageParts;
}

class PersistentVolumeStorage extends BackupStorage {
  constructor(private readonly options: PersistentVolumeBackupOptions) {
    super();
    const where = 'BackupStorage.persistentVolume';
    check(where, 'size', options.size ?? '10Gi', quantity);
    if (options.storageClassName !== undefined && options.storageClassName !== '') {
      check(where, 'storageClassName', options.storageClassName, dnsSubdomain);
    }
  }

  bind(scope: Construct, name: string, instance: string): StorageParts {
    new KubePersistentVolumeClaim(scope, 'Storage', {
      metadata: { name, labels: commonLabels(name, instance) },
      spec: {
        accessModes: ['ReadWriteOnce'],
        ...(this.options.storageClassName !== undefined
          ? { storageClassName: this.options.storageClassName }
          : {}),
        resources: { requests: { storage: Quantity.fromString(this.options.size ?? '10Gi') } },
      },
    });
    return claimParts(name);
  }
}

function claimParts(claimName: string): StorageParts {
  const volume = { name: 'backup', persistentVolumeClaim: { claimName } };
  return { volume, volumes: [volume], awsEnv: [], awsMounts: [], s3Env: [] };
}

class ExistingClaimStorage extends BackupStorage {
  constructor(private readonly options: ExistingClaimBackupOptions) {
    super();
    const where = 'BackupStorage.existingClaim';
    requireProps(where, options, { claimName: 'pass the name of an existing PersistentVolumeClaim' });
    check(where, 'claimName', options.claimName, dnsSubdomain);
  }

  bind(): StorageParts {
    return claimParts(this.options.claimName);
  }
}

class S3Storage extends BackupStorage {
  constructor(private readonly options: S3BackupOptions) {
    super();
    const where = 'BackupStorage.s3';
    requireProps(where, options, {
      bucket: 'pass the bucket the dumps go to',
      region: 'pass the AWS region of the bucket, such as "eu-west-1"',
    });
    check(where, 'bucket', options.bucket, s3BucketName);
    check(where, 'region', options.region, awsRegion);
    if (options.prefix !== undefined) check(where, 'prefix', options.prefix, s3KeyPrefix);
    check(where, 'awsCliImage', options.awsCliImage ?? DEFAULT_AWS_CLI_IMAGE, pinnedImage);
    check(where, 'scratchSize', options.scratchSize ?? '10Gi', quantity);
    const { credentialsSecret, roleArn } = options;
    if ((credentialsSecret === undefined) === (roleArn === undefined)) {
      throw invalidProp(
        where,
        credentialsSecret === undefined ? 'credentialsSecret' : 'roleArn',
        'be given, or roleArn, but not both',
        credentialsSecret ?? roleArn,
        'name an existing Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an IAM role for IRSA',
      );
    }
    if (credentialsSecret !== undefined) check(where, 'credentialsSecret', credentialsSecret, dnsSubdomain);
    if (roleArn !== undefined) check(where, 'roleArn', roleArn, iamRoleArn);
  }

  override get isS3(): boolean {
    return true;
  }

  bind(_scope: Construct, _name: string, instance: string): StorageParts {
    const { credentialsSecret, roleArn } = this.options;
    const volume: Volume = {
      name: 'backup',
      emptyDir: { sizeLimit: Quantity.fromString(this.options.scratchSize ?? '10Gi') },
    };
    const credentials: Volume[] =
      credentialsSecret !== undefined
        ? [
            {
              name: 'aws-credentials',
              secret: {
                secretName: credentialsSecret,
                items: [
                  { key: AWS_CREDENTIALS_KEYS.accessKeyId, path: 'access-key-id' },
                  { key: AWS_CREDENTIALS_KEYS.secretAccessKey, path: 'secret-access-key' },
                ],
                defaultMode: 0o440,
              },
            },
          ]
        : [
            {
              name: 'aws-token',
              projected: {
                sources: [
                  {
                    serviceAccountToken: {
                      audience: 'sts.amazonaws.com',
                      expirationSeconds: 86_400,
                      path: 'token',
                    },
                  },
                ],
                defaultMode: 0o440,
              },
            },
          ];
    return {
      volume,
      volumes: [volume, ...credentials],
      awsCliImage: this.options.awsCliImage ?? DEFAULT_AWS_CLI_IMAGE,
      awsEnv: [
        { name: 'AWS_REGION', value: this.options.region },
        { name: 'HOME', value: '/tmp' },
        { name: 'AWS_PAGER', value: '' },
        ...(roleArn !== undefined
          ? [
              { name: 'AWS_ROLE_ARN', value: roleArn },
              { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: `${AWS_TOKEN_DIR}/token` },
            ]
          : [{ name: 'AWS_CREDENTIALS_PATH', value: AWS_CREDENTIALS_PATH }]),
      ],
      awsMounts:
        roleArn !== undefined
          ? [{ name: 'aws-token', mountPath: AWS_TOKEN_DIR, readOnly: true }]
          : [{ name: 'aws-credentials', mountPath: AWS_CREDENTIALS_PATH, readOnly: true }],
      s3Env: [
        { name: 'S3_BUCKET', value: this.options.bucket },
        { name: 'S3_PREFIX', value: this.options.prefix ?? `mcpenv/${instance}/postgres` },
      ],
    };
  }
}

// ---------------------------------------------------------------------------------------------
// The construct

/** The `backup` option of `Database.inCluster`. */
export interface PostgresBackupOptions {
  /**
   * When to back up: a five-field cron schedule in UTC (the CronJob's `timeZone` is `Etc/UTC`).
   * The staleness alert fires when the last success is older than twice the longest gap between
   * two runs of it.
   * @default '0 3 * * *'
   */
  readonly schedule?: string;
  /**
   * How many dumps to keep: after each successful backup, all but the newest `retention` go.
   * @default 7
   */
  readonly retention?: number;
  /**
   * Where the dumps are kept.
   * @default BackupStorage.persistentVolume()
   */
  readonly storage?: BackupStorage;
  /**
   * Longest time one backup run may take (the Job's `activeDeadlineSeconds`).
   * @default 3600
   */
  readonly timeoutSeconds?: number;
}

export interface PostgresBackupProps extends PostgresBackupOptions {
  /** The environment's instance: the objects are `<instance>-backup`. */
  readonly instance: string;
  /** The Postgres image, pinned: pg_dump and pg_restore match the server. */
  readonly image: string;
  /** The database to back up. */
  readonly database: string;
  /** The Secret with `username` and `password` of the database. */
  readonly credentialsSecret: string;
  /** The Postgres Service's name (PGHOST). */
  readonly postgresServiceName: string;
  /** Labels of the Postgres pods, for the egress policy. */
  readonly postgresPodSelector: Readonly<Record<string, string>>;
}

/** Checks the `backup` option; `where` and `prefix` say whose prop it is. */
export function checkBackupOptions(where: string, prefix: string, options: PostgresBackupOptions): void {
  if (options === null || typeof options !== 'object') {
    throw invalidProp(where, prefix.replace(/\.$/, ''), 'be an object of backup options', options);
  }
  check(where, `${prefix}schedule`, options.schedule ?? '0 3 * * *', cronSchedule);
  check(where, `${prefix}retention`, options.retention ?? 7, wholeNumber(1, 1000));
  check(where, `${prefix}timeoutSeconds`, options.timeoutSeconds ?? 3600, wholeNumber(60, 7 * 86_400));
  if (options.storage !== undefined && !(options.storage instanceof BackupStorage)) {
    throw invalidProp(
      where,
      `${prefix}storage`,
      'be a BackupStorage',
      options.storage,
      'use BackupStorage.persistentVolume(), .existingClaim() or .s3()',
    );
  }
}

const DAY_SECONDS = 86_400;

/**
 * The backup CronJob of an in-cluster Postgres, with its ServiceAccount (no API token), the
 * storage's claim when it makes one, and a NetworkPolicy that lets its pods reach only Postgres,
 * DNS and (for S3) HTTPS on public addresses. Made by `Database.inCluster({ backup })`.
 */
export class PostgresBackup extends Construct {
  /** The CronJob (the construct's `Resource`). */
  readonly cronJob: KubeCronJob;
  readonly networkPolicy: KubeNetworkPolicy;
  /** Name of the CronJob and the other objects: `<instance>-backup`. */
  readonly name: string;
  /** Labels of the backup (and restore) pods, which the Postgres ingress policy admits. */
  readonly podSelector: Readonly<Record<string, string>>;
  /** The schedule, as given or defaulted. */
  readonly schedule: string;
  /** What the backup alerts watch: this CronJob, in the chart's namespace. */
  readonly alertTarget: BackupCronJobTarget;
  /** Dumps are named `<dumpPrefix><UTC time>.dump`. */
  readonly dumpPrefix: string;
  private readonly props: PostgresBackupProps;
  private readonly storage: StorageParts;
  private readonly storageChoice: BackupStorage;

  constructor(scope: Construct, id: string, props: PostgresBackupProps) {
    super(scope, id);
    checkBackupOptions('PostgresBackup', '', props);
    this.props = props;
    this.name = componentName(props.instance, 'backup');
    this.schedule = props.schedule ?? '0 3 * * *';
    this.dumpPrefix = `${props.database}-`;
    this.podSelector = selectorLabels(this.name, props.instance);
    this.storageChoice = props.storage ?? BackupStorage.persistentVolume();
    const labels = commonLabels(this.name, props.instance);
    const gaps = cronGaps(this.schedule);
    const namespace = Chart.of(this).namespace;
    this.alertTarget = {
      name: this.name,
      schedule: this.schedule,
      ...(namespace !== undefined ? { namespace } : {}),
    };

    this.storage = this.storageChoice.bind(this, this.name, props.instance);
    new KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: this.name, labels },
      automountServiceAccountToken: false,
    });
    this.cronJob = new KubeCronJob(this, 'Resource', {
      metadata: { name: this.name, labels },
      spec: {
        schedule: this.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        // Start late rather than never (a controller restart), but not into the next run.
        startingDeadlineSeconds: Math.min(3600, Math.max(60, Math.floor(gaps.shortestSeconds / 2))),
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: props.timeoutSeconds ?? 3600,
            ttlSecondsAfterFinished: 7 * DAY_SECONDS,
            template: { metadata: { labels }, spec: this.backupPodSpec() },
          },
        },
      },
    });

    const https: NetworkPolicyEgressRule[] = this.storageChoice.isS3
      ? [
          {
            to: [{ ipBlock: { cidr: '0.0.0.0/0', except: NON_PUBLIC } }],
            ports: [{ protocol: 'TCP', port: IntOrString.fromNumber(443) }],
          },
        ]
      : [];
    this.networkPolicy = new KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: this.name, labels },
      spec: {
        podSelector: { matchLabels: { ...this.podSelector } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [
          {
            to: [{ podSelector: { matchLabels: { ...props.postgresPodSelector } } }],
            ports: [{ protocol: 'TCP', port: IntOrString.fromNumber(5432) }],
          },
          dnsEgress(),
          ...https,
        ],
      },
    });
  }

  /** libpq's settings and the password file, for the backup and restore containers. */
  private postgresEnv(): EnvVar[] {
    return [
      { name: 'PGHOST', value: this.props.postgresServiceName },
      { name: 'PGPORT', value: '5432' },
      { name: 'PGDATABASE', value: this.props.database },
      {
        name: 'PGUSER',
        valueFrom: {
          secretKeyRef: { name: this.props.credentialsSecret, key: SECRET_KEYS.postgresCredentials.username },
        },
      },
      // Inside the namespace, behind NetworkPolicies; the image serves no certificate.
      { name: 'PGSSLMODE', value: 'disable' },
      { name: 'PGCONNECT_TIMEOUT', value: '15' },
      { name: 'BACKUP_PASSWORD_FILE', value: BACKUP_PASSWORD_FILE },
      { name: 'BACKUP_DIR', value: BACKUP_DIR },
      { name: 'TMPDIR', value: '/tmp' },
    ];
  }

  private postgresContainer(name: string, script: string, env: readonly EnvVar[]): Container {
    return {
      name,
      image: this.props.image,
      imagePullPolicy: imagePullPolicy(this.props.image),
      command: ['bash', '-c', script, `postgres-${name}`],
      env: [...this.postgresEnv(), ...env],
      resources: {
        requests: { cpu: Quantity.fromString('100m'), memory: Quantity.fromString('128Mi') },
        limits: { memory: Quantity.fromString('512Mi') },
      },
      securityContext: restrictedContainerSecurity(POSTGRES_USER_ID),
      volumeMounts: [
        TMP_MOUNT,
        { name: 'backup', mountPath: BACKUP_DIR },
        {
          name: 'password',
          mountPath: BACKUP_PASSWORD_FILE.slice(0, BACKUP_PASSWORD_FILE.lastIndexOf('/')),
          readOnly: true,
        },
      ],
    };
  }

  private awsContainer(name: string, script: string, env: readonly EnvVar[]): Container {
    const image = this.storage.awsCliImage ?? DEFAULT_AWS_CLI_IMAGE;
    return {
      name,
      image,
      imagePullPolicy: imagePullPolicy(image),
      command: ['bash', '-c', script, name],
      env: [...this.storage.awsEnv, ...this.storage.s3Env, { name: 'BACKUP_DIR', value: BACKUP_DIR }, ...env],
      resources: {
        requests: { cpu: Quantity.fromString('50m'), memory: Quantity.fromString('128Mi') },
        limits: { memory: Quantity.fromString('512Mi') },
      },
      securityContext: restrictedContainerSecurity(POSTGRES_USER_ID),
      volumeMounts: [TMP_MOUNT, { name: 'backup', mountPath: BACKUP_DIR }, ...this.storage.awsMounts],
    };
  }

  private podSpec(containers: Container[], initContainers: Container[]): PodSpec {
    const pod = restrictedPodSettings({ serviceAccountName: this.name, user: POSTGRES_USER_ID });
    return {
      ...pod,
      // A large claim is chowned to the fsGroup once, not on every run.
      securityContext: { ...pod.securityContext, fsGroupChangePolicy: 'OnRootMismatch' },
      restartPolicy: 'Never',
      ...(initContainers.length > 0 ? { initContainers } : {}),
      containers,
      volumes: [
        TMP_VOLUME,
        {
          name: 'password',
          secret: {
            secretName: this.props.credentialsSecret,
            items: [{ key: SECRET_KEYS.postgresCredentials.password, path: 'password' }],
            defaultMode: 0o440,
          },
        },
        ...this.storage.volumes,
      ],
    };
  }

  private backupPodSpec(): PodSpec {
    const env = [
      { name: 'BACKUP_PREFIX', value: this.dumpPrefix },
      { name: 'BACKUP_RETENTION', value: String(this.props.retention ?? 7) },
    ];
    if (!this.storageChoice.isS3)
      return this.podSpec([this.postgresContainer('backup', backupScript(), env)], []);
    // The dump is made and verified first; the upload runs only after it succeeded.
    return this.podSpec(
      [this.awsContainer('s3-upload', s3UploadScript(), env)],
      [this.postgresContainer('backup', backupScript(), env)],
    );
  }

  /** Checks a dump's name as the backups write it, for a restore. */
  checkDumpName(dump: string): void {
    const pattern = new RegExp(
      `^${this.dumpPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\d{8}T\\d{6}Z\\.dump$`,
    );
    if (!pattern.test(dump)) {
      throw new ValidationError(
        `\`--dump\` must be the name of a dump of this environment, such as ${this.dumpPrefix}20260105T030000Z.dump ` +
          `(got ${JSON.stringify(dump)}): list the backup storage and copy a name`,
      );
    }
  }

  /**
   * The Job that restores `dump` (a file name the backups wrote) into the database, as a manifest
   * for `kubectl create -f -`: the same image, password file, storage and pod labels as the
   * backups (so the NetworkPolicies admit it), with `restoreScript()`; for S3 an init container
   * downloads the dump first. Stop the server and suspend the CronJob while it runs.
   */
  restoreJobManifest(dump: string): Record<string, unknown> {
    this.checkDumpName(dump);
    const name = `${this.props.instance}-restore`;
    const labels = commonLabels(this.name, this.props.instance);
    const env = [{ name: 'RESTORE_DUMP_NAME', value: dump }];
    const restore = this.postgresContainer('restore', restoreScript(), env);
    const spec = this.storageChoice.isS3
      ? this.podSpec([restore], [this.awsContainer('s3-download', s3DownloadScript(), env)])
      : this.podSpec([restore], []);
    const namespace = Chart.of(this).namespace;
    return KubeJob.manifest({
      metadata: { name, ...(namespace !== undefined ? { namespace } : {}), labels },
      spec: {
        // A restore that failed has rolled back: look at its log before trying again.
        backoffLimit: 0,
        activeDeadlineSeconds: this.props.timeoutSeconds ?? 3600,
        ttlSecondsAfterFinished: DAY_SECONDS,
        template: { metadata: { labels }, spec },
      },
    }) as Record<string, unknown>;
  }
}
