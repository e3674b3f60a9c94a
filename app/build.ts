import { App as Cdk8sApp, YamlOutputType } from 'cdk8s';
import { App as CdktfApp } from 'cdktf';
import type { McpEnvironmentSpec } from '../constructs/spec';
import { AwsDataStack } from '../stacks/aws-data-stack';
import { EnvironmentChart } from '../stacks/environment-chart';
import { KubernetesStack } from '../stacks/kubernetes-stack';

/**
 * Builds the cdk8s app of an environment. Without `outdir`, cdk8s's own default applies
 * (`CDK8S_OUTDIR`, which `cdk8s synth` sets).
 */
export function buildKubernetesApp(spec: McpEnvironmentSpec, outdir?: string): Cdk8sApp {
  const app = new Cdk8sApp({
    ...(outdir === undefined ? {} : { outdir }),
    outputFileExtension: '.k8s.yaml',
    yamlOutputType: YamlOutputType.FILE_PER_CHART,
  });
  new EnvironmentChart(app, spec);
  return app;
}

/** The chart's objects, exactly as `cdk8s synth` writes them. */
export function chartObjects(app: Cdk8sApp): Record<string, unknown>[] {
  return app.charts.flatMap((chart) => chart.toJson() as Record<string, unknown>[]);
}

/**
 * Builds the cdktf app of an environment: the AWS data stack (for the `aws` data tier) and the
 * Kubernetes stack, which deploys `objects` (the chart's objects; built here when not given).
 * Without `outdir`, cdktf's own default applies (`CDKTF_OUTDIR`, which `cdktf synth` sets).
 */
export function buildTerraformApp(
  spec: McpEnvironmentSpec,
  outdir?: string,
  objects: readonly Record<string, unknown>[] = chartObjects(buildKubernetesApp(spec)),
): CdktfApp {
  // Stack traces in metadata hold absolute paths: off, so output is byte-identical anywhere.
  const app = new CdktfApp({ ...(outdir === undefined ? {} : { outdir }), stackTraces: false });
  const tier = spec.dataTier;
  const aws = tier?.kind === 'aws' ? new AwsDataStack(app, { spec, tier }) : undefined;
  new KubernetesStack(app, { spec, objects, ...(aws ? { aws: aws.connections } : {}) });
  return app;
}
