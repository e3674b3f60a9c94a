import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, parseDatabaseConfig, parseServerConfig } from '../../server/config';
import { createLogger } from '../../server/logger';
import { removeTempDirs, tempDir } from '../helpers/fixtures';

afterAll(removeTempDirs);

const serverEnv = {
  DATABASE_URL: 'postgres://app:secret-pw@db.internal:5432/mcp',
  REDIS_URL: 'rediss://:secret-token@cache.internal:6379',
  PUBLIC_URL: 'https://mcp.example.com',
};

describe('parseServerConfig', () => {
  test('with nothing set, runs embedded on 127.0.0.1:3000 with auth off and migrations on start', () => {
    const config = parseServerConfig({});
    expect(config).toMatchObject({
      mode: 'embedded',
      port: 3000,
      bindAddress: '127.0.0.1',
      logLevel: 'info',
      migrateOnStart: true,
      shutdownDelaySeconds: 0,
      drainTimeoutSeconds: 25,
      auth: { enabled: false, requiredScope: 'mcp' },
      rateLimit: { perMinute: 600, onRedisError: 'allow' },
    });
    expect(config.databaseUrl).toBeUndefined();
  });

  test('with DATABASE_URL, REDIS_URL and PUBLIC_URL, runs in server mode with auth on', () => {
    const config = parseServerConfig({
      ...serverEnv,
      BIND_ADDRESS: '0.0.0.0',
      PUBLIC_URL: 'https://mcp.example.com/',
    });
    expect(config).toMatchObject({
      mode: 'server',
      bindAddress: '0.0.0.0',
      publicUrl: 'https://mcp.example.com',
      migrateOnStart: false,
      shutdownDelaySeconds: 5,
      auth: { enabled: true },
    });
  });

  test('reads the OAuth, pool, cache, limit and shutdown settings', () => {
    const config = parseServerConfig({
      ...serverEnv,
      OAUTH_ISSUER: 'https://auth.example.com/',
      OAUTH_JWKS_URL: 'https://auth.example.com/.well-known/jwks.json',
      OAUTH_TENANT_CLAIM: 'org_id',
      AUTH_REQUIRED_SCOPE: 'mcp:memory',
      PG_POOL_MAX: '20',
      CACHE_TTL_SECONDS: '30',
      RATE_LIMIT_PER_MINUTE: '100',
      RATE_LIMIT_ON_REDIS_ERROR: 'deny',
      MIGRATE_ON_START: 'true',
      SHUTDOWN_DELAY_SECONDS: '0',
      SHUTDOWN_DRAIN_SECONDS: '5',
      KEEPALIVE_TIMEOUT_SECONDS: '3605',
      AUTH_FAILURES_PER_MINUTE: '12',
      RESPONSE_TIMEOUT_SECONDS: '45',
    });
    expect(config.keepAliveTimeoutSeconds).toBe(3605);
    expect(config.responseTimeoutSeconds).toBe(45);
    expect(config.auth).toEqual({
      enabled: true,
      requiredScope: 'mcp:memory',
      failuresPerMinute: 12,
      oauth: {
        issuer: 'https://auth.example.com/',
        jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
        tenantClaim: 'org_id',
      },
    });
    expect(config.pg.poolMax).toBe(20);
    expect(config.cacheTtlSeconds).toBe(30);
    expect(config.rateLimit).toEqual({ perMinute: 100, onRedisError: 'deny' });
    expect(config.migrateOnStart).toBe(true);
    expect(config.shutdownDelaySeconds).toBe(0);
    expect(config.drainTimeoutSeconds).toBe(5);
  });

  test('accepts Postgres and Redis by parts (PG* and REDIS_* variables) instead of URLs', () => {
    const config = parseServerConfig({
      PGHOST: 'db.internal',
      PGPORT: '6432',
      REDIS_HOST: 'cache.internal',
      REDIS_PASSWORD: 'pa:ss/w@rd',
      REDIS_TLS: 'true',
      PUBLIC_URL: 'https://mcp.example.com',
    });
    expect(config.mode).toBe('server');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.databaseDescription).toBe('postgres://db.internal:6432 (PG* variables)');
    expect(config.redisEndpoint).toEqual({
      host: 'cache.internal',
      port: 6379,
      tls: true,
      password: 'pa:ss/w@rd',
    });
  });

  test('rejects REDIS_URL and REDIS_HOST together', () => {
    expect(() => parseServerConfig({ ...serverEnv, REDIS_HOST: 'cache.internal' })).toThrow(
      /REDIS_URL and REDIS_HOST must not both be set/,
    );
  });

  test('never shows REDIS_PASSWORD in a message', () => {
    expect(() => parseServerConfig({ REDIS_HOST: 'bad host!', REDIS_PASSWORD: 'hunter2' })).toThrow(
      /REDIS_HOST must be a host name or IP address/,
    );
    try {
      parseServerConfig({ REDIS_HOST: 'bad host!', REDIS_PASSWORD: 'hunter2' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  test('treats empty variables as unset', () => {
    expect(parseServerConfig({ PORT: '', PUBLIC_URL: '' }).port).toBe(3000);
  });

  test.each([
    [{ PORT: 'eighty' }, /PORT must be a port number \(got "eighty"\)/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535 \(got "70000"\)/],
    [
      { BIND_ADDRESS: 'localhost' },
      /BIND_ADDRESS must be an IP address such as 127.0.0.1 \(got "localhost"\)/,
    ],
    [{ BIND_ADDRESS: '0.0.0.0' }, /BIND_ADDRESS must be a loopback address in the embedded mode/],
    [{ PUBLIC_URL: 'http://mcp.example.com' }, /PUBLIC_URL must be an https URL/],
    [{ PUBLIC_URL: 'https://mcp.example.com/team' }, /PUBLIC_URL must be an origin without a path/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error/],
    [{ SHUTDOWN_DRAIN_SECONDS: '-1' }, /SHUTDOWN_DRAIN_SECONDS must be between 0 and 3600/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres:\/\/ URL \(got \(value hidden\)\)/],
    [
      { DATABASE_URL: serverEnv.DATABASE_URL },
      /REDIS_URL \(or REDIS_HOST\) must be set together with DATABASE_URL \(or PGHOST\)/,
    ],
    [{ DATABASE_URL: serverEnv.DATABASE_URL, REDIS_URL: serverEnv.REDIS_URL }, /PUBLIC_URL must be set when/],
    [
      { ...serverEnv, OAUTH_ISSUER: 'https://auth.example.com' },
      /OAUTH_ISSUER and OAUTH_JWKS_URL must be set together/,
    ],
    [{ RATE_LIMIT_ON_REDIS_ERROR: 'maybe' }, /RATE_LIMIT_ON_REDIS_ERROR must be allow or deny/],
    [{ MIGRATE_ON_START: 'yes' }, /MIGRATE_ON_START must be true or false/],
    [{ AUTH_REQUIRED_SCOPE: 'two scopes' }, /AUTH_REQUIRED_SCOPE must be one OAuth scope token/],
    [{ ...serverEnv, EMBEDDED_DATA_DIR: '/data' }, /EMBEDDED_DATA_DIR applies only to the embedded mode/],
  ])('rejects %j naming the variable', (env, expected) => {
    expect(() => parseServerConfig(env)).toThrow(expected);
    expect(() => parseServerConfig(env)).toThrow(ConfigError);
  });

  test('never shows connection URLs, which carry passwords, in its messages', () => {
    let message = '';
    try {
      parseServerConfig({ ...serverEnv, PUBLIC_URL: undefined, DATABASE_URL: 'postgres://u:hunter2@:bad' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('secret-token');
  });
});

describe('parseServerConfig: tracing (the OpenTelemetry SDK variables)', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' };

  test('with no OTLP endpoint, tracing is off whatever else is set', () => {
    expect(parseServerConfig({}).tracing).toBeUndefined();
    expect(
      parseServerConfig({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' }).tracing,
    ).toBeUndefined();
  });

  test('with OTEL_EXPORTER_OTLP_ENDPOINT, exports to its /v1/traces with the SDK defaults', () => {
    expect(parseServerConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318/' }).tracing).toEqual(
      {
        tracesUrl: 'http://otel-collector:4318/v1/traces',
        exportRequestTimeoutMs: 10_000,
        serviceName: 'mcpenv-server',
        resourceAttributes: {},
        sampler: 'parentbased_always_on',
        samplerRatio: 1,
        propagators: ['tracecontext', 'baggage'],
        batch: {
          scheduleDelayMs: 5000,
          maxQueueSize: 2048,
          maxExportBatchSize: 512,
          exportTimeoutMs: 30_000,
        },
      },
    );
  });

  test('reads the traces endpoint as it is, the sampler, propagators, timeouts and batch settings', () => {
    const tracing = parseServerConfig({
      ...endpoint,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp/traces',
      OTEL_EXPORTER_OTLP_TIMEOUT: '7000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '3000',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_PROPAGATORS: 'tracecontext',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '100',
      OTEL_BSP_EXPORT_TIMEOUT: '2000',
    }).tracing;
    expect(tracing).toMatchObject({
      tracesUrl: 'https://traces.example.com/otlp/traces',
      exportRequestTimeoutMs: 3000,
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      propagators: ['tracecontext'],
      batch: { scheduleDelayMs: 100, maxQueueSize: 100, maxExportBatchSize: 100, exportTimeoutMs: 2000 },
    });
    expect(parseServerConfig({ ...endpoint, OTEL_PROPAGATORS: 'none' }).tracing?.propagators).toEqual([]);
  });

  test('decodes OTEL_RESOURCE_ATTRIBUTES; OTEL_SERVICE_NAME names the service before service.name does', () => {
    const attributes =
      'service.name=from-attributes, deployment.environment.name=prod,k8s.pod.name=$(K8S_POD_NAME),note=a%2Cb%3Dc';
    const tracing = parseServerConfig({ ...endpoint, OTEL_RESOURCE_ATTRIBUTES: attributes }).tracing;
    expect(tracing?.serviceName).toBe('from-attributes');
    expect(tracing?.resourceAttributes).toEqual({
      'service.name': 'from-attributes',
      'deployment.environment.name': 'prod',
      'k8s.pod.name': '$(K8S_POD_NAME)',
      note: 'a,b=c',
    });
    expect(
      parseServerConfig({ ...endpoint, OTEL_RESOURCE_ATTRIBUTES: attributes, OTEL_SERVICE_NAME: 'named' })
        .tracing?.serviceName,
    ).toBe('named');
  });

  test.each([
    [{ OTEL_SDK_DISABLED: 'true' }],
    [{ OTEL_SDK_DISABLED: 'TRUE' }],
    [{ OTEL_TRACES_EXPORTER: 'none' }],
  ])('%j switches tracing off even with an endpoint', (off) => {
    expect(parseServerConfig({ ...endpoint, ...off }).tracing).toBeUndefined();
  });

  test.each([
    [
      { OTEL_TRACES_SAMPLER_ARG: '1.5' },
      /OTEL_TRACES_SAMPLER_ARG must be a sampling ratio from 0 to 1 \(got "1.5"\)/,
    ],
    [{ OTEL_TRACES_SAMPLER_ARG: '-0.1' }, /OTEL_TRACES_SAMPLER_ARG must be a sampling ratio from 0 to 1/],
    [{ OTEL_TRACES_SAMPLER_ARG: 'half' }, /OTEL_TRACES_SAMPLER_ARG must be a sampling ratio from 0 to 1/],
    [
      { OTEL_TRACES_SAMPLER: 'jaeger_remote' },
      /OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio/,
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4318' },
      /OTEL_EXPORTER_OTLP_ENDPOINT must be an http:\/\/ or https:\/\/ URL such as http:\/\/otel-collector:4318 \(got "otel-collector:4318"\)/,
    ],
    [
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' },
      /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http/,
    ],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: '0' }, /OTEL_EXPORTER_OTLP_TIMEOUT must be between 1 and 600000/],
    [{ OTEL_SDK_DISABLED: 'yes' }, /OTEL_SDK_DISABLED must be true or false \(got "yes"\)/],
    [{ OTEL_TRACES_EXPORTER: 'console' }, /OTEL_TRACES_EXPORTER must be otlp or none/],
    [{ OTEL_PROPAGATORS: 'tracecontext,b3' }, /OTEL_PROPAGATORS must list tracecontext, baggage or none/],
    [
      { OTEL_RESOURCE_ATTRIBUTES: 'team=a=b' },
      /OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas/,
    ],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'team' }, /OTEL_RESOURCE_ATTRIBUTES must be key=value pairs/],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'team=%zz' }, /OTEL_RESOURCE_ATTRIBUTES must be key=value pairs/],
    [
      { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4096' },
      /OTEL_BSP_MAX_EXPORT_BATCH_SIZE must not exceed OTEL_BSP_MAX_QUEUE_SIZE \(got 4096 and 2048\)/,
    ],
  ])('rejects %j naming the variable (exit code 2)', (env, expected) => {
    expect(() => parseServerConfig({ ...endpoint, ...env })).toThrow(expected);
    expect(() => parseServerConfig({ ...endpoint, ...env })).toThrow(
      expect.objectContaining({ name: 'ConfigError', exitCode: 2 }),
    );
  });
});

describe('secrets from files (*_FILE)', () => {
  const dir = tempDir('mcpenv-config-');
  /** Writes `content` to a fresh file and returns its path. */
  const secretFile = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };
  /** The ConfigError `parse` throws; fails the test when it throws nothing. */
  const configError = (parse: () => unknown): ConfigError => {
    try {
      parse();
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected a ConfigError');
  };

  test('reads every secret variable from the file its _FILE variable names', () => {
    const urls = parseServerConfig({
      DATABASE_URL_FILE: secretFile('database-url', `${serverEnv.DATABASE_URL}\n`),
      REDIS_URL_FILE: secretFile('redis-url', serverEnv.REDIS_URL),
      PUBLIC_URL: serverEnv.PUBLIC_URL,
    });
    expect(urls).toMatchObject({
      mode: 'server',
      databaseUrl: serverEnv.DATABASE_URL,
      redisUrl: serverEnv.REDIS_URL,
    });
    const parts = parseServerConfig({
      PGHOST: 'db.internal',
      PGPASSWORD_FILE: secretFile('pgpassword', 'pg-from-file\n'),
      REDIS_HOST: 'cache.internal',
      REDIS_PASSWORD_FILE: secretFile('redis-password', 'redis-from-file\n'),
      PUBLIC_URL: serverEnv.PUBLIC_URL,
    });
    expect(parts.postgresEndpoint?.password).toBe('pg-from-file');
    expect(parts.redisEndpoint?.password).toBe('redis-from-file');
  });

  test.each([
    ['one trailing newline is dropped', 'pw\n', 'pw'],
    ['only one of two trailing newlines is dropped', 'pw\n\n', 'pw\n'],
    ['spaces and tabs are kept', ' pw \t', ' pw \t'],
    ['a carriage return is kept', 'pw\r\n', 'pw\r'],
    ['a newline inside is kept', 'line one\nline two', 'line one\nline two'],
  ])('takes the file as it is, except one trailing newline: %s', (_case, content, expected) => {
    const config = parseServerConfig({
      ...serverEnv,
      REDIS_URL: undefined,
      REDIS_HOST: 'cache.internal',
      REDIS_PASSWORD_FILE: secretFile('exact', content),
    });
    expect(config.redisEndpoint?.password).toBe(expected);
  });

  test('rejects a variable and its _FILE together, naming both, exit code 2', () => {
    const error = configError(() =>
      parseServerConfig({ ...serverEnv, DATABASE_URL_FILE: secretFile('both', serverEnv.DATABASE_URL) }),
    );
    expect(error.message).toMatch(/DATABASE_URL and DATABASE_URL_FILE must not both be set: keep one/);
    expect(error.exitCode).toBe(2);
    expect(error.message).not.toContain('secret-pw');
  });

  test('rejects a missing file, naming the variable and the path', () => {
    const missing = path.join(dir, 'no-such-file');
    const error = configError(() =>
      parseServerConfig({
        PGHOST: 'db',
        REDIS_HOST: 'cache',
        PUBLIC_URL: serverEnv.PUBLIC_URL,
        PGPASSWORD_FILE: missing,
      }),
    );
    expect(error.message).toContain(
      `PGPASSWORD_FILE names a file that cannot be read (no such file): "${missing}"; mount the Secret there or correct the path`,
    );
    expect(error.exitCode).toBe(2);
  });

  test('rejects a directory in place of the file', () => {
    expect(() => parseServerConfig({ ...serverEnv, REDIS_URL: undefined, REDIS_URL_FILE: dir })).toThrow(
      /REDIS_URL_FILE names a file that cannot be read \(it is a directory\)/,
    );
  });

  test.each([
    ['empty', ''],
    ['only a newline', '\n'],
  ])('rejects a file that is %s, naming the variable and the path', (_case, content) => {
    const file = secretFile('empty', content);
    expect(() => parseServerConfig({ ...serverEnv, REDIS_URL: undefined, REDIS_URL_FILE: file })).toThrow(
      `REDIS_URL_FILE names an empty file: "${file}"; put the value in it`,
    );
  });

  test('never shows the content of a file, even when it is not a valid value', () => {
    const error = configError(() =>
      parseServerConfig({
        ...serverEnv,
        DATABASE_URL: undefined,
        DATABASE_URL_FILE: secretFile('mysql-url', 'mysql://app:file-secret@db/mcp\n'),
      }),
    );
    expect(error.message).toContain(
      'DATABASE_URL (read from DATABASE_URL_FILE) must be a postgres:// URL (got (value hidden))',
    );
    expect(error.message).not.toContain('file-secret');
  });

  test('treats an empty _FILE variable as unset', () => {
    expect(parseServerConfig({ ...serverEnv, DATABASE_URL_FILE: '' }).databaseUrl).toBe(
      serverEnv.DATABASE_URL,
    );
  });

  test('parseDatabaseConfig reads the database secrets from files and leaves the Redis ones alone', () => {
    const config = parseDatabaseConfig({
      PGHOST: 'db.internal',
      PGPASSWORD_FILE: secretFile('db-only', 'pg-secret\n'),
      // A migration Job has no business with Redis: a broken Redis file does not stop it.
      REDIS_PASSWORD_FILE: path.join(dir, 'no-such-file'),
    });
    expect(config.postgresEndpoint?.password).toBe('pg-secret');
    expect(
      parseDatabaseConfig({ DATABASE_URL_FILE: secretFile('db-url', `${serverEnv.DATABASE_URL}\n`) })
        .databaseUrl,
    ).toBe(serverEnv.DATABASE_URL);
    expect(() =>
      parseDatabaseConfig({ PGHOST: 'db', PGPASSWORD: 'x', PGPASSWORD_FILE: secretFile('db-both', 'y') }),
    ).toThrow(/invalid configuration:\n {2}- PGPASSWORD and PGPASSWORD_FILE must not both be set/);
  });
});

describe('createLogger', () => {
  test('redacts credentials even when code logs them by mistake', () => {
    const lines: string[] = [];
    const logger = createLogger('info', {
      write(line: string) {
        lines.push(line);
      },
    });
    logger.info(
      {
        authorization: 'Bearer top-secret-token',
        request: { headers: { authorization: 'Bearer other-secret', cookie: 'session=abc' } },
        config: {
          databaseUrl: 'postgres://app:db-password@db:5432/mcp',
          redisUrl: 'redis://:redis-pw@cache:6379',
        },
      },
      'oops',
    );
    const text = lines.join('');
    expect(text).toContain('"msg":"oops"');
    for (const secret of ['top-secret-token', 'other-secret', 'session=abc', 'db-password', 'redis-pw']) {
      expect(text).not.toContain(secret);
    }
  });
});
