/**
 * The environment variables the reference server reads and the Secret keys the workload takes
 * them from. The server's configuration parses exactly `SERVER_VARIABLES`, each secret one also
 * from a file (`SECRET_FILE_VARIABLES`); the workload constructs set only these (plus
 * `RUNTIME_VARIABLES`, which Node.js itself reads). A test
 * synthesizes every data-tier choice and checks that the server starts from what it sets.
 */

/** Every variable the reference server reads, in the order its configuration lists them. */
export const SERVER_VARIABLES = [
  'PORT',
  'BIND_ADDRESS',
  'PUBLIC_URL',
  'LOG_LEVEL',
  'DATABASE_URL',
  'REDIS_URL',
  'PGHOST',
  'PGPORT',
  'PGDATABASE',
  'PGUSER',
  'PGPASSWORD',
  'PGSSLMODE',
  'REDIS_HOST',
  'REDIS_PORT',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'REDIS_TLS',
  'EMBEDDED_DATA_DIR',
  'PG_POOL_MAX',
  'PG_CONNECT_TIMEOUT_MS',
  'PG_STATEMENT_TIMEOUT_MS',
  'PG_IDLE_TIMEOUT_MS',
  'REDIS_COMMAND_TIMEOUT_MS',
  'CACHE_TTL_SECONDS',
  'RATE_LIMIT_PER_MINUTE',
  'RATE_LIMIT_ON_REDIS_ERROR',
  'AUTH_FAILURES_PER_MINUTE',
  'AUTH_REQUIRED_SCOPE',
  'OAUTH_ISSUER',
  'OAUTH_JWKS_URL',
  'OAUTH_TENANT_CLAIM',
  'MIGRATE_ON_START',
  'MAX_BODY_BYTES',
  'SHUTDOWN_DELAY_SECONDS',
  'SHUTDOWN_DRAIN_SECONDS',
  'TRUST_PROXY_HOPS',
  'KEEPALIVE_TIMEOUT_SECONDS',
  'REQUEST_TIMEOUT_SECONDS',
  'RESPONSE_TIMEOUT_SECONDS',
  'MAX_CONNECTIONS',
] as const;

/** A variable the reference server reads. */
export type ServerVariable = (typeof SERVER_VARIABLES)[number];

/** Variables that hold secrets: set only from Secrets, never shown in messages or logs. */
export const SECRET_VARIABLES = [
  'DATABASE_URL',
  'REDIS_URL',
  'PGPASSWORD',
  'REDIS_PASSWORD',
] as const satisfies readonly ServerVariable[];

/** A variable that holds a secret. */
export type SecretVariable = (typeof SECRET_VARIABLES)[number];

/**
 * The variable naming a file that holds a secret variable's value: `PGPASSWORD_FILE` for
 * `PGPASSWORD`, the convention of official images. A Secret mounted as a file stays out of the
 * process environment, which child processes inherit and `/proc/<pid>/environ` and the container
 * runtime's inspect show.
 */
export type SecretFileVariable = `${SecretVariable}_FILE`;

/** The `_FILE` variable of a secret variable. */
export function secretFileVariable(name: SecretVariable): SecretFileVariable {
  return `${name}_FILE`;
}

/** Every `_FILE` variable the reference server reads, in the order of `SECRET_VARIABLES`. */
export const SECRET_FILE_VARIABLES: readonly SecretFileVariable[] = SECRET_VARIABLES.map(secretFileVariable);

/** Variables the workload may set for the Node.js runtime rather than for the server. */
export const RUNTIME_VARIABLES = ['NODE_EXTRA_CA_CERTS'] as const;

/**
 * The OpenTelemetry SDK's standard variables the server's tracing reads (none set: tracing off),
 * and the two the workload fills from the downward API so `OTEL_RESOURCE_ATTRIBUTES` can name
 * the pod and its namespace through `$(VAR)` references.
 */
export const TELEMETRY_VARIABLES = [
  'OTEL_SDK_DISABLED',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_TRACES_EXPORTER',
  'OTEL_PROPAGATORS',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'K8S_POD_NAME',
  'K8S_NAMESPACE_NAME',
] as const;

/**
 * The variable `mcpenv probe` takes its API key from when `--api-key-file` is not given. The
 * file is the better way in a pod (a mounted Secret stays out of the environment); the key never
 * travels as a flag, which `ps` and the pod spec would show.
 */
export const PROBE_API_KEY_VARIABLE = 'MCP_PROBE_API_KEY';

/** A variable the server container may carry: one the server or its runtime reads. */
export type WorkloadVariable =
  | ServerVariable
  | SecretFileVariable
  | (typeof RUNTIME_VARIABLES)[number]
  | (typeof TELEMETRY_VARIABLES)[number];

/**
 * The keys of the Secrets the workload reads, by Secret. The Terraform stack (or an operator)
 * writes them; the data-store constructs reference them by these keys.
 */
export const SECRET_KEYS = {
  /** In-cluster Postgres: the superuser the server connects as. */
  postgresCredentials: { username: 'username', password: 'password' },
  /** Postgres outside the cluster (RDS or your own): where and as whom to connect. */
  postgresConnection: {
    host: 'host',
    port: 'port',
    dbname: 'dbname',
    username: 'username',
    password: 'password',
  },
  /** In-cluster Redis: its `requirepass` password. */
  redisPassword: { password: 'password' },
  /** Redis outside the cluster (ElastiCache or your own). */
  redisConnection: { host: 'host', port: 'port', password: 'password' },
} as const;
