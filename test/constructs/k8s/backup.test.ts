import { Chart, Testing } from 'cdk8s';
import { validateManifests } from '../../../app/validate';
import {
  AWS_CREDENTIALS_KEYS,
  BACKUP_PASSWORD_FILE,
  BackupStorage,
  backupScript,
  DEFAULT_AWS_CLI_IMAGE,
  type PostgresBackupOptions,
  restoreScript,
  s3DownloadScript,
  s3UploadScript,
} from '../../../constructs/k8s/backup';
import { Database } from '../../../constructs/k8s/data';
import { McpEnvironment } from '../../../constructs/k8s/environment';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

/** An environment with backups in the chart namespace `mcp-team`. */
function synth(
  backup: PostgresBackupOptions = {},
  database: { image?: string; credentialsSecret?: string } = {},
) {
  const chart = new Chart(Testing.app(), 'team', { namespace: 'mcp-team' });
  const environment = new McpEnvironment(chart, 'Env', {
    image: 'ghcr.io/acme/mcp:2.0.0',
    publicUrl: 'https://mcp.acme.dev',
    instance: 'team',
    database: Database.inCluster({ ...database, backup }),
  });
  return { environment, objects: Testing.synth(chart) as Manifest[] };
}

function find(objects: Manifest[], kind: string, name = 'team-backup'): Manifest {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} synthesized`);
  return found;
}

const podOf = (objects: Manifest[]) => find(objects, 'CronJob').spec.jobTemplate.spec.template.spec;

describe('Database.inCluster({ backup })', () => {
  test('makes a PersistentVolumeClaim, ServiceAccount, CronJob and NetworkPolicy named `<instance>-backup`', () => {
    const names = synth()
      .objects.filter((o) => o.metadata.name === 'team-backup')
      .map((o) => o.kind);
    expect(names).toEqual(['PersistentVolumeClaim', 'ServiceAccount', 'CronJob', 'NetworkPolicy']);
  });

  test('makes nothing for backups without the option', () => {
    const chart = new Chart(Testing.app(), 'team', { namespace: 'mcp-team' });
    new McpEnvironment(chart, 'Env', {
      image: 'ghcr.io/acme/mcp:2.0.0',
      publicUrl: 'https://mcp.acme.dev',
      instance: 'team',
    });
    const objects = Testing.synth(chart) as Manifest[];
    expect(objects.filter((o) => o.metadata.name.includes('backup'))).toEqual([]);
    expect(JSON.stringify(objects)).not.toContain('kube_cronjob');
  });

  test('schedules the dump in UTC, one run at a time, bounded in time, with history kept and cleaned', () => {
    const cronJob = find(synth({ schedule: '*/30 * * * *', timeoutSeconds: 900 }).objects, 'CronJob');
    expect(cronJob.spec).toMatchObject({
      schedule: '*/30 * * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 900,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
    expect(cronJob.spec.jobTemplate.spec).toMatchObject({
      backoffLimit: 2,
      activeDeadlineSeconds: 900,
      ttlSecondsAfterFinished: 604800,
    });
    expect(cronJob.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Never');
  });

  test('defaults to a daily dump at 03:00 UTC kept 7 times, starting at most an hour late', () => {
    const cronJob = find(synth().objects, 'CronJob');
    expect(cronJob.spec).toMatchObject({ schedule: '0 3 * * *', startingDeadlineSeconds: 3600 });
    expect(podOf(synth().objects).containers[0].env).toEqual(
      expect.arrayContaining([{ name: 'BACKUP_RETENTION', value: '7' }]),
    );
  });

  test('runs pg_dump with the database image under the restricted profile, on a read-only root filesystem', () => {
    const pod = podOf(synth({}, { image: 'postgres:16.4-bookworm' }).objects);
    expect(pod).toMatchObject({
      automountServiceAccountToken: false,
      serviceAccountName: 'team-backup',
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 999,
        runAsGroup: 999,
        fsGroup: 999,
        seccompProfile: { type: 'RuntimeDefault' },
      },
    });
    const [container] = pod.containers;
    expect(pod.containers).toHaveLength(1);
    expect(container.image).toBe('postgres:16.4-bookworm');
    expect(container.command).toEqual(['bash', '-c', backupScript(), 'postgres-backup']);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 999,
      runAsGroup: 999,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.resources.limits.memory).toBeDefined();
    expect(container.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'tmp', mountPath: '/tmp' },
        { name: 'backup', mountPath: '/backup' },
      ]),
    );
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        { name: 'backup', persistentVolumeClaim: { claimName: 'team-backup' } },
      ]),
    );
  });

  test('reads the password from the credentials Secret as a file, never from a variable or an argument', () => {
    const pod = podOf(synth({}, { credentialsSecret: 'pg-creds' }).objects);
    const [container] = pod.containers;
    expect(pod.volumes).toContainEqual({
      name: 'password',
      secret: { secretName: 'pg-creds', items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 },
    });
    expect(container.volumeMounts).toContainEqual({
      name: 'password',
      mountPath: BACKUP_PASSWORD_FILE.slice(0, BACKUP_PASSWORD_FILE.lastIndexOf('/')),
      readOnly: true,
    });
    expect(container.env).toContainEqual({ name: 'BACKUP_PASSWORD_FILE', value: BACKUP_PASSWORD_FILE });
    expect(container.env).toContainEqual({
      name: 'PGUSER',
      valueFrom: { secretKeyRef: { name: 'pg-creds', key: 'username' } },
    });
    const names = (container.env as { name: string }[]).map((variable) => variable.name);
    expect(names).not.toContain('PGPASSWORD');
    for (const variable of container.env as { valueFrom?: { secretKeyRef?: { key: string } } }[]) {
      expect(variable.valueFrom?.secretKeyRef?.key).not.toBe('password');
    }
    expect(backupScript()).toContain('export PGPASSFILE=$work/pgpass');
    expect(backupScript()).not.toMatch(/PGPASSWORD|--password|-W\b/);
  });

  test('passes the restricted pod security checks and holds no literal secret', () => {
    for (const storage of [
      BackupStorage.persistentVolume(),
      BackupStorage.s3({ bucket: 'acme-backups', region: 'eu-west-1', credentialsSecret: 'aws-keys' }),
      BackupStorage.s3({
        bucket: 'acme-backups',
        region: 'eu-west-1',
        roleArn: 'arn:aws:iam::123456789012:role/backup',
      }),
    ]) {
      const { findings } = validateManifests(synth({ storage }).objects);
      expect(findings).toEqual([]);
    }
  });

  test('lets the backup pods reach only Postgres and DNS, and admits them to Postgres', () => {
    const { objects } = synth();
    const policy = find(objects, 'NetworkPolicy');
    const backupPods = { 'app.kubernetes.io/name': 'team-backup', 'app.kubernetes.io/instance': 'team' };
    const postgresPods = { 'app.kubernetes.io/name': 'team-postgres', 'app.kubernetes.io/instance': 'team' };
    expect(policy.spec.podSelector).toEqual({ matchLabels: backupPods });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([]);
    expect(policy.spec.egress).toHaveLength(2);
    expect(policy.spec.egress[0]).toEqual({
      to: [{ podSelector: { matchLabels: postgresPods } }],
      ports: [{ protocol: 'TCP', port: 5432 }],
    });
    expect(policy.spec.egress[1].ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    const postgres = find(objects, 'NetworkPolicy', 'team-postgres');
    expect(postgres.spec.ingress[0].from).toEqual([
      {
        podSelector: {
          matchLabels: { 'app.kubernetes.io/name': 'team-server', 'app.kubernetes.io/instance': 'team' },
        },
      },
      { podSelector: { matchLabels: backupPods } },
    ]);
    expect(podOf(objects).containers[0].env).toContainEqual({ name: 'PGHOST', value: 'team-postgres' });
  });

  test('sizes the claim and its StorageClass as told, or uses an existing claim and makes none', () => {
    const made = find(
      synth({ storage: BackupStorage.persistentVolume({ size: '50Gi', storageClassName: 'gp3' }) }).objects,
      'PersistentVolumeClaim',
    );
    expect(made.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'gp3',
      resources: { requests: { storage: '50Gi' } },
    });
    const { objects } = synth({ storage: BackupStorage.existingClaim({ claimName: 'nightly' }) });
    expect(
      objects.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'team-backup'),
    ).toEqual([]);
    expect(podOf(objects).volumes).toContainEqual({
      name: 'backup',
      persistentVolumeClaim: { claimName: 'nightly' },
    });
  });

  describe('to S3', () => {
    const s3 = (options: Partial<Parameters<typeof BackupStorage.s3>[0]>) =>
      synth({
        retention: 5,
        storage: BackupStorage.s3({ bucket: 'acme-backups', region: 'eu-west-1', ...options }),
      }).objects;

    test('dumps in an init container to a scratch volume, then uploads with the pinned AWS CLI image', () => {
      const pod = podOf(s3({ credentialsSecret: 'aws-keys', prefix: 'db/team', scratchSize: '20Gi' }));
      expect(pod.initContainers.map((c: Manifest) => c.name)).toEqual(['backup']);
      expect(pod.initContainers[0].command).toEqual(['bash', '-c', backupScript(), 'postgres-backup']);
      const [upload] = pod.containers;
      expect(upload.name).toBe('s3-upload');
      expect(upload.image).toBe(DEFAULT_AWS_CLI_IMAGE);
      expect(upload.command).toEqual(['bash', '-c', s3UploadScript(), 's3-upload']);
      expect(upload.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: 999,
      });
      expect(upload.env).toEqual(
        expect.arrayContaining([
          { name: 'S3_BUCKET', value: 'acme-backups' },
          { name: 'S3_PREFIX', value: 'db/team' },
          { name: 'AWS_REGION', value: 'eu-west-1' },
          { name: 'BACKUP_RETENTION', value: '5' },
          { name: 'HOME', value: '/tmp' },
        ]),
      );
      expect(pod.volumes).toContainEqual({ name: 'backup', emptyDir: { sizeLimit: '20Gi' } });
    });

    test('reads static keys from the Secret as files', () => {
      const pod = podOf(s3({ credentialsSecret: 'aws-keys' }));
      const [upload] = pod.containers;
      expect(pod.volumes).toContainEqual({
        name: 'aws-credentials',
        secret: {
          secretName: 'aws-keys',
          items: [
            { key: AWS_CREDENTIALS_KEYS.accessKeyId, path: 'access-key-id' },
            { key: AWS_CREDENTIALS_KEYS.secretAccessKey, path: 'secret-access-key' },
          ],
          defaultMode: 0o440,
        },
      });
      expect(upload.env).toContainEqual({ name: 'AWS_CREDENTIALS_PATH', value: '/run/secrets/aws' });
      expect(JSON.stringify(upload.env)).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/);
      expect(pod.automountServiceAccountToken).toBe(false);
    });

    test('assumes an IRSA role with a token for the STS audience only, and no API token', () => {
      const objects = s3({ roleArn: 'arn:aws:iam::123456789012:role/backup' });
      const pod = podOf(objects);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(find(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
      expect(pod.volumes).toContainEqual({
        name: 'aws-token',
        projected: {
          sources: [
            {
              serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' },
            },
          ],
          defaultMode: 0o440,
        },
      });
      expect(pod.containers[0].env).toEqual(
        expect.arrayContaining([
          { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::123456789012:role/backup' },
          {
            name: 'AWS_WEB_IDENTITY_TOKEN_FILE',
            value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
          },
        ]),
      );
      expect(pod.initContainers[0].volumeMounts.map((m: Manifest) => m.name)).not.toContain('aws-token');
    });

    test('opens HTTPS to public addresses only, besides Postgres and DNS, and makes no claim', () => {
      const objects = s3({ credentialsSecret: 'aws-keys' });
      const egress = find(objects, 'NetworkPolicy').spec.egress;
      expect(egress).toHaveLength(3);
      expect(egress[2]).toEqual({
        to: [
          {
            ipBlock: {
              cidr: '0.0.0.0/0',
              except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'],
            },
          },
        ],
        ports: [{ protocol: 'TCP', port: 443 }],
      });
      expect(
        objects.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'team-backup'),
      ).toEqual([]);
    });

    test('keys the dumps under mcpenv/<instance>/postgres by default', () => {
      expect(podOf(s3({ credentialsSecret: 'aws-keys' })).containers[0].env).toContainEqual({
        name: 'S3_PREFIX',
        value: 'mcpenv/team/postgres',
      });
    });
  });

  describe('restoreJobManifest', () => {
    test('restores a named dump with the restore script, in the backup pods’ image, labels and storage', () => {
      const { environment, objects } = synth();
      const job = environment.postgresBackup?.restoreJobManifest('mcp-20260105T030000Z.dump') as Manifest;
      expect(job).toMatchObject({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'team-restore', namespace: 'mcp-team' },
        spec: { backoffLimit: 0 },
      });
      const pod = job.spec.template.spec;
      expect(job.spec.template.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'team-backup',
        'app.kubernetes.io/instance': 'team',
      });
      expect(pod.containers[0].command).toEqual(['bash', '-c', restoreScript(), 'postgres-restore']);
      expect(pod.containers[0].env).toContainEqual({
        name: 'RESTORE_DUMP_NAME',
        value: 'mcp-20260105T030000Z.dump',
      });
      expect(pod.containers[0].image).toBe(podOf(objects).containers[0].image);
      expect(pod.volumes).toEqual(podOf(objects).volumes);
      expect(restoreScript()).toContain(
        'pg_restore --clean --if-exists --exit-on-error --single-transaction --no-owner --no-acl',
      );
      expect(validateManifests([job]).findings).toEqual([]);
    });

    test('downloads the dump from S3 in an init container first', () => {
      const { environment } = synth({
        storage: BackupStorage.s3({
          bucket: 'acme-backups',
          region: 'eu-west-1',
          credentialsSecret: 'aws-keys',
        }),
      });
      const job = environment.postgresBackup?.restoreJobManifest('mcp-20260105T030000Z.dump') as Manifest;
      const pod = job.spec.template.spec;
      expect(pod.initContainers.map((c: Manifest) => c.command)).toEqual([
        ['bash', '-c', s3DownloadScript(), 's3-download'],
      ]);
      expect(pod.containers.map((c: Manifest) => c.name)).toEqual(['restore']);
    });

    test.each(['latest', 'mcp-20260105.dump', '../mcp-20260105T030000Z.dump', 'other-20260105T030000Z.dump'])(
      'rejects the dump name %s with the form it must have',
      (dump) => {
        expect(() => synth().environment.postgresBackup?.restoreJobManifest(dump)).toThrow(
          /`--dump` must be the name of a dump of this environment, such as mcp-20260105T030000Z.dump/,
        );
      },
    );
  });

  describe('validation', () => {
    test.each([
      [{ schedule: '0 3 * *' }, /`backup.schedule` must be a five-field cron schedule .* it has 4 fields/],
      [{ schedule: '@daily' }, /`backup.schedule` must be a five-field cron schedule/],
      [{ schedule: '0 0 30 2 *' }, /`backup.schedule` .* never runs/],
      [{ retention: 0 }, /`backup.retention` must be a whole number from 1 to 1000 \(got 0\)/],
      [{ retention: 2.5 }, /`backup.retention` must be a whole number from 1 to 1000 \(got 2.5\)/],
      [{ timeoutSeconds: 10 }, /`backup.timeoutSeconds` must be a whole number from 60/],
      [
        { storage: { kind: 's3' } },
        /`backup.storage` must be a BackupStorage .*BackupStorage.persistentVolume\(\)/,
      ],
    ] as [PostgresBackupOptions, RegExp][])('rejects %j, naming the prop', (backup, message) => {
      expect(() => Database.inCluster({ backup })).toThrow(message);
      expect(() => Database.inCluster({ backup })).toThrow(/^Database.inCluster: /);
    });

    test.each([
      [
        () => BackupStorage.persistentVolume({ size: 'lots' }),
        /BackupStorage.persistentVolume: `size` must be a Kubernetes quantity/,
      ],
      [
        () => BackupStorage.existingClaim({ claimName: 'Bad_Name' }),
        /BackupStorage.existingClaim: `claimName` must be a lowercase DNS name/,
      ],
      [
        () => BackupStorage.s3({ bucket: 'Bad Bucket', region: 'eu-west-1', credentialsSecret: 'k' }),
        /BackupStorage.s3: `bucket` must be an S3 bucket name/,
      ],
      [
        () => BackupStorage.s3({ bucket: 'acme', region: 'europe', credentialsSecret: 'k' }),
        /BackupStorage.s3: `region` must be an AWS region/,
      ],
      [
        () =>
          BackupStorage.s3({ bucket: 'acme', region: 'eu-west-1', prefix: '/abs/', credentialsSecret: 'k' }),
        /BackupStorage.s3: `prefix` must be an S3 key prefix/,
      ],
      [
        () => BackupStorage.s3({ bucket: 'acme', region: 'eu-west-1' }),
        /BackupStorage.s3: `credentialsSecret` must be given, or roleArn, but not both .*name an existing Secret/,
      ],
      [
        () =>
          BackupStorage.s3({
            bucket: 'acme',
            region: 'eu-west-1',
            credentialsSecret: 'k',
            roleArn: 'arn:aws:iam::123456789012:role/r',
          }),
        /BackupStorage.s3: `roleArn` must be given, or roleArn, but not both|`credentialsSecret` must be given, or roleArn, but not both/,
      ],
      [
        () => BackupStorage.s3({ bucket: 'acme', region: 'eu-west-1', roleArn: 'backup-role' }),
        /BackupStorage.s3: `roleArn` must be an IAM role ARN/,
      ],
      [
        () =>
          BackupStorage.s3({
            bucket: 'acme',
            region: 'eu-west-1',
            credentialsSecret: 'k',
            awsCliImage: 'amazon/aws-cli',
          }),
        /BackupStorage.s3: `awsCliImage` must be/,
      ],
    ])('rejects bad storage options, naming the factory and the prop (%#)', (make, message) => {
      expect(make).toThrow(message);
    });
  });

  test('synthesizes byte-identical output for the same input', () => {
    const storage = BackupStorage.s3({
      bucket: 'acme-backups',
      region: 'eu-west-1',
      credentialsSecret: 'aws-keys',
    });
    expect(JSON.stringify(synth({ storage }).objects)).toBe(JSON.stringify(synth({ storage }).objects));
  });
});
