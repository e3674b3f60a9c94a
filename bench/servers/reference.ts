/**
 * The reference server for bench/server, started through the server package's public API as an
 * org's own server would be: configured from the environment exactly as `mcpenv serve` is
 * (auth, metrics and rate limits on; real Postgres and Redis), with the example `echo` tool
 * added. Prints `listening <url>` on stdout; logs go to stderr at `warn`.
 */
import { MEMORY_TOOLS, parseServerConfig, startServer } from '@mcpenv/server';
import pino from 'pino';
import { echoTool } from '../../examples/custom-tool';

async function main() {
  const config = parseServerConfig(process.env);
  const running = await startServer(config, {
    serverInfo: { name: 'mcpenv-bench', version: '0.0.0' },
    tools: [...MEMORY_TOOLS, echoTool],
    logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }, process.stderr),
  });
  process.stdout.write(`listening ${running.url}\n`);
  process.once('SIGTERM', () => void running.shutdown().then(() => process.exit(0)));
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
