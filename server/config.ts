import * as fs from 'node:fs';
import { z } from 'zod';
import {
  SECRET_VARIABLES,
  secretFileVariable,
  type SecretVariable,
  SERVER_VARIABLES,
  type ServerVariable,
  TELEMETRY_VARIABLES,
} from '@mcpenv/contract';

/**
 * Redis by parts: Kubernetes can fill each part from a Secret key, so a password with URL
 * metacharacters (ElastiCache auth tokens) never has to be encoded into a URL.
 */
/** Postgres by parts, from the libpq variables. */
export interface PostgresEndpoint {
  readonly host: string;
  readonly port: number;
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
  /** libpq semantics: `require` encrypts without verifying; `verify-full` also checks the certificate and host. */
  readonly sslMode: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
}

export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
}

/**
 * The server's settings, read once from environment variables at start-up.
 *
 * Two modes:
 * - **embedded** (neither `DATABASE_URL` nor `REDIS_URL`): PGlite in the process, in-process cache
 *   and rate limits, auth off, loopback only. For trying mcpenv on a workstation.
 * - **server** (both set): real Postgres and Redis, auth on, `PUBLIC_URL` required.
 */
export interface ServerConfig {
  readonly mode: 'embedded' | 'server';
  readonly port: number;
  readonly bindAddress: string;
  /** Public HTTPS origin; audience of OAuth tokens and source of the Host/Origin allow-list. */
  readonly publicUrl?: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Postgres connection URL. Unset in the server mode when the libpq variables (PGHOST, PGPORT,
   * PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE) describe the connection instead.
   */
  readonly databaseUrl?: string;
  /** Postgres by parts (PGHOST etc.), when DATABASE_URL is unset in the server mode. */
  readonly postgresEndpoint?: PostgresEndpoint;
  /** Where Postgres is, for logs (no credentials). */
  readonly databaseDescription?: string;
  readonly redisUrl?: string;
  /** Redis by parts (REDIS_HOST etc.), when REDIS_URL is unset in the server mode. */
  readonly redisEndpoint?: RedisEndpoint;
  /** Embedded mode only: folder for PGlite's data; in memory when unset. */
  readonly embeddedDataDir?: string;
  readonly pg: {
    readonly poolMax: number;
    readonly connectTimeoutMs: number;
    readonly statementTimeoutMs: number;
    readonly idleTimeoutMs: number;
  };
  readonly redisCommandTimeoutMs: number;
  readonly cacheTtlSeconds: number;
  readonly rateLimit: {
    readonly perMinute: number;
    /** What happens when Redis cannot be asked: let requests through, or reject them with 503. */
    readonly onRedisError: 'allow' | 'deny';
  };
  readonly auth: {
    readonly enabled: boolean;
    readonly requiredScope: string;
    /** Requests per client address and minute that may be refused for bad credentials (429 after). */
    readonly failuresPerMinute: number;
    readonly oauth?: {
      readonly issuer: string;
      readonly jwksUrl: string;
      readonly tenantClaim: string;
    };
  };
  readonly migrateOnStart: boolean;
  readonly maxBodyBytes: number;
  /** Seconds between SIGTERM and closing the listener, for load balancers to notice. */
  readonly shutdownDelaySeconds: number;
  /** How long in-flight requests may finish after the listener closes. */
  readonly drainTimeoutSeconds: number;
  /** Proxy hops in front of the server whose X-Forwarded-For to trust (for client IPs). */
  readonly trustProxyHops: number;
  /** Idle keep-alive connections close after this; must exceed any load balancer's idle timeout. */
  readonly keepAliveTimeoutSeconds: number;
  /**
   * Time a client has to send a whole request, headers and body (408 after); answers, listen
   * streams included, are not limited by it.
   */
  readonly requestTimeoutSeconds: number;
  /** Time the server has to answer a request (504 with a JSON-RPC error after); streams excepted. */
  readonly responseTimeoutSeconds: number;
  /** Open connections this process accepts at once; further ones are closed at once. */
  readonly maxConnections: number;
  /**
   * Trace export, from the OpenTelemetry SDK's standard variables: set only when an OTLP endpoint
   * is configured and tracing is not switched off (`OTEL_SDK_DISABLED`, `OTEL_TRACES_EXPORTER=none`).
   */
  readonly tracing?: TracingConfig;
}

