#!/usr/bin/env node
/** `mcpenv-server`: the reference MCP server, its database commands and the probe, without the IaC library. */
import { Command, CommanderError } from 'commander';
import { registerServerCommands, serverVersion } from './cli';

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('mcpenv-server')
    .description(
      'The mcpenv reference MCP server: serve, migrate the schema, manage API keys, probe a server',
    )
    .version(serverVersion(), '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServerCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    // Exit codes: 0 success, 1 unexpected failure, 2 invalid input. Commander printed its own errors.
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    const invalid = (error as { exitCode?: unknown }).exitCode === 2;
    const message =
      error instanceof Error ? (invalid ? error.message : (error.stack ?? error.message)) : String(error);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = invalid ? 2 : 1;
  }
}

void main(process.argv);
