/**
 * `mcpenv`: the public library. Import these into your own cdk8s charts; the AWS data-tier
 * constructs for cdktf are in `mcpenv/aws`, the stacks the CLI composes in `mcpenv/stacks`, and
 * the metric catalogue in `@mcpenv/contract`.
 *
 * Each name below is a promise to users: add one deliberately, and never `export *`.
 */
export { ValidationError } from './errors';
// Environment files: the schema and its types (the keys are the props below, 1:1).
export {
  type AwsDataTierSpec,
  type DataTierSpec,
  type InClusterDataTierSpec,
  type McpEnvironmentSpec,
  McpEnvironmentSpecSchema,
  parseSpec,
  type RoutingSpec,
  type TerraformBackendSpec,
  type TlsSpec,
} from './spec';

// Kubernetes (cdk8s) constructs.
export { McpEnvironment, type McpEnvironmentProps, type OAuthSettings } from './k8s/environment';
export { McpServerWorkload, type McpServerWorkloadProps, type SecretFile } from './k8s/workload';
export { type ContainerResources } from './k8s/pod';
export { type ServerTracingProps, type TracingProps } from './k8s/tracing';
export { McpProbe, type McpProbeOptions, type McpProbeProps, ProbeProtocol } from './k8s/probe';
export {
  BackupStorage,
  type ExistingClaimBackupOptions,
  type PersistentVolumeBackupOptions,
  PostgresBackup,
  type PostgresBackupOptions,
  type PostgresBackupProps,
  type S3BackupOptions,
} from './k8s/backup';
export {
  Cache,
  Database,
  type DataStoreBinding,
  type DataStoreContext,
  type ExternalPostgresProps,
  type ExternalRedisProps,
  type InClusterPostgresProps,
  type InClusterRedisProps,
  type SecretKeyRef,
} from './k8s/data';
export {
  type AcmeIssuerOptions,
  type GatewayApiRoutingOptions,
  type GatewayReference,
  IngressPreset,
  type IngressRoutingOptions,
  McpRouting,
  type McpRoutingProps,
  type NewGatewayOptions,
  Routing,
  Tls,
} from './k8s/routing';
export { McpNetworkPolicies, type McpNetworkPoliciesProps } from './k8s/network-policies';
export {
  McpAlertRules,
  type McpAlertRulesProps,
  McpDashboard,
  type McpDashboardProps,
  McpMonitoring,
  type McpMonitoringProps,
  type McpMonitoringTargetProps,
  McpServiceMonitor,
  type McpServiceMonitorProps,
} from './k8s/monitoring';

// Monitoring as plain data (Prometheus rules, promtool tests, Grafana dashboard JSON).
export {
  type AlertingRule,
  type AlertRulesProps,
  type AlertThresholdProps,
  buildAlertRules,
  type Rule,
  type RuleGroup,
  type Severity,
  toPrometheusRulesYaml,
} from './monitoring/alerts';
export { type BackupCronJobTarget } from './monitoring/backup-alerts';
export { buildRuleTests, type RuleTestFile, toRuleTestsYaml } from './monitoring/rule-tests';
export {
  buildDashboard,
  type DashboardPanel,
  dashboardPanels,
  type DashboardProps,
  type DashboardRow,
  dashboardToJson,
  type GrafanaDashboard,
  isDashboardRow,
} from './monitoring/dashboard';
export {
  type AvailabilityObjective,
  BURN_RATE_WINDOWS,
  type BurnRateWindowPair,
  type LatencyObjective,
  type SloProps,
} from './monitoring/slo';
