/**
 * Series the recording rules write. Names follow Prometheus's `level:metric:operations`
 * convention; the dashboards and alerts of the library read them by these names, and the
 * recording rules that compute them live in the library (`constructs/monitoring/recording-rules.ts`).
 */

/** A series a recording rule writes. */
export interface RecordedSeriesDefinition {
  readonly name: string;
  readonly help: string;
  /** Labels besides the selector's. */
  readonly labelNames: readonly string[];
}

/** The rate window every recorded series uses; it is part of the series names. */
export const RECORDING_WINDOW = '5m';

/** Every series the recording rules write, in evaluation order. */
export const RECORDED_SERIES = {
  requestRate: {
    name: 'mcp:mcp_requests:rate5m',
    help: 'Requests per second, by endpoint, status class ("2xx", "4xx", "5xx") and MCP protocol version.',
    labelNames: ['endpoint', 'status_class', 'protocol_version'],
  },
  requestErrorRatio: {
    name: 'mcp:mcp_request_errors:ratio_rate5m',
    help: 'Share of requests answered with a 5xx status, by endpoint (0 to 1).',
    labelNames: ['endpoint'],
  },
  requestDurationBucketRate: {
    name: 'mcp:mcp_request_duration_seconds_bucket:rate5m',
    help: 'Per-second rate of the request duration histogram buckets, by endpoint and bucket.',
    labelNames: ['endpoint', 'le'],
  },
  requestDurationP50: {
    name: 'mcp:mcp_request_duration_seconds:p50_rate5m',
    help: 'Median request duration in seconds, by endpoint.',
    labelNames: ['endpoint'],
  },
  requestDurationP95: {
    name: 'mcp:mcp_request_duration_seconds:p95_rate5m',
    help: '95th percentile request duration in seconds, by endpoint.',
    labelNames: ['endpoint'],
  },
  requestDurationP99: {
    name: 'mcp:mcp_request_duration_seconds:p99_rate5m',
    help: '99th percentile request duration in seconds, by endpoint.',
    labelNames: ['endpoint'],
  },
  toolExecutionRate: {
    name: 'mcp:mcp_tool_executions:rate5m',
    help: 'Tool calls per second, by tool and outcome.',
    labelNames: ['tool_name', 'status'],
  },
  toolServerErrorRatio: {
    name: 'mcp:mcp_tool_execution_server_errors:ratio_rate5m',
    help:
      "Share of a tool's calls that failed through the server's fault (status server_error), by tool " +
      "(0 to 1). Calls refused for the caller's fault (client_error) count on neither side.",
    labelNames: ['tool_name'],
  },
} as const satisfies Record<string, RecordedSeriesDefinition>;
