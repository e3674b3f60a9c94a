import { Chart, Testing } from 'cdk8s';
import {
  Cache,
  Database,
  type ExternalPostgresProps,
  type ExternalRedisProps,
  POSTGRES_PASSWORD_FILE,
  REDIS_PASSWORD_FILE,
  REDIS_READY_SCRIPT,
  REDIS_START_SCRIPT,
} from '../../../constructs/k8s/data';

function bindBoth(database: Database, cache: Cache) {
  const chart = new Chart(Testing.app(), 'test');
  const db = database.bind(chart, { instance: 'dev' });
  const redis = cache.bind(chart, { instance: 'dev' });
  return { objects: Testing.synth(chart), db, redis };
}

describe('Database.inCluster and Cache.inCluster', () => {
  const { objects, db, redis } = bindBoth(Database.inCluster(), Cache.inCluster());
  const statefulSet = (name: string) =>
    objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name);

  test('run Postgres and Redis as StatefulSets with Services named after the instance', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/dev-postgres',
      'StatefulSet/dev-postgres',
      'Service/dev-redis',
      'StatefulSet/dev-redis',
    ]);
  });

  test('keeps Postgres data on a persistent volume and probes it with pg_isready', () => {
    const postgres = statefulSet('dev-postgres');
    expect(postgres.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    expect(postgres.spec.template.spec.containers[0].readinessProbe.exec.command.join(' ')).toContain(
      'pg_isready',
    );
  });

  test('run both under the restricted profile with read-only root filesystems', () => {
    for (const name of ['dev-postgres', 'dev-redis']) {
      const pod = statefulSet(name).spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.containers[0].securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
    }
  });

  test('take credentials from existing Secrets by reference only', () => {
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/"kind":"Secret"/);
    for (const name of ['dev-postgres', 'dev-redis']) {
      expect(statefulSet(name).spec.template.spec.volumes).toContainEqual({
        name: 'password',
        secret: { secretName: name, items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 },
      });
    }
  });

  test('reference no password through secretKeyRef, only non-secret settings such as the user name', () => {
    const references = [
      ...objects.flatMap(
        (o) => o.spec.template?.spec.containers.flatMap((c: { env?: unknown[] }) => c.env ?? []) ?? [],
      ),
      ...db.env,
      ...redis.env,
    ]
      .filter((v) => v.valueFrom?.secretKeyRef !== undefined)
      .map((v) => `${v.name}<-${v.valueFrom.secretKeyRef.key}`);
    expect(references.sort()).toEqual(['PGUSER<-username', 'POSTGRES_USER<-username']);
  });

  test('start Postgres with its password read from the mounted Secret (the image reads POSTGRES_PASSWORD_FILE)', () => {
    const pod = statefulSet('dev-postgres').spec.template.spec;
    const [postgres] = pod.containers;
    expect(postgres.env).toContainEqual({ name: 'POSTGRES_PASSWORD_FILE', value: POSTGRES_PASSWORD_FILE });
    expect(postgres.env.map((v: { name: string }) => v.name)).not.toContain('POSTGRES_PASSWORD');
    expect(postgres.volumeMounts).toContainEqual({
      name: 'password',
      mountPath: '/run/secrets/postgres',
      readOnly: true,
    });
    expect(POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres/password');
    // The pod's fsGroup is Postgres's uid, which the 0440 mode lets read the file.
    expect(pod.securityContext.fsGroup).toBe(postgres.securityContext.runAsUser);
  });

  test('start Redis with its password read from the mounted Secret, never in arguments or environment', () => {
    const pod = statefulSet('dev-redis').spec.template.spec;
    const [redis] = pod.containers;
    expect(redis.command).toEqual(['sh', '-c', REDIS_START_SCRIPT, 'redis-server']);
    expect(redis.env).toEqual([{ name: 'REDIS_PASSWORD_FILE', value: REDIS_PASSWORD_FILE }]);
    expect(redis.volumeMounts).toContainEqual({
      name: 'password',
      mountPath: '/run/secrets/redis',
      readOnly: true,
    });
    expect(JSON.stringify(redis)).not.toMatch(/requirepass"|\$\(REDIS_PASSWORD\)|REDISCLI_AUTH/);
    expect(redis.readinessProbe.exec.command).toEqual(['sh', '-c', REDIS_READY_SCRIPT]);
    // The pod's fsGroup is Redis's uid, which the 0440 mode lets read the file.
    expect(pod.securityContext.fsGroup).toBe(redis.securityContext.runAsUser);
  });

  test('wire the server by PG* and REDIS_* variables, passwords as files from the Secrets', () => {
    expect(db.env).toContainEqual({ name: 'PGHOST', value: 'dev-postgres' });
    expect(db.secretFiles).toEqual([{ variable: 'PGPASSWORD', secretName: 'dev-postgres', key: 'password' }]);
    expect(redis.env).toContainEqual({ name: 'REDIS_HOST', value: 'dev-redis' });
    expect(redis.secretFiles).toEqual([
      { variable: 'REDIS_PASSWORD', secretName: 'dev-redis', key: 'password' },
    ]);
    expect(db.podSelector).toEqual({
      'app.kubernetes.io/name': 'dev-postgres',
      'app.kubernetes.io/instance': 'dev',
    });
  });

  test('Redis persists only when asked', () => {
    expect(statefulSet('dev-redis').spec.volumeClaimTemplates).toBeUndefined();
    const persistent = bindBoth(
      Database.inCluster(),
      Cache.inCluster({ persistence: true, storageSize: '2Gi' }),
    );
    const redisSet = persistent.objects.find(
      (o) => o.kind === 'StatefulSet' && o.metadata.name === 'dev-redis',
    );
    expect(redisSet.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('2Gi');
    expect(redisSet.spec.template.spec.containers[0].args).toEqual(
      expect.arrayContaining(['--appendonly', 'yes']),
    );
  });
});

describe('Database.external and Cache.external', () => {
  const { objects, db, redis } = bindBoth(
    Database.external({ connectionSecret: 'rds-connection', cidrs: ['10.0.0.0/16'] }),
    Cache.external({ connectionSecret: 'redis-connection', cidrs: ['10.0.0.0/16'] }),
  );

  test('create nothing in the cluster', () => {
    expect(objects).toEqual([]);
  });

  test('read the connection settings from the Secret, the password as a file, and verify TLS by default', () => {
    expect(db.env.map((e) => e.name)).toEqual(['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGSSLMODE']);
    expect(db.secretFiles).toEqual([
      { variable: 'PGPASSWORD', secretName: 'rds-connection', key: 'password' },
    ]);
    expect(redis.env.map((e) => e.name)).toEqual(['REDIS_HOST', 'REDIS_PORT', 'REDIS_TLS']);
    expect(redis.secretFiles).toEqual([
      { variable: 'REDIS_PASSWORD', secretName: 'redis-connection', key: 'password' },
    ]);
    expect(db.env).toContainEqual({ name: 'PGSSLMODE', value: 'verify-full' });
    expect(redis.env).toContainEqual({ name: 'REDIS_TLS', value: 'true' });
    expect(db.peers).toEqual([{ ipBlock: { cidr: '10.0.0.0/16' } }]);
  });
});

describe('data tier validation', () => {
  test.each([
    [
      () => Database.inCluster({ credentialsSecret: 'Not_A_Name' }),
      /`credentialsSecret` must be the name of an existing Secret/,
    ],
    [() => Database.inCluster({ database: 'Bad-Name' }), /`database` must be a lowercase SQL identifier/],
    [() => Database.inCluster({ image: 'postgres' }), /`image` must be pinned/],
    [() => Database.inCluster({ storageSize: 'ten gigs' }), /`storageSize` must be a Kubernetes quantity/],
    [
      () => Database.external({ connectionSecret: 'x', cidrs: [] }),
      /`cidrs` must list at least one CIDR block/,
    ],
    [
      () => Database.external({ connectionSecret: 'x', cidrs: ['10.0.0.0/33'] }),
      /`cidrs` must be an IPv4 CIDR block such as "10.0.0.0\/16"/,
    ],
    [
      () => Database.external({ connectionSecret: 'x', cidrs: ['0.0.0.0/0'] }),
      /must not open egress to the whole internet/,
    ],
    [
      () => Database.external({ connectionSecret: 'x', cidrs: ['10.0.0.0/8'], port: 70000 }),
      /`port` must be a port from 1 to 65535/,
    ],
    [() => Cache.inCluster({ storageSize: '1Gi' }), /`storageSize` must be set only with persistence: true/],
    [
      () => Database.inCluster().bind(new Chart(Testing.app(), 'test'), { instance: 'a'.repeat(44) }),
      /^Database.inCluster: `instance` must have at most 43 characters, so that `<instance>-postgres` is a valid StatefulSet name \(at most 52\)/,
    ],
    [
      () => Cache.inCluster().bind(new Chart(Testing.app(), 'test'), { instance: 'Dev' }),
      /^Cache.inCluster: `instance` must be a DNS label/,
    ],
    [
      () => Cache.inCluster({ image: 'redis:latest' }),
      /Cache.inCluster: `image` must not use the mutable tag "latest"/,
    ],
    [
      () => Database.inCluster({ storageSize: '' }),
      /Database.inCluster: `storageSize` must be a Kubernetes quantity/,
    ],
    [
      () => Database.inCluster({ storageClassName: 'Fast SSD' }),
      /Database.inCluster: `storageClassName` must be a lowercase DNS name/,
    ],
    [
      () => Cache.external({ connectionSecret: 'x', cidrs: ['10.0.0.0/8'], port: 0 }),
      /`port` must be a port/,
    ],
  ])('rejects an invalid choice (%#)', (make, message) => {
    expect(make).toThrow(message);
  });
});

describe('data tier required props', () => {
  test.each<[string, () => unknown, RegExp]>([
    [
      'Database.external without connectionSecret',
      () => Database.external({ cidrs: ['10.0.0.0/16'] } as unknown as ExternalPostgresProps),
      /Database.external: `connectionSecret` is required: pass the Secret with host, port, dbname/,
    ],
    [
      'Database.external without cidrs',
      () => Database.external({ connectionSecret: 'db' } as unknown as ExternalPostgresProps),
      /Database.external: `cidrs` is required: pass the CIDR blocks the database lives in/,
    ],
    [
      'Cache.external without connectionSecret',
      () => Cache.external({ cidrs: ['10.0.0.0/16'] } as unknown as ExternalRedisProps),
      /Cache.external: `connectionSecret` is required: pass the Secret with host, port and password/,
    ],
    [
      'Cache.external without cidrs',
      () => Cache.external({ connectionSecret: 'redis' } as unknown as ExternalRedisProps),
      /Cache.external: `cidrs` is required: pass the CIDR blocks Redis lives in/,
    ],
    [
      'Database.external without options',
      () => Database.external(undefined as unknown as ExternalPostgresProps),
      /Database.external: `props` is required/,
    ],
  ])('fails with a ValidationError for %s (plain JavaScript)', (_case, make, message) => {
    expect(make).toThrow(message);
  });
});

describe('empty values', () => {
  test('an empty StorageClass name is written as given: the volume binds only to volumes without a class', () => {
    const { objects } = bindBoth(Database.inCluster({ storageClassName: '' }), Cache.inCluster());
    const postgres = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'dev-postgres');
    expect(postgres.spec.volumeClaimTemplates[0].spec.storageClassName).toBe('');
  });
});
