import * as fs from 'node:fs';
import type { Command } from 'commander';
import { ValidationError } from '../../constructs/errors';
import { DEFAULT_ENVIRONMENT, defaultOutDir } from '../../app/paths';
import { out } from '../output';

/** Loads an environment as synth does (its schema and the rules of its constructs), writing nothing. */
async function validateEnvironment(flags: { env?: string; config?: string; json?: boolean }): Promise<void> {
  const { loadSelectedEnvironment } = await import('../../app/environments.js');
  const { environmentWarnings } = await import('../../app/validate/environment.js');
  const spec = loadSelectedEnvironment(flags);
  const source = flags.config ?? spec.name;
  const warnings = environmentWarnings(spec);
  if (flags.json) {
    out.data(
      JSON.stringify({
        environment: spec.name,
        source,
        ok: true,
        ...(warnings.length > 0 ? { warnings } : {}),
      }),
    );
    return;
  }
  out.progress(`passed  environment ${source}: schema and construct rules`);
  for (const warning of warnings) out.warn(`${source} ${warning.path}: ${warning.message} [${warning.hint}]`);
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      'Check a synth output: schemas, policies, secrets, promtool check rules and terraform validate (when installed)',
    )
    .argument('[dir]', 'output folder to check', defaultOutDir(DEFAULT_ENVIRONMENT))
    .option('-e, --env <name>', 'check an environment in app/environments instead of an output folder')
    .option('-c, --config <file>', 'check an environment file instead of an output folder')
    .option('--json', 'print the report as JSON on stdout')
    .action(async (dir: string, flags: { env?: string; config?: string; json?: boolean }) => {
      if (flags.env !== undefined || flags.config !== undefined) {
        await validateEnvironment(flags);
        return;
      }
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new ValidationError(
          `${dir} is not a folder: run \`mcpenv synth\` first or pass the output folder`,
        );
      }
      const { validateOutput } = await import('../../app/validate/output-dir.js');
      const reports = validateOutput(dir);
      const failed = reports.filter((r) => r.status === 'failed');
      if (flags.json) {
        out.data(JSON.stringify({ dir, ok: failed.length === 0, checks: reports }));
      } else {
        for (const r of reports) {
          const line = `${r.status.padEnd(7)} ${r.check}: ${r.detail}`;
          if (r.status === 'skipped') out.warn(line);
          else out.progress(line);
          for (const finding of r.findings) {
            const where = finding.file ? `${finding.file}${finding.line ? `:${finding.line}` : ''} ` : '';
            out.error(
              `${where}${finding.objectRef}${finding.path ? ` ${finding.path}` : ''}: ${finding.message} [${finding.rule}]`,
            );
          }
        }
      }
      if (failed.length > 0) {
        const count = failed.reduce((sum, r) => sum + r.findings.length, 0);
        throw new ValidationError(`${count} finding(s) in ${failed.map((r) => r.check).join(', ')}`);
      }
    });
}
