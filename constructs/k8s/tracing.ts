/**
 * OpenTelemetry tracing for the server: the standard `OTEL_*` variables its SDK reads, the pod's
 * name and namespace from the downward API for its resource attributes, and where the collector
 * runs, which the server's egress NetworkPolicy opens (that port in that namespace, nothing else).
 */
import type { EnvVar } from 'cdk8s-plus-28/lib/imports/k8s';
import { invalidProp, missingProp } from '../errors';
import {
  check,
  dnsLabel,
  otelServiceName,
  otlpEndpoint,
  parseImageReference,
  unitInterval,
  wholeNumber,
} from '../validators';

/** What the server's own configuration needs to export traces. */
export interface ServerTracingProps {
  /**
   * OTLP/HTTP endpoint of the OpenTelemetry collector, an http(s) URL whose host names the
   * collector's Service, e.g. `http://otel-collector.observability.svc:4318`; the server sends
   * spans to its path plus `/v1/traces`.
   */
  readonly otlpEndpoint: string;
  /**
   * Share of new traces the server records, from 0 to 1. The sampler is parent-based: a request
   * whose caller sampled its trace is always recorded, one whose caller did not never is, so a
   * trace is whole or absent. Tracing every request is rarely worth its cost in production.
   * @default 0.1
   */
  readonly samplingRatio?: number;
  /**
   * `service.name` of the spans.
   * @default - the server's name, `<instance>-server`: the Prometheus `job` of its metrics
   */
  readonly serviceName?: string;
}

/** Tracing for an environment: the server's settings, and where the collector's pods run. */
export interface TracingProps extends ServerTracingProps {
  /**
   * Namespace of the collector's pods, to which the server's egress NetworkPolicy opens
   * `collectorPort`.
   * @default - the namespace the endpoint's host names (`<service>.<namespace>.svc` or
   * `<service>.<namespace>.svc.cluster.local`); required for any other host
   */
  readonly collectorNamespace?: string;
  /**
   * Port of the collector's pods that the server's egress NetworkPolicy opens. A NetworkPolicy
   * sees the pod's port, not the Service's: set it when the Service maps its port elsewhere.
   * @default - the endpoint's port, else 80 for http and 443 for https
   */
  readonly collectorPort?: number;
}

/** The collector's namespace and port, which the server's egress NetworkPolicy opens. */
export interface OtlpCollector {
  readonly namespace: string;
  readonly port: number;
}

/** The sampling ratio when `samplingRatio` is left out. */
export const DEFAULT_SAMPLING_RATIO = 0.1;

/** An in-cluster Service name that says its namespace: `<service>.<namespace>.svc[.cluster.local]`. */
const IN_CLUSTER_HOST =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\.?$/;

/** Checks the server's tracing settings; `prop` is where they sit in the caller's props. */
export function checkServerTracing(where: string, prop: string, tracing: ServerTracingProps): void {
  if (typeof tracing !== 'object' || tracing === null || tracing.otlpEndpoint === undefined) {
    throw missingProp(
      where,
      `${prop}.otlpEndpoint`,
      'pass the OTLP/HTTP URL of the collector, such as "http://otel-collector.observability.svc:4318"',
    );
  }
  check(where, `${prop}.otlpEndpoint`, tracing.otlpEndpoint, otlpEndpoint);
  if (tracing.samplingRatio !== undefined) {
    check(where, `${prop}.samplingRatio`, tracing.samplingRatio, unitInterval);
  }
  if (tracing.serviceName !== undefined) {
    check(where, `${prop}.serviceName`, tracing.serviceName, otelServiceName);
  }
}

/**
 * The collector's namespace and port: as given, else derived from the endpoint. Throws when the
 * endpoint's host names no namespace and none is given, or names another one than is given.
 */
export function otlpCollector(where: string, prop: string, tracing: TracingProps): OtlpCollector {
  const url = new URL(tracing.otlpEndpoint);
  const named = IN_CLUSTER_HOST.exec(url.hostname)?.[2];
  if (tracing.collectorNamespace === undefined && named === undefined) {
    throw missingProp(
      where,
      `${prop}.collectorNamespace`,
      `the endpoint's host ${JSON.stringify(url.hostname)} names no namespace ` +
        "(<service>.<namespace>.svc); set the namespace of the collector's pods",
    );
  }
  const namespace = tracing.collectorNamespace ?? (named as string);
  check(where, `${prop}.collectorNamespace`, namespace, dnsLabel());
  if (named !== undefined && namespace !== named) {
    throw invalidProp(
      where,
      `${prop}.collectorNamespace`,
      `be the namespace the endpoint's host names (${named})`,
      namespace,
      'leave it out, or point the endpoint at the Service in that namespace',
    );
  }
  const port = tracing.collectorPort ?? (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);
  check(where, `${prop}.collectorPort`, port, wholeNumber(1, 65535));
  return { namespace, port };
}

/**
 * The `service.version` of an image: its tag, else the short form of its digest
 * (`sha256:` and the first 12 hex digits, as `docker images` shows image ids).
 */
export function serviceVersion(image: string): string {
  const { tag, digest } = parseImageReference(image);
  return tag ?? (digest as string).slice(0, 'sha256:'.length + 12);
}

/** A variable from the pod's own metadata (the downward API). */
function fieldEnv(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

/**
 * The server's tracing variables, in the order Kubernetes needs: it expands `$(VAR)` only for
 * variables defined earlier in the list, so the pod's name and namespace come first.
 */
export function tracingEnv(
  tracing: ServerTracingProps,
  service: { readonly name: string; readonly image: string },
): EnvVar[] {
  const attributes = [
    'k8s.namespace.name=$(K8S_NAMESPACE_NAME)',
    'k8s.pod.name=$(K8S_POD_NAME)',
    `service.version=${serviceVersion(service.image)}`,
  ];
  return [
    fieldEnv('K8S_NAMESPACE_NAME', 'metadata.namespace'),
    fieldEnv('K8S_POD_NAME', 'metadata.name'),
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: tracing.otlpEndpoint },
    { name: 'OTEL_SERVICE_NAME', value: tracing.serviceName ?? service.name },
    { name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_traceidratio' },
    { name: 'OTEL_TRACES_SAMPLER_ARG', value: String(tracing.samplingRatio ?? DEFAULT_SAMPLING_RATIO) },
    { name: 'OTEL_RESOURCE_ATTRIBUTES', value: attributes.join(',') },
  ];
}
