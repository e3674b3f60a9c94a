#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { PACKAGE_ROOT } from '../app/paths';
import { registerBackup } from './commands/backup';
import { registerDiff } from './commands/diff';
import { registerSchema } from './commands/schema';
import { registerServerCommands } from './commands/server';
import { registerSynth } from './commands/synth';
import { registerValidate } from './commands/validate';
import { out } from './output';

const { version } = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  version: string;
};

/** Exit codes: 0 success, 1 unexpected failure, 2 invalid input or failed check. */
function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  const code = (error as { exitCode?: unknown } | null)?.exitCode;
  return code === 2 ? 2 : 1;
}

/** Runs the CLI on `argv` (as `process.argv`: node, script, then the arguments). */
export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('mcpenv')
    .description(
      'Infrastructure as code for MCP servers: synthesize environments, run and operate the reference server',
    )
    .version(version, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerSynth(program);
  registerValidate(program);
  registerDiff(program);
  registerSchema(program);
  registerBackup(program);
  registerServerCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = exitCodeOf(error);
    // Commander has already printed its own usage errors and help.
    if (!(error instanceof CommanderError)) {
      if (code === 1 && error instanceof Error) out.error(error.stack ?? error.message);
      else out.error(error instanceof Error ? error.message : String(error));
    }
    process.exitCode = code;
  }
}

// Tests import `main` to run commands in their own process.
if (require.main === module) void main(process.argv);
