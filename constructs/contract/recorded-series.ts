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

/**
 * The service level indicators an SLO can be set on: `availability` (the share of `/mcp`
 * requests not answered with a 5xx status) and `latency` (the share of measured `/mcp` requests
 * that finish within the objective's threshold).
 */
export const SLO_INDICATORS = ['availability', 'latency'] as const;
export type SloIndicator = (typeof SLO_INDICATORS)[number];

/** The period an SLO's error budget is spent over. */
export const SLO_PERIOD = '30d';

/**
 * The windows the SLO error ratios are recorded over, shortest first: the multiwindow,
 * multi-burn-rate alerts pair a long window with one twelve times shorter (1h with 5m, 6h with
 * 30m, 1d with 2h, 3d with 6h).
 */
export const SLO_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type SloWindow = (typeof SLO_WINDOWS)[number] | typeof SLO_PERIOD;

/** The series holding an indicator's error ratio over `window`, e.g. `mcp:slo_availability_errors:ratio_rate1h`. */
export function sloErrorRatioSeries(indicator: SloIndicator, window: SloWindow): string {
  return `mcp:slo_${indicator}_errors:ratio_rate${window}`;
}

/**
 * The series holding the share of an indicator's error budget left over the SLO period: 1 when
 * nothing is spent, 0 when all of it is, below 0 when overspent.
 */
export function sloErrorBudgetRemainingSeries(indicator: SloIndicator): string {
  return `mcp:slo_${indicator}_error_budget:remaining${SLO_PERIOD}`;
}

const SLO_ERROR_HELP: Readonly<Record<SloIndicator, string>> = {
  availability: 'Share of /mcp requests answered with a 5xx status',
  latency: "Share of measured /mcp requests slower than the latency objective's threshold",
};

/**
 * Every series the SLO recording rules write for one indicator, in evaluation order. They carry
 * the selector's labels only.
 */
export function sloSeries(indicator: SloIndicator): readonly RecordedSeriesDefinition[] {
  return [
    ...([...SLO_WINDOWS, SLO_PERIOD] as SloWindow[]).map((window) => ({
      name: sloErrorRatioSeries(indicator, window),
      help: `${SLO_ERROR_HELP[indicator]} over the last ${window} (0 to 1).`,
      labelNames: [],
    })),
    {
      name: sloErrorBudgetRemainingSeries(indicator),
      help: `Share of the ${indicator} error budget left over the last ${SLO_PERIOD} (1 untouched, 0 spent, below 0 overspent).`,
      labelNames: [],
    },
  ];
}

/** Every series any SLO recording rule may write. */
export const SLO_SERIES: readonly RecordedSeriesDefinition[] = SLO_INDICATORS.flatMap(sloSeries);
