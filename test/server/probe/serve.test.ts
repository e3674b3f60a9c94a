import { probeUrl } from '../../../server/probe/options';
import { type MetricsServer, serveProbeMetrics } from '../../../server/probe/serve';
import { scrapeUntil } from '../../helpers/metrics-scrape';
import { freePort } from '../../helpers/ports';
import { captureLogs } from '../../helpers/reference-server';

describe('probe --serve-metrics, against a port nothing listens on', () => {
  let server: MetricsServer;
  const stop = new AbortController();
  const { logs, logger } = captureLogs();

  beforeAll(async () => {
    const target = await freePort();
    server = await serveProbeMetrics(
      {
        url: probeUrl(`http://127.0.0.1:${target}`),
        protocol: 'auto',
        timeoutSeconds: 5,
        extraCertificates: [],
        apiKey: 'mcpk_0123456789abcdef_never-logged',
      },
      { intervalSeconds: 1, address: '127.0.0.1', port: 0 },
      { clientVersion: '0.0.0', logger, signal: stop.signal },
    );
  });

  afterAll(async () => {
    stop.abort();
    await server?.stopped;
  });

  test('announces where it serves, and serves /healthz', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(logs[0]).toMatchObject({ msg: 'probe metrics listening', url: server.url, intervalSeconds: 1 });
    const health = await fetch(server.url.replace('/metrics', '/healthz'));
    expect({ status: health.status, body: await health.text() }).toEqual({ status: 200, body: 'ok\n' });
    expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });

  test('serves a failed run: success 0 and only the steps that ran', async () => {
    const text = await scrapeUntil(server.url, (body) => /^mcp_probe_success /m.test(body));
    expect(text).toMatch(/^mcp_probe_success 0$/m);
    expect(text).toMatch(/^mcp_probe_duration_seconds\{step="handshake"\} [\d.e-]+$/m);
    expect(text).toMatch(/^mcp_probe_duration_seconds\{step="total"\} [\d.e-]+$/m);
    expect(text).not.toMatch(/step="tools\/list"|step="tools\/call"|step="tls"/);
    expect(text).not.toMatch(/^mcp_probe_tls_not_after_timestamp_seconds /m);
  });

  test('logs each run as one JSON line naming the failed step, never the key', async () => {
    await scrapeUntil(server.url, () => logs.length >= 3);
    const run = logs[1];
    expect(run).toMatchObject({
      level: 40,
      msg: 'probe failed at handshake',
      ok: false,
      failedStep: 'handshake',
    });
    expect(JSON.stringify(logs)).not.toContain('never-logged');
  });

  test('stops when its signal aborts, closing its port', async () => {
    stop.abort();
    await server.stopped;
    await expect(fetch(server.url)).rejects.toThrow();
  });
});
