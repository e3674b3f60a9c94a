/**
 * The app entry point that `cdktf.json` and `cdk8s.yaml` both name, so `npx cdktf synth` and
 * `npx cdk8s synth` produce exactly what `mcpenv synth` does. Choose the environment with
 * `MCPENV_ENV` (default: dev).
 */
import { ValidationError } from '../constructs/errors';
import { buildKubernetesApp, buildTerraformApp } from './build';
import { loadEnvironment } from './environments';
import { DEFAULT_ENVIRONMENT, defaultOutDir } from './paths';
import { synthEnvironment } from './synth';

function main(): void {
  const spec = loadEnvironment(process.env.MCPENV_ENV || DEFAULT_ENVIRONMENT);
  if (process.env.CDKTF_OUTDIR) {
    buildTerraformApp(spec).synth();
  } else if (process.env.CDK8S_OUTDIR) {
    buildKubernetesApp(spec).synth();
  } else {
    synthEnvironment(spec, { outDir: defaultOutDir(spec.name) });
  }
}

try {
  main();
} catch (error) {
  console.error(`mcpenv: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof ValidationError ? error.exitCode : 1;
}