/** The head samplers `OTEL_TRACES_SAMPLER` may name (the OpenTelemetry SDK's built-in ones). */
export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** Where and how spans are exported; see `TracingConfig` in the README's Tracing section. */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL spans are POSTed to (protobuf). */
  readonly tracesUrl: string;
  /** Time one export request may take. */
  readonly exportRequestTimeoutMs: number;
  readonly serviceName: string;
  /** `OTEL_RESOURCE_ATTRIBUTES`, decoded. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: (typeof TRACE_SAMPLERS)[number];
  /** The ratio of the `traceidratio` samplers, from 0 to 1. */
  readonly samplerRatio: number;
  /** Context formats read from `_meta` and HTTP headers; empty reads none. */
  readonly propagators: readonly ('tracecontext' | 'baggage')[];
  readonly batch: {
    readonly scheduleDelayMs: number;
    readonly maxQueueSize: number;
    readonly maxExportBatchSize: number;
    readonly exportTimeoutMs: number;
  };
}

const wholeNumber = (min: number, max: number, what = 'a whole number') =>
  z.coerce
    .number({ error: `must be ${what}` })
    .int({ error: `must be ${what}` })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` });

const int = (min: number, max: number, fallback: number, what = 'a whole number') =>
  wholeNumber(min, max, what).default(fallback);

/** A yes/no switch; undefined when unset so the mode can pick the default. */
const flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1')
  .optional();

const EnvSchema = z.object({
  PORT: int(0, 65535, 3000, 'a port number'),
  BIND_ADDRESS: z
    .union([z.ipv4(), z.ipv6()], { error: 'must be an IP address such as 127.0.0.1' })
    .default('127.0.0.1'),
  PUBLIC_URL: z
    .url({ protocol: /^https$/, error: 'must be an https URL such as https://mcp.example.com' })
    .refine((value) => ['', '/'].includes(new URL(value).pathname), {
      error: 'must be an origin without a path, such as https://mcp.example.com',
    })
    .transform((value) => new URL(value).origin)
    .optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  PGHOST: z.string().min(1).optional(),
  PGPORT: int(1, 65535, 5432, 'a port number'),
  PGDATABASE: z.string().min(1).optional(),
  PGUSER: z.string().min(1).optional(),
  PGPASSWORD: z.string().min(1).optional(),
  PGSSLMODE: z
    .enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full'], {
      error: 'must be one of disable, prefer, require, verify-ca, verify-full',
    })
    .default('verify-full'),
  REDIS_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]+$/, { error: 'must be a host name or IP address' })
    .optional(),
  REDIS_PORT: int(1, 65535, 6379, 'a port number'),
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_TLS: flag,
  EMBEDDED_DATA_DIR: z.string().min(1).optional(),
  PG_POOL_MAX: int(1, 1000, 10),
  PG_CONNECT_TIMEOUT_MS: int(100, 120_000, 5000),
  PG_STATEMENT_TIMEOUT_MS: int(100, 3_600_000, 10_000),
  PG_IDLE_TIMEOUT_MS: int(1000, 3_600_000, 30_000),
  REDIS_COMMAND_TIMEOUT_MS: int(10, 60_000, 500),
  CACHE_TTL_SECONDS: int(1, 86_400, 60),
  RATE_LIMIT_PER_MINUTE: int(1, 1_000_000, 600),
  RATE_LIMIT_ON_REDIS_ERROR: z.enum(['allow', 'deny'], { error: 'must be allow or deny' }).default('allow'),
  AUTH_FAILURES_PER_MINUTE: int(1, 1_000_000, 30),
  AUTH_REQUIRED_SCOPE: z
    .string()
    .regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { error: 'must be one OAuth scope token (no spaces or quotes)' })
    .default('mcp'),
  OAUTH_ISSUER: z
    .url({ protocol: /^https?$/, error: 'must be the issuer URL of your authorization server' })
    .optional(),
  OAUTH_JWKS_URL: z
    .url({ protocol: /^https?$/, error: 'must be the JWKS URL of your authorization server' })
    .optional(),
  OAUTH_TENANT_CLAIM: z
    .string()
    .regex(/^[A-Za-z_][\w.:/-]*$/, { error: 'must be a JWT claim name' })
    .default('tenant_id'),
  MIGRATE_ON_START: flag,
  MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024, 1024 * 1024),
  SHUTDOWN_DELAY_SECONDS: int(0, 300, 5),
  SHUTDOWN_DRAIN_SECONDS: int(0, 3600, 25),
  TRUST_PROXY_HOPS: int(0, 10, 0),
  KEEPALIVE_TIMEOUT_SECONDS: int(1, 86_400, 65),
  REQUEST_TIMEOUT_SECONDS: int(1, 3600, 30),
  RESPONSE_TIMEOUT_SECONDS: int(1, 3600, 30),
  MAX_CONNECTIONS: int(16, 1_000_000, 4096),
} satisfies Record<ServerVariable, z.ZodType>);

/** What `OTEL_RESOURCE_ATTRIBUTES` holds: `key=value` pairs, commas between, `,` `=` `%` percent-encoded. */
function resourceAttributes(text: string, context: z.RefinementCtx): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const parts = entry.split('=');
    const [key = '', value = ''] = parts.map((part) => part.trim());
    let decoded: [string, string] | undefined;
    try {
      decoded = [decodeURIComponent(key), decodeURIComponent(value)];
    } catch {
      decoded = undefined;
    }
    if (parts.length !== 2 || key === '' || decoded === undefined) {
      context.addIssue({
        code: 'custom',
        message: 'must be key=value pairs separated by commas, with "," "=" and "%" in them percent-encoded',
      });
      return attributes;
    }
    attributes[decoded[0]] = decoded[1];
  }
  return attributes;
}

/** A comma-separated list of propagator names, each known. */
const propagatorList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z.enum(['tracecontext', 'baggage', 'none'], {
        error: 'must list tracecontext, baggage or none, separated by commas (others are not supported)',
      }),
    ),
  );

const otlpUrl = z
  .url({
    protocol: /^https?$/,
    error: 'must be an http:// or https:// URL such as http://otel-collector:4318',
  })
  .optional();

/**
 * The OpenTelemetry SDK's standard variables this server reads, parsed like its own (the SDK 3.x
 * reads none by itself). The two `K8S_*` variables only feed `OTEL_RESOURCE_ATTRIBUTES` through
 * Kubernetes' `$(VAR)` expansion; the server never reads them.
 */
const TelemetryEnvSchema = z.object({
  OTEL_SDK_DISABLED: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(['true', 'false'], { error: 'must be true or false' }))
    .transform((value) => value === 'true')
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_TIMEOUT: int(1, 600_000, 10_000, 'a whole number of milliseconds'),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: wholeNumber(1, 600_000, 'a whole number of milliseconds').optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_RESOURCE_ATTRIBUTES: z.string().transform(resourceAttributes).optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(TRACE_SAMPLERS, { error: `must be one of ${TRACE_SAMPLERS.join(', ')}` })
    .default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number({ error: 'must be a sampling ratio from 0 to 1' })
    .min(0, { error: 'must be a sampling ratio from 0 to 1' })
    .max(1, { error: 'must be a sampling ratio from 0 to 1' })
    .default(1),
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'none'], { error: 'must be otlp or none (this server exports traces over OTLP only)' })
    .default('otlp'),
  OTEL_PROPAGATORS: propagatorList.default(['tracecontext', 'baggage']),
  OTEL_BSP_SCHEDULE_DELAY: int(1, 600_000, 5000, 'a whole number of milliseconds'),
  OTEL_BSP_MAX_QUEUE_SIZE: int(1, 1_000_000, 2048),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: int(1, 1_000_000, 512),
  OTEL_BSP_EXPORT_TIMEOUT: int(1, 600_000, 30_000, 'a whole number of milliseconds'),
} satisfies Record<Exclude<(typeof TELEMETRY_VARIABLES)[number], `K8S_${string}`>, z.ZodType>);

/** Everything `serve` reads: the server's variables and the telemetry ones. */
const ServerEnvSchema = EnvSchema.extend(TelemetryEnvSchema.shape);

/** The tracing settings, or undefined when tracing is off; problems go to `problems`. */
function tracingConfig(
  v: z.output<typeof TelemetryEnvSchema>,
  problems: string[],
): TracingConfig | undefined {
  if (v.OTEL_BSP_MAX_EXPORT_BATCH_SIZE > v.OTEL_BSP_MAX_QUEUE_SIZE) {
    problems.push(
      `OTEL_BSP_MAX_EXPORT_BATCH_SIZE must not exceed OTEL_BSP_MAX_QUEUE_SIZE ` +
        `(got ${v.OTEL_BSP_MAX_EXPORT_BATCH_SIZE} and ${v.OTEL_BSP_MAX_QUEUE_SIZE})`,
    );
  }
  const endpoint = v.OTEL_EXPORTER_OTLP_ENDPOINT;
  // The signal-specific URL is used as it is; the general one gets the traces path appended.
  const tracesUrl =
    v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (endpoint === undefined ? undefined : `${endpoint.replace(/\/+$/, '')}/v1/traces`);
  if (tracesUrl === undefined || v.OTEL_SDK_DISABLED === true || v.OTEL_TRACES_EXPORTER === 'none') {
    return undefined;
  }
  const resource = v.OTEL_RESOURCE_ATTRIBUTES ?? {};
  return {
    tracesUrl,
    exportRequestTimeoutMs: v.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? v.OTEL_EXPORTER_OTLP_TIMEOUT,
    serviceName: v.OTEL_SERVICE_NAME ?? resource['service.name'] ?? 'mcpenv-server',
    resourceAttributes: resource,
    sampler: v.OTEL_TRACES_SAMPLER,
    samplerRatio: v.OTEL_TRACES_SAMPLER_ARG,
    propagators: v.OTEL_PROPAGATORS.filter((name) => name !== 'none'),
    batch: {
      scheduleDelayMs: v.OTEL_BSP_SCHEDULE_DELAY,
      maxQueueSize: v.OTEL_BSP_MAX_QUEUE_SIZE,
      maxExportBatchSize: v.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
      exportTimeoutMs: v.OTEL_BSP_EXPORT_TIMEOUT,
    },
  };
}

/** A bad variable: the message names it, shows the value and the rule. CLI exit code 2. */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** What the database-only commands (`migrate`, `apikey`) need. */
export interface DatabaseConfig {
  /** Unset when the PG* variables describe the connection. */
  readonly databaseUrl?: string;
  readonly postgresEndpoint?: PostgresEndpoint;
  readonly logLevel: ServerConfig['logLevel'];
  readonly pg: ServerConfig['pg'];
}

/** Variables whose values must never appear in messages. */
const HIDDEN = new Set<string>(SECRET_VARIABLES);

function showValue(name: string, value: string | undefined): string {
  if (value === undefined) return 'unset';
  return HIDDEN.has(name) ? '(value hidden)' : JSON.stringify(value);
}

/** Why a file could not be read, in words; the error's own message repeats the path. */
function unreadableReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return code ?? 'unreadable';
}

/**
 * A value read from a file, such as a secret in a mounted Secret: the file's content less one
 * trailing newline (a Secret made with `kubectl create secret --from-file` keeps the file's).
 * Only that one newline goes: anything else may be part of the secret. A missing, unreadable or
 * empty file is a problem whose message names `subject` (the variable or flag) and the path,
 * never the content; `fix` says what to do about an unreadable one.
 */
export function readValueFile(
  file: string,
  subject: string,
  fix: string,
): { readonly value: string } | { readonly problem: string } {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return {
      problem: `${subject} names a file that cannot be read (${unreadableReason(error)}): ${JSON.stringify(file)}; ${fix}`,
    };
  }
  const value = content.endsWith('\n') ? content.slice(0, -1) : content;
  if (value === '')
    return { problem: `${subject} names an empty file: ${JSON.stringify(file)}; put the value in it` };
  return { value };
}

/**
 * The environment with each secret variable filled in from its `_FILE` variable (`readValueFile`),
 * the way a mounted Secret reaches the server. Both a variable and its `_FILE` set is an error, so
 * no one has to guess which wins. Returns the filled-in environment and which variables came from
 * files.
 */
function readSecretFiles(
  env: NodeJS.ProcessEnv,
  names: readonly SecretVariable[],
  heading: string,
): { env: NodeJS.ProcessEnv; fromFiles: ReadonlySet<string> } {
  const filled: NodeJS.ProcessEnv = { ...env };
  const fromFiles = new Set<string>();
  const problems: string[] = [];
  for (const name of names) {
    const fileVariable = secretFileVariable(name);
    const file = env[fileVariable];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name} and ${fileVariable} must not both be set: keep one`);
      continue;
    }
    const read = readValueFile(file, fileVariable, 'mount the Secret there or correct the path');
    if ('problem' in read) {
      problems.push(read.problem);
      continue;
    }
    filled[name] = read.value;
    fromFiles.add(name);
  }
  if (problems.length > 0) {
    throw new ConfigError(`${heading}:\n  - ${problems.join('\n  - ')}`);
  }
  return { env: filled, fromFiles };
}

