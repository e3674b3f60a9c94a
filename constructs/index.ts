/**
 * mcpenv's public library: import these into your own cdk8s charts and cdktf stacks.
 * Terraform-side constructs live under `tf/`, Kubernetes-side under `k8s/`.
 */
export { ValidationError } from './errors';
export * from './spec';
export * from './monitoring/catalogue';
export * from './k8s/workload';
export * from './tf/data-encryption-key';
