import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { McpServerWorkload } from '../constructs/k8s/workload';
import type { McpEnvironmentSpec } from '../constructs/spec';

/** The file stem of the chart's manifest: `<out>/kubernetes/mcpenv.k8s.yaml`. */
export const CHART_ID = 'mcpenv';

/** The Kubernetes side of one environment: every object lives in the spec's namespace. */
export class EnvironmentChart extends Chart {
  readonly workload: McpServerWorkload;

  constructor(scope: Construct, spec: McpEnvironmentSpec) {
    super(scope, CHART_ID, {
      namespace: spec.namespace,
      disableResourceNameHashes: true,
      labels: { 'mcpenv.dev/environment': spec.name },
    });
    this.workload = new McpServerWorkload(this, 'Server', {
      image: spec.image,
      replicas: spec.replicas,
      instance: spec.name,
      publicUrl: spec.publicUrl,
    });
  }
}
