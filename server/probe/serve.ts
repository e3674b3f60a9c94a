/**
 * `probe --serve-metrics`: the probe run again and again, its last outcome served as Prometheus
 * metrics, for a pod that watches the environment from where its users stand.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ProbeMetrics } from './metrics';
import type { ProbeOptions, ServeMetricsOptions } from './options';
import { runProbe } from './run';

export interface MetricsServer {
  /** Where `/metrics` is served, with the port actually bound. */
  readonly url: string;
  /**
   * Resolves once `signal` has aborted and both the run in progress and the server have ended;
   * rejects if the probe loop itself broke.
   */
  readonly stopped: Promise<void>;
}

function listen(server: Server, options: ServeMetricsOptions): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Serves `/metrics` (the probe's catalogue metrics, text format) and `/healthz` (this process is
 * alive; says nothing of the target) and probes every `intervalSeconds`, counted from the start of
 * one run to the start of the next; runs never overlap. Each run ends in one JSON log line. When
 * `signal` aborts, the run in progress ends and the server closes.
 */
export async function serveProbeMetrics(
  probe: ProbeOptions,
  serve: ServeMetricsOptions,
  context: { readonly clientVersion: string; readonly logger: Logger; readonly signal: AbortSignal },
): Promise<MetricsServer> {
  const { signal } = context;
  const metrics = new ProbeMetrics();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://probe').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      });
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: /metrics and /healthz are served\n');
    }
  });
  const address = await listen(server, serve);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/metrics`;
  context.logger.info(
    { url, target: probe.url.href, intervalSeconds: serve.intervalSeconds },
    'probe metrics listening',
  );

  const loop = async () => {
    while (!signal.aborted) {
      const started = performance.now();
      const report = await runProbe(probe, { clientVersion: context.clientVersion, signal });
      if (signal.aborted) return;
      metrics.record(report);
      if (report.ok) context.logger.info(report, 'probe passed');
      else context.logger.warn(report, `probe failed at ${report.failedStep}`);
      const wait = serve.intervalSeconds * 1000 - (performance.now() - started);
      await sleep(Math.max(0, wait), undefined, { signal }).catch(() => undefined);
    }
  };
  const stopped = loop().finally(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url, stopped };
}
