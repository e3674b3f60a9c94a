import { PROBE_METRIC_LIST } from '@mcpenv/contract';
import type { Metric } from 'prom-client';
import { ProbeMetrics } from '../../../server/probe/metrics';
import { HEALTHY } from './reports';

/** The exposition's sample lines, comments left out. */
async function samples(metrics: ProbeMetrics): Promise<string[]> {
  return (await metrics.registry.metrics())
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe('the probe’s metrics', () => {
  test('are exactly the catalogue’s PROBE_METRICS, with its types, help and labels', async () => {
    const registered = new ProbeMetrics().registry.getMetricsAsArray() as unknown as (Metric & {
      name: string;
      labelNames: string[];
    })[];
    const described = await Promise.all(
      registered.map(async (metric) => {
        const { type, help } = await metric.get();
        return { name: metric.name, type, help, labelNames: [...metric.labelNames] };
      }),
    );
    expect(described).toEqual(
      PROBE_METRIC_LIST.map(({ name, type, help, labelNames }) => ({
        name,
        type,
        help,
        labelNames: [...labelNames],
      })),
    );
  });

  test('show no sample before the first run', async () => {
    expect(await samples(new ProbeMetrics())).toEqual([]);
  });

  test('show the last run: success, every step’s seconds and the certificate’s expiry', async () => {
    const metrics = new ProbeMetrics();
    metrics.record(HEALTHY);
    expect(await samples(metrics)).toEqual([
      'mcp_probe_success 1',
      'mcp_probe_duration_seconds{step="tls"} 0.012',
      'mcp_probe_duration_seconds{step="handshake"} 0.0344',
      'mcp_probe_duration_seconds{step="tools/list"} 0.005',
      'mcp_probe_duration_seconds{step="tools/call"} 0.02',
      'mcp_probe_duration_seconds{step="total"} 0.0716',
      `mcp_probe_tls_not_after_timestamp_seconds ${Date.parse('2027-01-01T03:54:28Z') / 1000}`,
    ]);
  });

  test('drop the series of steps a failed run did not reach, and an expiry it did not see', async () => {
    const metrics = new ProbeMetrics();
    metrics.record(HEALTHY);
    metrics.record({
      ...HEALTHY,
      ok: false,
      steps: [
        { step: 'tls', ok: false, seconds: 0.5, error: 'connection refused' },
        { step: 'total', ok: false, seconds: 0.5 },
      ],
      tls: null,
      failedStep: 'tls',
    });
    expect(await samples(metrics)).toEqual([
      'mcp_probe_success 0',
      'mcp_probe_duration_seconds{step="tls"} 0.5',
      'mcp_probe_duration_seconds{step="total"} 0.5',
    ]);
  });
});
