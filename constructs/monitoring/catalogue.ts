/**
 * The metric catalogue: the one definition of every metric the reference server exposes.
 * The server registers exactly these with prom-client; alert rules and dashboards are built
 * from them. This module must stay free of cdk8s/cdktf imports because the server loads it.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Histogram bucket upper bounds in the metric's unit. */
  readonly buckets?: readonly number[];
}

/** Latency buckets in seconds: fine-grained below 1 s, where MCP tool calls usually land. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const METRICS = {
  requestsTotal: {
    name: 'mcp_requests_total',
    type: 'counter',
    help: 'HTTP requests handled by the MCP server, by JSON-RPC method, HTTP status and endpoint.',
    labelNames: ['method', 'status', 'endpoint'],
  },
  requestDurationSeconds: {
    name: 'mcp_request_duration_seconds',
    type: 'histogram',
    help: 'Time from receiving an HTTP request to finishing its response, in seconds.',
    labelNames: ['method', 'endpoint'],
    buckets: LATENCY_BUCKETS,
  },
  activeConnections: {
    name: 'mcp_active_connections',
    type: 'gauge',
    help: 'HTTP requests to the MCP endpoint currently in flight (including open SSE streams).',
    labelNames: [],
  },
  toolExecutionsTotal: {
    name: 'mcp_tool_executions_total',
    type: 'counter',
    help: 'Tool calls, by tool name and outcome (success or error).',
    labelNames: ['tool_name', 'status'],
  },
  resourceAccessTotal: {
    name: 'mcp_resource_access_total',
    type: 'counter',
    help: 'Resource reads and listings, by resource type and operation.',
    labelNames: ['resource_type', 'operation'],
  },
  rateLimitRejectionsTotal: {
    name: 'mcp_rate_limit_rejections_total',
    type: 'counter',
    help: 'Requests rejected with HTTP 429 because the caller exceeded its rate limit.',
    labelNames: ['endpoint'],
  },
  authFailuresTotal: {
    name: 'mcp_auth_failures_total',
    type: 'counter',
    help: 'Requests rejected by authentication or authorization, by reason.',
    labelNames: ['reason'],
  },
  postgresUp: {
    name: 'mcp_postgres_up',
    type: 'gauge',
    help: 'Whether the last Postgres health check succeeded (1) or failed (0).',
    labelNames: [],
  },
  ready: {
    name: 'mcp_ready',
    type: 'gauge',
    help: 'Whether the last readiness check passed (1) or not (0): Postgres reachable, migrations current, not draining.',
    labelNames: [],
  },
  redisUp: {
    name: 'mcp_redis_up',
    type: 'gauge',
    help: 'Whether the last Redis health check succeeded (1) or failed (0); always 1 in the embedded mode.',
    labelNames: [],
  },
} as const satisfies Record<string, MetricDefinition>;

/**
 * Metrics prom-client's default collectors register in the server process, which the alerts and
 * dashboards use for memory and CPU. Listed here so that every expression still resolves
 * against this catalogue.
 */
export const PROCESS_METRICS = {
  residentMemoryBytes: {
    name: 'process_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident memory size in bytes.',
    labelNames: [],
  },
  cpuSecondsTotal: {
    name: 'process_cpu_seconds_total',
    type: 'counter',
    help: 'Total user and system CPU time spent in seconds.',
    labelNames: [],
  },
  eventLoopLagP99Seconds: {
    name: 'nodejs_eventloop_lag_p99_seconds',
    type: 'gauge',
    help: 'The 99th percentile of the recorded event loop delays.',
    labelNames: [],
  },
  heapUsedBytes: {
    name: 'nodejs_heap_size_used_bytes',
    type: 'gauge',
    help: 'Process heap size used from Node.js in bytes.',
    labelNames: [],
  },
} as const satisfies Record<string, MetricDefinition>;

/** Series Prometheus itself adds to every scrape target. */
export const SCRAPE_METRICS = {
  up: {
    name: 'up',
    type: 'gauge',
    help: 'Whether the last scrape of the target succeeded (1) or not (0); written by Prometheus.',
    labelNames: [],
  },
} as const satisfies Record<string, MetricDefinition>;

/** Every name an alert rule or dashboard panel may use. */
export const QUERYABLE_METRICS: readonly MetricDefinition[] = [
  ...Object.values(METRICS),
  ...Object.values(PROCESS_METRICS),
  ...Object.values(SCRAPE_METRICS),
];

/**
 * Values the bounded labels take. Keeping them here documents the cardinality and lets the
 * monitoring side build per-value panels without guessing.
 */
export const LABEL_VALUES = {
  toolStatus: ['success', 'error'],
  authFailureReason: [
    'missing_token',
    'malformed_token',
    'unknown_key',
    'revoked_key',
    'invalid_signature',
    'expired',
    'wrong_issuer',
    'wrong_audience',
    'invalid_token',
    'insufficient_scope',
    'issuer_unavailable',
  ],
  resourceOperation: ['read', 'list'],
} as const;

export type AuthFailureReason = (typeof LABEL_VALUES.authFailureReason)[number];

/** Every catalogued metric, in a stable order. */
export const METRIC_LIST: readonly MetricDefinition[] = Object.values(METRICS);
