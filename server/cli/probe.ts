import { Option, type Command } from 'commander';
import { PROBE_API_KEY_VARIABLE, PROBE_METRICS_PORT } from '@mcpenv/contract';
import {
  DEFAULT_INTERVAL_SECONDS,
  DEFAULT_METRICS_ADDRESS,
  DEFAULT_TIMEOUT_SECONDS,
  parseProbeFlags,
  PROTOCOL_CHOICES,
  type ProbeFlags,
} from '../probe/options';
import { out } from './output';

/**
 * Runs `work` with a signal that aborts on SIGTERM or SIGINT, so that a pod stopping the probe at
 * any moment, even while it starts, gets a prompt exit 0.
 */
async function untilSignalled(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const abort = () => stop.abort();
  process.once('SIGTERM', abort);
  process.once('SIGINT', abort);
  try {
    await work(stop.signal);
  } finally {
    process.off('SIGTERM', abort);
    process.off('SIGINT', abort);
  }
}

export function registerProbe(program: Command, version: string): void {
  program
    .command('probe')
    .description(
      'Check an MCP server from outside, as a user’s client would: TLS, handshake, tools/list and one ' +
        'read-only tools/call, each timed; exit 0 healthy, 1 failing, 2 bad input',
    )
    .argument('<url>', 'the public URL (http or https); /mcp is added when it has no path')
    .option(
      '--api-key-file <path>',
      `file holding the API key sent as bearer token (else env ${PROBE_API_KEY_VARIABLE}; neither: no Authorization)`,
    )
    .addOption(
      new Option('--protocol <generation>', 'auto: 2026-07-28 when offered, else 2025; or force one')
        .choices(PROTOCOL_CHOICES)
        .default('auto'),
    )
    .option('--tool <name>', 'read-only tool to call (default: the first listed with readOnlyHint)')
    .option('--tool-arguments <json>', 'arguments of the call, a JSON object (default: made from its schema)')
    .option('--timeout-seconds <n>', `time for a whole run (default ${DEFAULT_TIMEOUT_SECONDS})`)
    .option('--ca-file <path>', 'PEM bundle trusted beside the default CAs (and NODE_EXTRA_CA_CERTS)')
    .option('--json', 'print the report as JSON')
    .option('--serve-metrics', 'probe forever, serving /metrics and /healthz; one JSON log line per run')
    .option(
      '--interval-seconds <n>',
      `with --serve-metrics: time between runs (default ${DEFAULT_INTERVAL_SECONDS})`,
    )
    .option(
      '--metrics-address <address>',
      `with --serve-metrics: address to bind (default ${DEFAULT_METRICS_ADDRESS})`,
    )
    .option('--metrics-port <port>', `with --serve-metrics: port to bind (default ${PROBE_METRICS_PORT})`)
    .action(async (url: string, flags: ProbeFlags) => {
      const options = parseProbeFlags(url, flags, process.env);
      // Loaded on demand, so that other commands do not pay for the MCP client.
      const { trustAlso } = await import('../probe/tls.js');
      const restoreCAs =
        options.probe.extraCertificates.length > 0 ? trustAlso(options.probe.extraCertificates) : undefined;
      try {
        const serve = options.serve;
        if (serve) {
          await untilSignalled(async (signal) => {
            const [{ serveProbeMetrics }, { default: pino }] = await Promise.all([
              import('../probe/serve.js'),
              import('pino'),
            ]);
            const server = await serveProbeMetrics(options.probe, serve, {
              clientVersion: version,
              logger: pino({}, process.stdout),
              signal,
            });
            await server.stopped;
          });
          return;
        }
        const [{ runProbe }, { renderJson, renderText }] = await Promise.all([
          import('../probe/run.js'),
          import('../probe/render.js'),
        ]);
        const report = await runProbe(options.probe, { clientVersion: version });
        if (flags.json) out.data(renderJson(report));
        else for (const line of renderText(report)) out.data(line);
        if (!report.ok) process.exitCode = 1;
      } finally {
        restoreCAs?.();
      }
    });
}
