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
} as const satisfies Record<string, MetricDefinition>;

/** Every catalogued metric, in a stable order. */
export const METRIC_LIST: readonly MetricDefinition[] = Object.values(METRICS);
