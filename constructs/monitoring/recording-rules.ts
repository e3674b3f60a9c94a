/**
 * Recording rules for the expressions the dashboard and the alerts share, so Prometheus computes
 * each once per evaluation instead of once per panel refresh and per alert.
 *
 * Names follow Prometheus's `level:metric:operations` convention. The level `mcp` means "one
 * deployment of the MCP server": every recorded series keeps the selector's labels (for example
 * `namespace` and `job`) and the labels listed in `RECORDED_SERIES`, so two environments scraped
 * by the same Prometheus never write the same series.
 */
import { RECORDED_SERIES, RECORDING_WINDOW } from '@mcpenv/contract';
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
    'protocol_version',
  ]);
  const bucketRate = recorded('requestDurationBucketRate', {}, selector);
  const p = (quantile: number): string =>
    histogramQuantile(quantile, sum(bucketRate, [...keep, 'endpoint', 'le']));

  const rules: Record<keyof typeof RECORDED_SERIES, string> = {
    requestRate: sum(labelReplace(requestsByStatus, 'status_class', '${1}xx', 'status', '([0-9]).*'), [
      ...keep,
      'endpoint',
      'status_class',
      'protocol_version',
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
    // Calls refused for the caller's fault count on neither side: a client sending bad input
    // neither pages nor dilutes the share of calls the server failed.
    toolServerErrorRatio: ratio(
      sum(recorded('toolExecutionRate', { status: Match.equal('server_error') }, selector), [
        ...keep,
        'tool_name',
      ]),
      sum(recorded('toolExecutionRate', { status: Match.notEqual('client_error') }, selector), [
        ...keep,
        'tool_name',
      ]),
    ),
  };
  return (Object.keys(RECORDED_SERIES) as (keyof typeof RECORDED_SERIES)[]).map((key) => ({
    record: RECORDED_SERIES[key].name,
    expr: assertKnownMetrics(rules[key]),
  }));
}
