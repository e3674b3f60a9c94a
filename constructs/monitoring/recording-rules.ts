/**
 * Recording rules for the expressions the dashboard and the alerts share, so Prometheus computes
 * each once per evaluation instead of once per panel refresh and per alert.
 *
 * Names follow Prometheus's `level:metric:operations` convention. The level `mcp` means "one
 * deployment of the MCP server": every recorded series keeps the selector's labels (for example
 * `namespace` and `job`) and the labels listed in `RECORDED_SERIES`, so two environments scraped
 * by the same Prometheus never write the same series.
 */
import {
  assertKnownMetrics,
  histogramBuckets,
  histogramQuantile,
  labelReplace,
  Match,
  metric,
  rate,
  ratio,
  recorded,
  type Selector,
  sum,
} from './promql';

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
    help: 'Requests per second, by endpoint and status class ("2xx", "4xx", "5xx").',
    labelNames: ['endpoint', 'status_class'],
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
  toolErrorRatio: {
    name: 'mcp:mcp_tool_execution_errors:ratio_rate5m',
    help: 'Share of tool calls that failed, by tool (0 to 1).',
    labelNames: ['tool_name'],
  },
} as const satisfies Record<string, RecordedSeriesDefinition>;

/** A Prometheus recording rule. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

/**
 * The recording rules, scoped by `selector`, in evaluation order: later rules read the series
 * earlier ones wrote in the same evaluation.
 */
export function buildRecordingRules(selector: Selector): RecordingRule[] {
  const keep = Object.keys(selector).sort();
  const window = RECORDING_WINDOW;
  const requestsByStatus = sum(rate(metric('requestsTotal', {}, selector), window), [
    ...keep,
    'endpoint',
    'status',
  ]);
  const bucketRate = recorded('requestDurationBucketRate', {}, selector);
  const p = (quantile: number): string =>
    histogramQuantile(quantile, sum(bucketRate, [...keep, 'endpoint', 'le']));

  const rules: Record<keyof typeof RECORDED_SERIES, string> = {
    requestRate: sum(labelReplace(requestsByStatus, 'status_class', '${1}xx', 'status', '([0-9]).*'), [
      ...keep,
      'endpoint',
      'status_class',
    ]),
    requestErrorRatio: ratio(
      sum(recorded('requestRate', { status_class: '5xx' }, selector), [...keep, 'endpoint']),
      sum(recorded('requestRate', {}, selector), [...keep, 'endpoint']),
    ),
    requestDurationBucketRate: sum(rate(histogramBuckets('requestDurationSeconds', {}, selector), window), [
      ...keep,
      'endpoint',
      'le',
    ]),
    requestDurationP50: p(0.5),
    requestDurationP95: p(0.95),
    requestDurationP99: p(0.99),
    toolExecutionRate: sum(rate(metric('toolExecutionsTotal', {}, selector), window), [
      ...keep,
      'tool_name',
      'status',
    ]),
    toolErrorRatio: ratio(
      sum(recorded('toolExecutionRate', { status: Match.equal('error') }, selector), [...keep, 'tool_name']),
      sum(recorded('toolExecutionRate', {}, selector), [...keep, 'tool_name']),
    ),
  };
  return (Object.keys(RECORDED_SERIES) as (keyof typeof RECORDED_SERIES)[]).map((key) => ({
    record: RECORDED_SERIES[key].name,
    expr: assertKnownMetrics(rules[key]),
  }));
}
