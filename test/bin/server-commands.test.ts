import { Command } from 'commander';
import type * as ServerCommands from '../../bin/commands/server';

/**
 * The library without its optional peer `@mcpenv/server`: each command the server package adds says
 * how to install the package (exit 2) instead of failing to load it.
 */
jest.doMock('@mcpenv/server/cli', () => {
  throw Object.assign(new Error("Cannot find module '@mcpenv/server/cli' from 'bin/commands/server.ts'"), {
    code: 'MODULE_NOT_FOUND',
  });
});

// Required after the mock above, so that its lookup of the server package fails as when it is missing.
const { registerServerCommands } = jest.requireActual<typeof ServerCommands>('../../bin/commands/server');

describe('without the server package', () => {
  test.each([
    ['serve', []],
    ['migrate', []],
    ['apikey', ['create', '--tenant', 'acme']],
    ['probe', ['https://mcp.example.com', '--json']],
  ])('`mcpenv %s` says how to install it, exit 2', async (command, args) => {
    const program = new Command('mcpenv').exitOverride();
    registerServerCommands(program);
    await expect(program.parseAsync(['node', 'mcpenv', command, ...args])).rejects.toMatchObject({
      exitCode: 2,
      message:
        `\`mcpenv ${command}\` needs the reference server package, which is not installed: ` +
        'run `npm install @mcpenv/server` next to mcpenv (or use its own `mcpenv-server` binary)',
    });
  });
});
