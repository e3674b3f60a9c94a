import type { Command } from 'commander';
import { ValidationError } from '../../constructs/errors';
import { DEFAULT_ENVIRONMENT, defaultOutDir } from '../../app/paths';
import type { OutputPart } from '../../app/synth';
import { out } from '../output';

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

interface SynthFlags {
  readonly only?: string;
  readonly env?: string;
  readonly config?: string;
  readonly out?: string;
  readonly json?: boolean;
}

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('Synthesize the Kubernetes manifests and Terraform JSON of an environment')
    .option(
      '-e, --env <name>',
      `environment to synthesize (a file in app/environments; default ${DEFAULT_ENVIRONMENT})`,
    )
    .option('-c, --config <file>', 'environment file to synthesize instead of --env')
    .option('-o, --out <dir>', 'output folder, replaced atomically (default: dist/<env>)')
    .option('--only <part>', 'regenerate only kubernetes, terraform or monitoring; keep the rest')
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (flags: SynthFlags) => {
      // Loaded on demand: loading builds the chart and stacks, so cdktf, cdk8s and the providers
      // are needed from here on.
      const { loadSelectedEnvironment } = await import('../../app/environments.js');
      const spec = loadSelectedEnvironment(flags);
      const { OUTPUT_PARTS, synthEnvironment } = await import('../../app/synth.js');
      const outDir = flags.out ?? defaultOutDir(spec.name);
      if (flags.only !== undefined && !(OUTPUT_PARTS as readonly string[]).includes(flags.only)) {
        throw new ValidationError(`--only must be one of ${OUTPUT_PARTS.join(', ')} (got "${flags.only}")`);
      }
      const result = synthEnvironment(spec, {
        outDir,
        ...(flags.only ? { only: flags.only as OutputPart } : {}),
        // Step timings on stderr; quiet with --json, where a machine reads stdout.
        ...(flags.json
          ? {}
          : { onStep: (name: string, ms: number) => out.progress(`  ${name} ${ms.toFixed(0)} ms`) }),
      });
      // performance.now() counts from process start, so the figure includes loading the libraries.
      const seconds = (performance.now() / 1000).toFixed(2);
      for (const stack of result.orphanedStacks) {
        out.warn(
          `stack "${stack}" is no longer synthesized; its local Terraform state was kept in ${outDir}`,
        );
      }
      const summary = {
        environment: spec.name,
        outDir,
        files: result.files.length,
        kubernetesObjects: result.kubernetesObjects,
        terraformStacks: result.terraformStacks.length,
        terraformResources: result.terraformResources,
      };
      if (flags.json) {
        out.data(JSON.stringify(summary));
      } else {
        out.progress(
          `synthesized ${spec.name} into ${outDir} in ${seconds}s: ${count(summary.files, 'file')}, ` +
            `${count(summary.kubernetesObjects, 'Kubernetes object')}, ` +
            `${count(summary.terraformStacks, 'Terraform stack')} with ${count(summary.terraformResources, 'resource')}`,
        );
      }
    });
}
