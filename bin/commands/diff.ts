import type { Command } from 'commander';
import { DEFAULT_ENVIRONMENT, defaultOutDir } from '../../app/paths';
import { invalidSetting, ValidationError } from '../../constructs/errors';
import { out } from '../output';

const FORMATS = ['md', 'json', 'text'] as const;
const FAIL_ON = ['destroy', 'replace', 'security', 'monitoring', 'any'] as const;

interface DiffFlags {
  readonly base: string;
  readonly head?: string;
  readonly format: string;
  readonly failOn?: string;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description(
      'Semantic diff of two synth outputs, offline: what a deploy would change, with risk warnings. ' +
        'Both are mcpenv synth outputs, cdktf output folders (cdktf.out) or folders of Kubernetes manifests',
    )
    .requiredOption('--base <dir>', 'synth output of the base (e.g. the target branch)')
    .option('--head <dir>', `synth output of the change (default: ${defaultOutDir(DEFAULT_ENVIRONMENT)})`)
    .option('--format <format>', 'md (pull-request comment), json or text', 'text')
    .option(
      '--fail-on <level>',
      'exit 2 on any destroy (a stateful resource removed or replaced), replace (or destroy), ' +
        'security or monitoring warning, or any change',
    )
    .action(async (flags: DiffFlags) => {
      if (!(FORMATS as readonly string[]).includes(flags.format)) {
        throw invalidSetting('--format', `be one of ${FORMATS.join(', ')}`, flags.format);
      }
      if (flags.failOn !== undefined && !(FAIL_ON as readonly string[]).includes(flags.failOn)) {
        throw invalidSetting('--fail-on', `be one of ${FAIL_ON.join(', ')}`, flags.failOn);
      }
      const { diffOutputs } = await import('../../app/diff/index.js');
      const { formatJson, formatMarkdown, formatText } = await import('../../app/diff/format.js');
      const report = diffOutputs(flags.base, flags.head ?? defaultOutDir(DEFAULT_ENVIRONMENT));
      const render = { md: formatMarkdown, json: formatJson, text: formatText }[
        flags.format as (typeof FORMATS)[number]
      ];
      process.stdout.write(render(report));
      const { destroy, replace, security, monitoring, added, removed, changed } = report.summary;
      const failed =
        (flags.failOn === 'destroy' && destroy > 0) ||
        (flags.failOn === 'replace' && destroy + replace > 0) ||
        (flags.failOn === 'security' && security > 0) ||
        (flags.failOn === 'monitoring' && monitoring > 0) ||
        (flags.failOn === 'any' && added + removed + changed > 0);
      if (failed) {
        out.error(`changes at or above --fail-on ${flags.failOn}`);
        throw new ValidationError(`diff failed --fail-on ${flags.failOn}`);
      }
    });
}
