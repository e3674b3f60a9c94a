/**
 * mcpenv's public library: import these into your own cdk8s charts and cdktf stacks.
 * Kubernetes-side constructs live under `k8s/`, Terraform-side under `tf/`.
 */
export { ValidationError } from './errors';
export * from './spec';
export * from './monitoring/catalogue';
export * from './monitoring/promql';
export * from './monitoring/alerts';
export * from './monitoring/recording-rules';
export * from './monitoring/rule-tests';
export * from './monitoring/dashboard';
export * from './k8s/environment';
export * from './k8s/workload';
export * from './k8s/data';
export * from './k8s/routing';
export * from './k8s/network-policies';
export * from './k8s/monitoring';
export * from './tf';
