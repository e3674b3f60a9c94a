/**
 * The metric catalogue: the one definition of every metric the reference server exposes.
 * The server registers exactly these with prom-client; alert rules and dashboards are built
 * from them. Part of `@mcpenv/contract`: no imports, because both the library and the server load it.
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

/**
 * The bucket boundaries the OpenTelemetry MCP semantic conventions advise for
 * `mcp.server.operation.duration`, so the histogram lines up with other MCP servers' telemetry.
 */
const SEMCONV_OPERATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

export const METRICS = {
  requestsTotal: {
    name: 'mcp_requests_total',
    type: 'counter',
    help: 'HTTP requests handled by the MCP server, by JSON-RPC method, HTTP status, endpoint and MCP protocol version.',
    labelNames: ['method', 'status', 'endpoint', 'protocol_version'],
  },
  requestDurationSeconds: {
    name: 'mcp_request_duration_seconds',
    type: 'histogram',
    help: 'Time from receiving an HTTP request to finishing its response, in seconds.',
    labelNames: ['method', 'endpoint', 'protocol_version'],
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
    help:
      "Tool calls, by tool name and outcome: success, client_error (the caller's fault, such as invalid " +
      "arguments) or server_error (the server's: a dependency failing, a timeout, a bug).",
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
  /**
   * The OpenTelemetry MCP semantic conventions' `mcp.server.operation.duration`, in Prometheus
   * naming (dots become underscores, the unit a suffix): one observation per MCP request or
   * notification, where `mcp_requests_total` counts HTTP exchanges (a batch is one exchange).
   */
  operationDurationSeconds: {
    name: 'mcp_server_operation_duration_seconds',
    type: 'histogram',
    help:
      'Time the server took to process an MCP request or notification, in seconds, by method, tool, error ' +
      'type, MCP protocol version and transport (OpenTelemetry semantic conventions for MCP).',
    labelNames: [
      'mcp_method_name',
      'gen_ai_tool_name',
      'error_type',
      'mcp_protocol_version',
      'network_transport',
    ],
    buckets: SEMCONV_OPERATION_BUCKETS,
  },
} as const satisfies Record<string, MetricDefinition>;

/**
 * What `mcpenv probe --serve-metrics` exposes: a synthetic client's view of the environment from
 * where its users stand. The probe process registers exactly these; the server none of them.
 */
export const PROBE_METRICS = {
  probeSuccess: {
    name: 'mcp_probe_success',
    type: 'gauge',
    help: 'Whether the last probe run completed every step (1) or not (0).',
    labelNames: [],
  },
  probeDurationSeconds: {
    name: 'mcp_probe_duration_seconds',
    type: 'gauge',
    help: 'How long each step of the last probe run took, in seconds; total is the whole run.',
    labelNames: ['step'],
  },
  probeTlsNotAfterTimestampSeconds: {
    name: 'mcp_probe_tls_not_after_timestamp_seconds',
    type: 'gauge',
    help: 'When the certificate the public URL presented expires, in seconds since the Unix epoch (HTTPS only).',
    labelNames: [],
  },
} as const satisfies Record<string, MetricDefinition>;

/** The port `mcpenv probe --serve-metrics` serves `/metrics` on unless `--metrics-port` says otherwise. */
export const PROBE_METRICS_PORT = 9464;

/**
 * What prom-client's default collectors register in the server process (prom-client 15 on
 * Linux), written out so the catalogue names every series the server exposes. The alerts and
 * dashboards use the memory, CPU and heap ones; help texts are prom-client's.
 */
export const PROCESS_METRICS = {
  cpuUserSecondsTotal: {
    name: 'process_cpu_user_seconds_total',
    type: 'counter',
    help: 'Total user CPU time spent in seconds.',
    labelNames: [],
  },
  cpuSystemSecondsTotal: {
    name: 'process_cpu_system_seconds_total',
    type: 'counter',
    help: 'Total system CPU time spent in seconds.',
    labelNames: [],
  },
  cpuSecondsTotal: {
    name: 'process_cpu_seconds_total',
    type: 'counter',
    help: 'Total user and system CPU time spent in seconds.',
    labelNames: [],
  },
  startTimeSeconds: {
    name: 'process_start_time_seconds',
    type: 'gauge',
    help: 'Start time of the process since unix epoch in seconds.',
    labelNames: [],
  },
  residentMemoryBytes: {
    name: 'process_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident memory size in bytes.',
    labelNames: [],
  },
  virtualMemoryBytes: {
    name: 'process_virtual_memory_bytes',
    type: 'gauge',
    help: 'Virtual memory size in bytes.',
    labelNames: [],
  },
  processHeapBytes: {
    name: 'process_heap_bytes',
    type: 'gauge',
    help: 'Process heap size in bytes.',
    labelNames: [],
  },
  openFds: {
    name: 'process_open_fds',
    type: 'gauge',
    help: 'Number of open file descriptors.',
    labelNames: [],
  },
  maxFds: {
    name: 'process_max_fds',
    type: 'gauge',
    help: 'Maximum number of open file descriptors.',
    labelNames: [],
  },
  eventLoopLagSeconds: {
    name: 'nodejs_eventloop_lag_seconds',
    type: 'gauge',
    help: 'Lag of event loop in seconds.',
    labelNames: [],
  },
  eventLoopLagMinSeconds: {
    name: 'nodejs_eventloop_lag_min_seconds',
    type: 'gauge',
    help: 'The minimum recorded event loop delay.',
    labelNames: [],
  },
  eventLoopLagMaxSeconds: {
    name: 'nodejs_eventloop_lag_max_seconds',
    type: 'gauge',
    help: 'The maximum recorded event loop delay.',
    labelNames: [],
  },
  eventLoopLagMeanSeconds: {
    name: 'nodejs_eventloop_lag_mean_seconds',
    type: 'gauge',
    help: 'The mean of the recorded event loop delays.',
    labelNames: [],
  },
  eventLoopLagStddevSeconds: {
    name: 'nodejs_eventloop_lag_stddev_seconds',
    type: 'gauge',
    help: 'The standard deviation of the recorded event loop delays.',
    labelNames: [],
  },
  eventLoopLagP50Seconds: {
    name: 'nodejs_eventloop_lag_p50_seconds',
    type: 'gauge',
    help: 'The 50th percentile of the recorded event loop delays.',
    labelNames: [],
  },
  eventLoopLagP90Seconds: {
    name: 'nodejs_eventloop_lag_p90_seconds',
    type: 'gauge',
    help: 'The 90th percentile of the recorded event loop delays.',
    labelNames: [],
  },
  eventLoopLagP99Seconds: {
    name: 'nodejs_eventloop_lag_p99_seconds',
    type: 'gauge',
    help: 'The 99th percentile of the recorded event loop delays.',
    labelNames: [],
  },
  activeResources: {
    name: 'nodejs_active_resources',
    type: 'gauge',
    help: 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
    labelNames: ['type'],
  },
  activeResourcesTotal: {
    name: 'nodejs_active_resources_total',
    type: 'gauge',
    help: 'Total number of active resources.',
    labelNames: [],
  },
  activeHandles: {
    name: 'nodejs_active_handles',
    type: 'gauge',
    help: 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.',
    labelNames: ['type'],
  },
  activeHandlesTotal: {
    name: 'nodejs_active_handles_total',
    type: 'gauge',
    help: 'Total number of active handles.',
    labelNames: [],
  },
  activeRequests: {
    name: 'nodejs_active_requests',
    type: 'gauge',
    help: 'Number of active libuv requests grouped by request type. Every request type is C++ class name.',
    labelNames: ['type'],
  },
  activeRequestsTotal: {
    name: 'nodejs_active_requests_total',
    type: 'gauge',
    help: 'Total number of active requests.',
    labelNames: [],
  },
  heapSizeTotalBytes: {
    name: 'nodejs_heap_size_total_bytes',
    type: 'gauge',
    help: 'Process heap size from Node.js in bytes.',
    labelNames: [],
  },
  heapUsedBytes: {
    name: 'nodejs_heap_size_used_bytes',
    type: 'gauge',
    help: 'Process heap size used from Node.js in bytes.',
    labelNames: [],
  },
  externalMemoryBytes: {
    name: 'nodejs_external_memory_bytes',
    type: 'gauge',
    help: 'Node.js external memory size in bytes.',
    labelNames: [],
  },
  heapSpaceSizeTotalBytes: {
    name: 'nodejs_heap_space_size_total_bytes',
    type: 'gauge',
    help: 'Process heap space size total from Node.js in bytes.',
    labelNames: ['space'],
  },
  heapSpaceSizeUsedBytes: {
    name: 'nodejs_heap_space_size_used_bytes',
    type: 'gauge',
    help: 'Process heap space size used from Node.js in bytes.',
    labelNames: ['space'],
  },
  heapSpaceSizeAvailableBytes: {
    name: 'nodejs_heap_space_size_available_bytes',
    type: 'gauge',
    help: 'Process heap space size available from Node.js in bytes.',
    labelNames: ['space'],
  },
  versionInfo: {
    name: 'nodejs_version_info',
    type: 'gauge',
    help: 'Node.js version info.',
    labelNames: ['version', 'major', 'minor', 'patch'],
  },
  gcDurationSeconds: {
    name: 'nodejs_gc_duration_seconds',
    type: 'histogram',
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind'],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
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

/**
 * What kube-state-metrics exposes about the Postgres backup CronJob (its stable CronJob metrics).
 * Its series carry the object's `namespace`, which scopes them as target labels scope the
 * server's, so it is given as the selector and not listed here.
 */
export const KUBE_STATE_METRICS = {
  cronJobCreated: {
    name: 'kube_cronjob_created',
    type: 'gauge',
    help: 'When the CronJob was created, in seconds since the Unix epoch; written by kube-state-metrics.',
    labelNames: ['cronjob'],
  },
  cronJobLastSuccessfulTime: {
    name: 'kube_cronjob_status_last_successful_time',
    type: 'gauge',
    help:
      'When a Job of the CronJob last completed successfully, in seconds since the Unix epoch; absent ' +
      'until one has; written by kube-state-metrics.',
    labelNames: ['cronjob'],
  },
} as const satisfies Record<string, MetricDefinition>;

/** Every name an alert rule or dashboard panel may use. */
export const QUERYABLE_METRICS: readonly MetricDefinition[] = [
  ...Object.values(METRICS),
  ...Object.values(PROBE_METRICS),
  ...Object.values(PROCESS_METRICS),
  ...Object.values(SCRAPE_METRICS),
  ...Object.values(KUBE_STATE_METRICS),
];

/** The MCP revisions the server serves, by generation, newest first. */
export const PROTOCOL_GENERATIONS = {
  /** Stateless: every request a POST carrying `Mcp-Method`; notifications on `subscriptions/listen` streams. */
  modern: ['2026-07-28'],
  /** Session-based: `initialize`, then `Mcp-Session-Id` on every request. */
  legacy: ['2025-11-25', '2025-06-18', '2025-03-26'],
} as const;

/**
 * Values the bounded labels take. Keeping them here documents the cardinality and lets the
 * monitoring side build per-value panels without guessing.
 */
export const LABEL_VALUES = {
  /** `method` of the request metrics: the JSON-RPC methods of MCP... */
  rpcMethod: [
    'initialize',
    'ping',
    'tools/list',
    'tools/call',
    'resources/list',
    'resources/templates/list',
    'resources/read',
    'prompts/list',
    'prompts/get',
    'completion/complete',
    'logging/setLevel',
    'notifications/initialized',
    'notifications/cancelled',
    'server/discover',
    'subscriptions/listen',
  ],
  /**
   * ...and what stands for anything else: `other` (any other method), `invalid` (no method),
   * `batch` and `none` (no parsed body).
   */
  rpcMethodFallback: ['other', 'invalid', 'batch', 'none'],
  /** The 5xx statuses the server answers with: an unexpected failure, or a backend unavailable. */
  serverErrorStatus: ['500', '503'],
  /**
   * `status` of the tool calls: whose fault a failed call is. `client_error` is the caller's
   * (invalid or unstorable arguments, an unknown id, a damaged cursor) and is answered with a tool
   * error the model can act on; `server_error` is the server's (Postgres or Redis failing, a
   * timeout, a bug) and is what the tool-error alert counts.
   */
  toolStatus: ['success', 'client_error', 'server_error'],
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
  resourceType: ['memory'],
  /** `protocol_version` of the request metrics: the MCP revisions the server serves... */
  protocolVersion: [...PROTOCOL_GENERATIONS.modern, ...PROTOCOL_GENERATIONS.legacy],
  /**
   * ...and what stands for any other version, and for a request whose version was never read
   * (rejected before its headers or body were parsed).
   */
  protocolVersionFallback: ['unknown'],
  /**
   * `error_type` of `mcp_server_operation_duration_seconds`: empty on success; the JSON-RPC error
   * code the server answered with; `tool_error` for a tool result with `isError`; `_OTHER` for
   * anything else (a code outside this list, a dropped exchange), so the label stays bounded.
   */
  operationErrorType: [
    '',
    '-32700',
    '-32600',
    '-32601',
    '-32602',
    '-32603',
    '-32001',
    '-32002',
    'tool_error',
    '_OTHER',
  ],
  /** `network_transport` of the semantic-convention metric: Streamable HTTP runs over TCP. */
  networkTransport: ['tcp'],
  /** `step` of `mcp_probe_duration_seconds`, in the order a probe run takes them. */
  probeStep: ['tls', 'handshake', 'tools/list', 'tools/call', 'total'],
} as const;

export type AuthFailureReason = (typeof LABEL_VALUES.authFailureReason)[number];

/** A value of the tool calls' `status` label. */
export type ToolStatus = (typeof LABEL_VALUES.toolStatus)[number];

/** A value of the `protocol_version` label: a known MCP revision, or `unknown`. */
export type ProtocolVersionLabel =
  (typeof LABEL_VALUES.protocolVersion)[number] | (typeof LABEL_VALUES.protocolVersionFallback)[number];

const KNOWN_PROTOCOL_VERSIONS: ReadonlySet<string> = new Set(LABEL_VALUES.protocolVersion);

/**
 * The `protocol_version` label for a request: the negotiated or `MCP-Protocol-Version` revision
 * when it is one of `LABEL_VALUES.protocolVersion`, else `unknown` (a missing header, an
 * unsupported or malformed version), so a client cannot grow the label's cardinality.
 */
export function protocolVersionLabel(raw: string | undefined): ProtocolVersionLabel {
  return raw !== undefined && KNOWN_PROTOCOL_VERSIONS.has(raw)
    ? (raw as ProtocolVersionLabel)
    : LABEL_VALUES.protocolVersionFallback[0];
}

/** A value of the semantic-convention metric's `error_type` label. */
export type OperationErrorType = (typeof LABEL_VALUES.operationErrorType)[number];

const KNOWN_ERROR_TYPES: ReadonlySet<string> = new Set(LABEL_VALUES.operationErrorType);

/**
 * The `error_type` label (and span attribute) for an outcome: `''` for success, the JSON-RPC
 * error code as a string when it is a known one, `tool_error` as given, else `_OTHER`.
 */
export function operationErrorType(outcome: number | 'tool_error' | undefined): OperationErrorType {
  if (outcome === undefined) return '';
  const text = String(outcome);
  return KNOWN_ERROR_TYPES.has(text) ? (text as OperationErrorType) : '_OTHER';
}

/** A value of the probe's `step` label. */
export type ProbeStep = (typeof LABEL_VALUES.probeStep)[number];

/** Every catalogued metric, in a stable order. */
export const METRIC_LIST: readonly MetricDefinition[] = Object.values(METRICS);

/** Every metric the probe exposes, in a stable order. */
export const PROBE_METRIC_LIST: readonly MetricDefinition[] = Object.values(PROBE_METRICS);