function postgresEndpointOf(v: {
  PGHOST?: string;
  PGPORT: number;
  PGDATABASE?: string;
  PGUSER?: string;
  PGPASSWORD?: string;
  PGSSLMODE: PostgresEndpoint['sslMode'];
}): PostgresEndpoint {
  return {
    host: v.PGHOST as string,
    port: v.PGPORT,
    ...(v.PGDATABASE ? { database: v.PGDATABASE } : {}),
    ...(v.PGUSER ? { user: v.PGUSER } : {}),
    ...(v.PGPASSWORD ? { password: v.PGPASSWORD } : {}),
    sslMode: v.PGSSLMODE,
  };
}

/** Host and port of the database, never credentials. */
function describeDatabase(url: string | undefined, host: string | undefined, port: number): string {
  if (url) {
    const parsed = new URL(url);
    return `postgres://${parsed.host}${parsed.pathname}`;
  }
  return `postgres://${host}:${port} (PG* variables)`;
}

/** Whether a bind address is a loopback address. */
export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

function relevantVariables(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const relevant: Record<string, string> = {};
  for (const key of names) {
    const value = env[key];
    if (value !== undefined && value !== '') relevant[key] = value;
  }
  return relevant;
}

function problemsOf(
  error: z.ZodError,
  relevant: Record<string, string>,
  fromFiles: ReadonlySet<string>,
): string[] {
  return error.issues.map((issue) => {
    const name = String(issue.path[0]);
    const subject = fromFiles.has(name) ? `${name} (read from ${name}_FILE)` : name;
    return `${subject} ${issue.message} (got ${showValue(name, relevant[name])})`;
  });
}

