import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { LABEL_VALUES, METRICS, type MetricDefinition } from '@mcpenv/contract';

type LabelsOf<D extends MetricDefinition> = D['labelNames'][number];

function counter<D extends MetricDefinition>(registry: Registry, def: D): Counter<LabelsOf<D>> {
  return new Counter({ name: def.name, help: def.help, labelNames: def.labelNames, registers: [registry] });
}

/** A gauge registered from its catalogue definition. */
export function gauge<D extends MetricDefinition>(registry: Registry, def: D): Gauge<LabelsOf<D>> {
  return new Gauge({ name: def.name, help: def.help, labelNames: def.labelNames, registers: [registry] });
}

function histogram<D extends MetricDefinition>(registry: Registry, def: D): Histogram<LabelsOf<D>> {
  return new Histogram({
    name: def.name,
    help: def.help,
    labelNames: def.labelNames,
    buckets: [...(def.buckets ?? [])],
    registers: [registry],
  });
}

/** The server's metrics, registered from the catalogue in a registry of their own. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requestsTotal = counter(this.registry, METRICS.requestsTotal);
  readonly requestDurationSeconds = histogram(this.registry, METRICS.requestDurationSeconds);
  readonly activeConnections = gauge(this.registry, METRICS.activeConnections);
  readonly toolExecutionsTotal = counter(this.registry, METRICS.toolExecutionsTotal);
  readonly resourceAccessTotal = counter(this.registry, METRICS.resourceAccessTotal);
  readonly rateLimitRejectionsTotal = counter(this.registry, METRICS.rateLimitRejectionsTotal);
  readonly authFailuresTotal = counter(this.registry, METRICS.authFailuresTotal);
  readonly postgresUp = gauge(this.registry, METRICS.postgresUp);
  readonly ready = gauge(this.registry, METRICS.ready);
  readonly redisUp = gauge(this.registry, METRICS.redisUp);
  readonly operationDurationSeconds = histogram(this.registry, METRICS.operationDurationSeconds);

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Exposes the series the alerts divide by at 0 from the start. prom-client creates a labelled
   * series on its first increment, and Prometheus's rate() cannot see the jump from "no series"
   * to its first value: without these, the first burst of 5xx errors, auth failures or
   * rejections after a pod starts would never reach the alerts.
   */
  initializeSeries(toolNames: readonly string[]): void {
    const versions = [...LABEL_VALUES.protocolVersion, ...LABEL_VALUES.protocolVersionFallback];
    for (const method of [...LABEL_VALUES.rpcMethod, ...LABEL_VALUES.rpcMethodFallback]) {
      for (const status of LABEL_VALUES.serverErrorStatus) {
        for (const protocol_version of versions) {
          this.requestsTotal.inc({ method, status, endpoint: '/mcp', protocol_version }, 0);
        }
      }
    }
    this.rateLimitRejectionsTotal.inc({ endpoint: '/mcp' }, 0);
    for (const reason of LABEL_VALUES.authFailureReason) this.authFailuresTotal.inc({ reason }, 0);
    for (const tool_name of toolNames) {
      for (const status of LABEL_VALUES.toolStatus) this.toolExecutionsTotal.inc({ tool_name, status }, 0);
    }
    for (const resource_type of LABEL_VALUES.resourceType) {
      for (const operation of LABEL_VALUES.resourceOperation) {
        this.resourceAccessTotal.inc({ resource_type, operation }, 0);
      }
    }
  }
}
