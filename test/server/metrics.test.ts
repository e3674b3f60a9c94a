import type { Histogram, Metric } from 'prom-client';
import { LABEL_VALUES, type MetricDefinition, METRICS, PROCESS_METRICS } from '@mcpenv/contract';
import { ServerMetrics } from '../../server/metrics';

/** Everything the catalogue says the server process registers. */
const CATALOGUED: readonly MetricDefinition[] = [
  ...Object.values(METRICS),
  ...Object.values(PROCESS_METRICS),
];

/** prom-client keeps a metric's label names and histogram bounds on the instance. */
type Introspected = Metric & { labelNames?: string[]; upperBounds?: number[] };

describe('the server registers exactly the metric catalogue', () => {
  const metrics = new ServerMetrics();
  metrics.initializeSeries(['memory_store']);
  const registered = metrics.registry.getMetricsAsArray() as unknown as Introspected[];
  const byName = new Map(CATALOGUED.map((d) => [d.name, d]));

  test('registers no metric the catalogue lacks', () => {
    const names = registered.map((m) => (m as unknown as { name: string }).name);
    expect(names.length).toBeGreaterThan(30);
    expect(names.filter((name) => !byName.has(name))).toEqual([]);
  });

  test('registers every catalogued metric, so no catalogue entry is stale', () => {
    const names = new Set(registered.map((m) => (m as unknown as { name: string }).name));
    expect(CATALOGUED.map((d) => d.name).filter((name) => !names.has(name))).toEqual([]);
  });

  test.each(CATALOGUED.map((d) => [d.name, d] as const))(
    '%s has the catalogue’s type, help, labels and buckets',
    async (name, definition) => {
      const metric = metrics.registry.getSingleMetric(name) as Introspected | undefined;
      expect(metric).toBeDefined();
      const json = await (metric as Metric).get();
      expect({ type: json.type, help: json.help }).toEqual({ type: definition.type, help: definition.help });
      expect([...(metric?.labelNames ?? [])].sort()).toEqual([...definition.labelNames].sort());
      if (definition.type === 'histogram') {
        expect((metric as unknown as Histogram & Introspected).upperBounds).toEqual(definition.buckets);
      }
    },
  );
});

describe('ServerMetrics.initializeSeries', () => {
  test('exposes the series the alerts divide by at 0 before anything happens', async () => {
    const metrics = new ServerMetrics();
    metrics.initializeSeries(['memory_store', 'memory_search']);
    const text = await metrics.registry.metrics();
    for (const method of [...LABEL_VALUES.rpcMethod, ...LABEL_VALUES.rpcMethodFallback]) {
      for (const version of [...LABEL_VALUES.protocolVersion, ...LABEL_VALUES.protocolVersionFallback]) {
        for (const status of ['500', '503']) {
          expect(text).toContain(
            `mcp_requests_total{method="${method}",status="${status}",endpoint="/mcp",protocol_version="${version}"} 0`,
          );
        }
      }
    }
    expect(text).toContain('mcp_rate_limit_rejections_total{endpoint="/mcp"} 0');
    for (const reason of LABEL_VALUES.authFailureReason) {
      expect(text).toContain(`mcp_auth_failures_total{reason="${reason}"} 0`);
    }
    for (const tool_name of ['memory_store', 'memory_search']) {
      for (const status of ['success', 'client_error', 'server_error']) {
        expect(text).toContain(`mcp_tool_executions_total{tool_name="${tool_name}",status="${status}"} 0`);
      }
    }
    expect(text).toContain('mcp_resource_access_total{resource_type="memory",operation="read"} 0');
    // Successful requests are not pre-created: only what an alert's numerator needs.
    expect(text).not.toMatch(/mcp_requests_total\{[^}]*status="200"/);
  });

  test('keeps counting from 0 afterwards', async () => {
    const metrics = new ServerMetrics();
    metrics.initializeSeries([]);
    metrics.requestsTotal.inc({
      method: 'ping',
      status: '503',
      endpoint: '/mcp',
      protocol_version: '2025-11-25',
    });
    expect(await metrics.registry.metrics()).toContain(
      'mcp_requests_total{method="ping",status="503",endpoint="/mcp",protocol_version="2025-11-25"} 1',
    );
  });
});
