/**
 * `@mcpenv/contract`: what the mcpenv library and the reference server agree on, with no
 * dependencies, so either side can be installed without the other. The metric catalogue (the
 * server registers exactly these; alert rules and dashboards are built from them), the series the
 * recording rules write, the environment variables and Secret keys the workload sets and the
 * server reads, and the SSE keep-alive interval the edge's timeouts are sized from.
 */
export {
  type AuthFailureReason,
  KUBE_STATE_METRICS,
  LABEL_VALUES,
  type MetricDefinition,
  type MetricType,
  METRIC_LIST,
  METRICS,
  type OperationErrorType,
  operationErrorType,
  PROBE_METRIC_LIST,
  PROBE_METRICS,
  PROBE_METRICS_PORT,
  type ProbeStep,
  PROCESS_METRICS,
  PROTOCOL_GENERATIONS,
  type ProtocolVersionLabel,
  type ToolStatus,
  protocolVersionLabel,
  QUERYABLE_METRICS,
  SCRAPE_METRICS,
} from './metrics';
export {
  RECORDED_SERIES,
  type RecordedSeriesDefinition,
  RECORDING_WINDOW,
  SLO_INDICATORS,
  SLO_PERIOD,
  SLO_SERIES,
  SLO_WINDOWS,
  sloErrorBudgetRemainingSeries,
  sloErrorRatioSeries,
  type SloIndicator,
  sloSeries,
  type SloWindow,
} from './recorded-series';
export {
  PROBE_API_KEY_VARIABLE,
  RUNTIME_VARIABLES,
  SECRET_FILE_VARIABLES,
  SECRET_KEYS,
  SECRET_VARIABLES,
  type SecretFileVariable,
  secretFileVariable,
  type SecretVariable,
  SERVER_VARIABLES,
  type ServerVariable,
  TELEMETRY_VARIABLES,
  type WorkloadVariable,
} from './server-env';
export { SSE_KEEPALIVE_INTERVAL_SECONDS } from './transport';
