import { App as Cdk8sApp, YamlOutputType } from 'cdk8s';
import { App as CdktfApp } from 'cdktf';
import type { McpEnvironmentSpec } from '../constructs/spec';
import { AwsDataStack } from '../stacks/aws-data-stack';
import { EnvironmentChart } from '../stacks/environment-chart';

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

/**
 * Builds the cdktf app of an environment. Without `outdir`, cdktf's own default applies
 * (`CDKTF_OUTDIR`, which `cdktf synth` sets).
 */
export function buildTerraformApp(spec: McpEnvironmentSpec, outdir?: string): CdktfApp {
  // Stack traces in metadata hold absolute paths: off, so output is byte-identical anywhere.
  const app = new CdktfApp({ ...(outdir === undefined ? {} : { outdir }), stackTraces: false });
  if (spec.dataTier.kind === 'aws') {
    new AwsDataStack(app, { spec, region: spec.dataTier.region });
  }
  return app;
}
