import { createRequire } from 'node:module';
import type * as ServerCliModule from '@mcpenv/server/cli';
import type { Command } from 'commander';
import { ValidationError } from '../../constructs/errors';

type ServerCli = typeof ServerCliModule;

/** The commands the reference server package adds; kept here so help lists them without it. */
const SERVER_COMMANDS = {
  serve: 'Start the reference MCP server',
  migrate: 'Bring the database schema up to date, then exit',
  apikey: 'Manage the API keys clients use as bearer tokens',
  probe: 'Check an MCP server from outside, as a user’s client would',
} as const;

/** The server package's CLI module, or undefined when `@mcpenv/server` is not installed. */
function loadServerCli(): ServerCli | undefined {
  try {
    return createRequire(__filename)('@mcpenv/server/cli') as ServerCli;
  } catch (error) {
    const missing =
      (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
      /Cannot find module '@mcpenv\/server\/cli'/.test((error as Error).message);
    if (missing) return undefined;
    throw error;
  }
}

function serverPackageMissing(command: string): ValidationError {
  return new ValidationError(
    `\`mcpenv ${command}\` needs the reference server package, which is not installed: ` +
      'run `npm install @mcpenv/server` next to mcpenv (or use its own `mcpenv-server` binary)',
  );
}

/**
 * `serve`, `migrate`, `apikey` and `probe` belong to the reference server (`@mcpenv/server`), an optional
 * peer: the library installs no server runtime. With the package present its commands are used
 * as they are; without it each command says how to install it and exits 2.
 */
export function registerServerCommands(program: Command): void {
  const server = loadServerCli();
  if (server) {
    server.registerServerCommands(program);
    return;
  }
  for (const [name, description] of Object.entries(SERVER_COMMANDS)) {
    program
      .command(name)
      .description(`${description} (needs @mcpenv/server)`)
      .allowUnknownOption()
      .allowExcessArguments()
      .helpOption(false)
      .action(() => {
        throw serverPackageMissing(name);
      });
  }
}