const DatabaseEnvSchema = EnvSchema.pick({
  DATABASE_URL: true,
  PGHOST: true,
  PGPORT: true,
  PGDATABASE: true,
  PGUSER: true,
  PGPASSWORD: true,
  PGSSLMODE: true,
  LOG_LEVEL: true,
  PG_POOL_MAX: true,
  PG_CONNECT_TIMEOUT_MS: true,
  PG_STATEMENT_TIMEOUT_MS: true,
  PG_IDLE_TIMEOUT_MS: true,
});

/**
 * Parses only the database settings, for commands that need nothing else (a migration Job has
 * no business holding the Redis password); DATABASE_URL and PGPASSWORD may come from files
 * (`DATABASE_URL_FILE`, `PGPASSWORD_FILE`). Throws a `ConfigError` when DATABASE_URL is missing.
 */
export function parseDatabaseConfig(env: NodeJS.ProcessEnv): DatabaseConfig {
  const secrets = readSecretFiles(env, ['DATABASE_URL', 'PGPASSWORD'], 'invalid configuration');
  const relevant = relevantVariables(secrets.env, Object.keys(DatabaseEnvSchema.shape));
  const result = DatabaseEnvSchema.safeParse(relevant);
  if (!result.success) {
    throw new ConfigError(
      `invalid configuration:\n  - ${problemsOf(result.error, relevant, secrets.fromFiles).join('\n  - ')}`,
    );
  }
  const v = result.data;
  if (v.DATABASE_URL === undefined && v.PGHOST === undefined) {
    throw new ConfigError(
      'DATABASE_URL must be set to a postgres:// URL (or PGHOST and the other PG* variables) for this command',
    );
  }
  return {
    ...(v.DATABASE_URL === undefined ? {} : { databaseUrl: v.DATABASE_URL }),
    ...(v.DATABASE_URL === undefined ? { postgresEndpoint: postgresEndpointOf(v) } : {}),
    logLevel: v.LOG_LEVEL,
    pg: {
      poolMax: v.PG_POOL_MAX,
      connectTimeoutMs: v.PG_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: v.PG_STATEMENT_TIMEOUT_MS,
      idleTimeoutMs: v.PG_IDLE_TIMEOUT_MS,
    },
  };
}

