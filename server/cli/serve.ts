import type { Command } from 'commander';
import { parseServerConfig } from '../config';
import { invalidFlag } from './output';

interface ServeFlags {
  readonly port?: string;
  readonly host?: string;
}

export function registerServe(program: Command, version: string): void {
  program
    .command('serve')
    .description('Start the reference MCP server (settings from environment variables; flags win)')
    .option('-p, --port <port>', 'port to listen on (env PORT, default 3000)')
    .option('--host <address>', 'address to bind (env BIND_ADDRESS, default 127.0.0.1)')
    .action(async (flags: ServeFlags) => {
      if (flags.port !== undefined && !/^\d{1,5}$/.test(flags.port)) {
        throw invalidFlag('--port', 'be a port number between 0 and 65535', flags.port);
      }
      const config = parseServerConfig({
        ...process.env,
        ...(flags.port === undefined ? {} : { PORT: flags.port }),
        ...(flags.host === undefined ? {} : { BIND_ADDRESS: flags.host }),
      });
      // Loaded on demand, so that other commands do not pay for the server's dependencies.
      const { startServer } = await import('../main.js');
      const running = await startServer(config, { serverInfo: { name: 'mcpenv-reference-server', version } });
      const stop = () => {
        void running.shutdown().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
