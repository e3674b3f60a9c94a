/**
 * The reference server for bench/server, started through the server package's public API as an
 * org's own server would be: configured from the environment exactly as `mcpenv serve` is
 * (auth, metrics and rate limits on; real Postgres and Redis; tracing when an OTLP endpoint is
 * set), with the example `echo` tool added. Prints `listening <url>` on stdout; logs go to
 * stderr at `warn`.
 */
import pino from 'pino';
import { parseServerConfig } from '../../server/config';

async function main() {
  const config = parseServerConfig(process.env);
  const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }, process.stderr);
  // As `mcpenv serve` does: tracing first, the server's modules (and pg, ioredis) after it.
  const tracing = config.tracing
    ? (await import('../../server/telemetry/tracing.js')).startTracing(config.tracing, {
        serviceVersion: '0.0.0',
        warn: (message) => logger.warn({ err: message }, 'tracing'),
      })
    : undefined;
  const { MEMORY_TOOLS, startServer } = await import('@mcpenv/server');
  const { echoTool } = await import('../../examples/custom-tool.js');
  const running = await startServer(config, {
    serverInfo: { name: 'mcpenv-bench', version: '0.0.0' },
    tools: [...MEMORY_TOOLS, echoTool],
    logger,
    ...(tracing ? { tracing } : {}),
  });
  process.stdout.write(`listening ${running.url}\n`);
  process.once('SIGTERM', () => void running.shutdown().then(() => process.exit(0)));
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