/**
 * Parses the server's settings from environment variables; each secret one may instead name a
 * file holding it (`PGPASSWORD_FILE`). Empty strings count as unset. Throws a `ConfigError`
 * naming every bad variable and the fix.
 */
export function parseServerConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const secrets = readSecretFiles(env, SECRET_VARIABLES, 'invalid server configuration');
  const relevant = relevantVariables(secrets.env, [...SERVER_VARIABLES, ...TELEMETRY_VARIABLES]);
  const result = ServerEnvSchema.safeParse(relevant);
  const problems: string[] = [];
  if (!result.success) {
    throw new ConfigError(
      `invalid server configuration:\n  - ${problemsOf(result.error, relevant, secrets.fromFiles).join('\n  - ')}`,
    );
  }
  const v = result.data;
  const tracing = tracingConfig(v, problems);

  const hasDatabase = v.DATABASE_URL !== undefined || v.PGHOST !== undefined;
  const hasRedis = v.REDIS_URL !== undefined || v.REDIS_HOST !== undefined;
  const embedded = !hasDatabase && !hasRedis;
  if (!embedded && (!hasDatabase || !hasRedis)) {
    problems.push(
      hasDatabase
        ? 'REDIS_URL (or REDIS_HOST) must be set together with DATABASE_URL (or PGHOST): both for the server mode, neither for the embedded mode'
        : 'DATABASE_URL (or PGHOST) must be set together with REDIS_URL (or REDIS_HOST): both for the server mode, neither for the embedded mode',
    );
  }
  if (v.REDIS_URL !== undefined && v.REDIS_HOST !== undefined) {
    problems.push('REDIS_URL and REDIS_HOST must not both be set: use one way to describe Redis');
  }
  if (embedded && !isLoopback(v.BIND_ADDRESS)) {
    problems.push(
      `BIND_ADDRESS must be a loopback address in the embedded mode, where auth is off (got "${v.BIND_ADDRESS}"); ` +
        'set DATABASE_URL and REDIS_URL to serve other addresses',
    );
  }
  if (!embedded && v.PUBLIC_URL === undefined) {
    problems.push(
      'PUBLIC_URL must be set when DATABASE_URL and REDIS_URL are (it is the OAuth audience and Host allow-list)',
    );
  }
  if ((v.OAUTH_ISSUER === undefined) !== (v.OAUTH_JWKS_URL === undefined)) {
    problems.push('OAUTH_ISSUER and OAUTH_JWKS_URL must be set together to accept OAuth tokens');
  }
  if (!embedded && v.EMBEDDED_DATA_DIR !== undefined) {
    problems.push(
      'EMBEDDED_DATA_DIR applies only to the embedded mode: unset it, or unset DATABASE_URL and REDIS_URL',
    );
  }
  if (problems.length > 0)
    throw new ConfigError(`invalid server configuration:\n  - ${problems.join('\n  - ')}`);

  return {
    mode: embedded ? 'embedded' : 'server',
    port: v.PORT,
    bindAddress: v.BIND_ADDRESS,
    ...(v.PUBLIC_URL === undefined ? {} : { publicUrl: v.PUBLIC_URL }),
    logLevel: v.LOG_LEVEL,
    ...(v.DATABASE_URL === undefined ? {} : { databaseUrl: v.DATABASE_URL }),
    ...(hasDatabase ? { databaseDescription: describeDatabase(v.DATABASE_URL, v.PGHOST, v.PGPORT) } : {}),
    ...(v.DATABASE_URL === undefined && v.PGHOST !== undefined
      ? { postgresEndpoint: postgresEndpointOf(v) }
      : {}),
    ...(v.REDIS_URL === undefined ? {} : { redisUrl: v.REDIS_URL }),
    ...(v.REDIS_HOST === undefined
      ? {}
      : {
          redisEndpoint: {
            host: v.REDIS_HOST,
            port: v.REDIS_PORT,
            tls: v.REDIS_TLS ?? false,
            ...(v.REDIS_USERNAME ? { username: v.REDIS_USERNAME } : {}),
            ...(v.REDIS_PASSWORD ? { password: v.REDIS_PASSWORD } : {}),
          },
        }),
    ...(v.EMBEDDED_DATA_DIR === undefined ? {} : { embeddedDataDir: v.EMBEDDED_DATA_DIR }),
    pg: {
      poolMax: v.PG_POOL_MAX,
      connectTimeoutMs: v.PG_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: v.PG_STATEMENT_TIMEOUT_MS,
      idleTimeoutMs: v.PG_IDLE_TIMEOUT_MS,
    },
    redisCommandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS,
    cacheTtlSeconds: v.CACHE_TTL_SECONDS,
    rateLimit: { perMinute: v.RATE_LIMIT_PER_MINUTE, onRedisError: v.RATE_LIMIT_ON_REDIS_ERROR },
    auth: {
      enabled: !embedded,
      requiredScope: v.AUTH_REQUIRED_SCOPE,
      failuresPerMinute: v.AUTH_FAILURES_PER_MINUTE,
      ...(v.OAUTH_ISSUER && v.OAUTH_JWKS_URL
        ? { oauth: { issuer: v.OAUTH_ISSUER, jwksUrl: v.OAUTH_JWKS_URL, tenantClaim: v.OAUTH_TENANT_CLAIM } }
        : {}),
    },
    migrateOnStart: v.MIGRATE_ON_START ?? embedded,
    maxBodyBytes: v.MAX_BODY_BYTES,
    shutdownDelaySeconds:
      relevant.SHUTDOWN_DELAY_SECONDS === undefined && embedded ? 0 : v.SHUTDOWN_DELAY_SECONDS,
    drainTimeoutSeconds: v.SHUTDOWN_DRAIN_SECONDS,
    trustProxyHops: v.TRUST_PROXY_HOPS,
    keepAliveTimeoutSeconds: v.KEEPALIVE_TIMEOUT_SECONDS,
    requestTimeoutSeconds: v.REQUEST_TIMEOUT_SECONDS,
    responseTimeoutSeconds: v.RESPONSE_TIMEOUT_SECONDS,
    maxConnections: v.MAX_CONNECTIONS,
    ...(tracing ? { tracing } : {}),
  };
}
