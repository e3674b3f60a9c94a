import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { ConfigError, parseServerConfig } from '../config';
import { createLogger } from '../logger';
import { invalidFlag } from './output';

interface ServeFlags {
  readonly port?: string;
  readonly host?: string;
  readonly conformanceFixtures?: boolean;
}

export function registerServe(program: Command, version: string): void {
  program
    .command('serve')
    .description('Start the reference MCP server (settings from environment variables; flags win)')
    .option('-p, --port <port>', 'port to listen on (env PORT, default 3000)')
    .option('--host <address>', 'address to bind (env BIND_ADDRESS, default 127.0.0.1)')
    .option(
      '--conformance-fixtures',
      'also serve the tools, resources and prompts the MCP conformance suite expects (embedded mode only)',
    )
    .action(async (flags: ServeFlags) => {
      if (flags.port !== undefined && !/^\d{1,5}$/.test(flags.port)) {
        throw invalidFlag('--port', 'be a port number between 0 and 65535', flags.port);
      }
      const config = parseServerConfig({
        ...process.env,
        ...(flags.port === undefined ? {} : { PORT: flags.port }),
        ...(flags.host === undefined ? {} : { BIND_ADDRESS: flags.host }),
      });
      if (flags.conformanceFixtures && config.mode !== 'embedded') {
        throw new ConfigError(
          '--conformance-fixtures runs in the embedded mode only, and DATABASE_URL (or PGHOST) is set: ' +
            'unset DATABASE_URL and REDIS_URL; test fixtures never run in production',
        );
      }
      const logger = createLogger(config.logLevel);
      // First, while pg and ioredis are not loaded yet: their instrumentations patch them as they
      // load. Without an OTLP endpoint nothing of OpenTelemetry is loaded.
      const tracing = config.tracing
        ? (await import('../telemetry/tracing.js')).startTracing(config.tracing, {
            serviceVersion: version,
            warn: (message) => logger.warn({ err: message }, 'tracing'),
          })
        : undefined;
      // Loaded on demand, so that other commands do not pay for the server's dependencies.
      const { startServer } = await import('../main.js');
      const extend = flags.conformanceFixtures
        ? (await import('../mcp/conformance-fixtures.js')).conformanceExtension(randomBytes(32))
        : undefined;
      const running = await startServer(config, {
        serverInfo: { name: 'mcpenv-reference-server', version },
        logger,
        ...(extend ? { extend } : {}),
        ...(tracing ? { tracing } : {}),
      });
      const stop = () => {
        void running.shutdown().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
