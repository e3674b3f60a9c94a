/**
 * `mcpenv/stacks`: the stacks and the chart `mcpenv synth` composes for one environment file,
 * for an org that wants the same composition inside its own cdktf app. They need the optional
 * peers `@cdktf/provider-aws` and `@cdktf/provider-kubernetes`.
 */
export { AWS_DATA_STACK_ID, AwsDataStack, type AwsDataStackProps } from './aws-data-stack';
export { configureBackend } from './backend';
export { CHART_ID, EnvironmentChart, environmentProps, secretNames } from './environment-chart';
export {
  type AwsDataConnections,
  KUBERNETES_STACK_ID,
  KubernetesStack,
  type KubernetesStackProps,
} from './kubernetes-stack';
