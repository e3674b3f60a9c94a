import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS, type MetricDefinition } from '../constructs/monitoring/catalogue';

type LabelsOf<D extends MetricDefinition> = D['labelNames'][number];

function counter<D extends MetricDefinition>(registry: Registry, def: D): Counter<LabelsOf<D>> {
  return new Counter({ name: def.name, help: def.help, labelNames: def.labelNames, registers: [registry] });
}

function gauge<D extends MetricDefinition>(registry: Registry, def: D): Gauge<LabelsOf<D>> {
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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
