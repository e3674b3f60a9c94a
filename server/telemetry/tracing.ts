/**
 * Tracing with the OpenTelemetry SDK: loaded, by a dynamic import, only when an OTLP endpoint is
 * configured, so a server without one loads none of it.
 *
 * Start it before anything loads `pg` or `ioredis` (`serve` does, before it loads the server):
 * their instrumentations patch those modules as Node's `require` loads them. For the same reason a
 * bundle must leave `pg`, `pg-pool` and `ioredis` external (the repository's bundles leave every
 * dependency external); inlined, they are never patched and their spans are missing.
 */
import {
  type Attributes,
  context,
  type Context,
  diag,
  DiagLogLevel,
  type Link,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config';
import type { MessageTracer, Tracing } from './operations';

/**
 * Attributes of the MCP conventions (development status), written out as the OpenTelemetry
 * project advises for unstable names rather than loaded from its `incubating` entry.
 */
const ATTR_MCP_METHOD_NAME = 'mcp.method.name';
const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version';
const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri';
const ATTR_MCP_SESSION_ID = 'mcp.session.id';
const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id';
const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name';

export interface TracingOptions {
  /** `service.version` unless `OTEL_RESOURCE_ATTRIBUTES` names one (an image tag): the package's version. */
  readonly serviceVersion: string;
  /** Where the SDK's own problems (a failed export) are reported. */
  readonly warn: (message: string) => void;
}

function samplerOf(config: TracingConfig): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(config.samplerRatio);
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
  }
}

/** Resolves when `work` settles or after `ms`, whichever is first. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * Starts tracing: a tracer provider exporting in batches over OTLP/HTTP (protobuf), the configured
 * sampler and propagators, async-local context, and the Postgres and Redis instrumentations. Their
 * spans record the SQL text (always parameterized here, values never) and Redis command names
 * only, and only inside an MCP message's span.
 */
export function startTracing(config: TracingConfig, options: TracingOptions): Tracing {
  const { warn } = options;
  const ignore = () => undefined;
  diag.setLogger({ error: warn, warn, info: ignore, debug: ignore, verbose: ignore }, DiagLogLevel.WARN);
  const exporter = new OTLPTraceExporter({
    url: config.tracesUrl,
    timeoutMillis: config.exportRequestTimeoutMs,
  });
  const provider = new TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        ...config.resourceAttributes,
        [ATTR_SERVICE_NAME]: config.serviceName,
        [ATTR_SERVICE_VERSION]: config.resourceAttributes[ATTR_SERVICE_VERSION] ?? options.serviceVersion,
      }),
    ),
    sampler: samplerOf(config),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: config.batch.scheduleDelayMs,
        maxQueueSize: config.batch.maxQueueSize,
        maxExportBatchSize: config.batch.maxExportBatchSize,
        exportTimeoutMillis: config.batch.exportTimeoutMs,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: config.propagators.map((name) =>
        name === 'tracecontext' ? new W3CTraceContextPropagator() : new W3CBaggagePropagator(),
      ),
    }),
  );
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new PgInstrumentation({ requireParentSpan: true }),
      // Command names only: arguments hold cache keys and values, which derive from tool arguments.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  return {
    tracer: messageTracer(provider.getTracer('@mcpenv/server', options.serviceVersion)),
    shutdown: (timeoutMs) => within(provider.shutdown(), timeoutMs),
  };
}

/**
 * One SERVER span per MCP message, named `{mcp.method.name} {target}`. The parent is the context
 * the client put in `params._meta`; the HTTP request's own trace headers become a link then, and
 * the parent when `_meta` carries none. Arguments and results are never recorded.
 */
export function messageTracer(tracer: Tracer): MessageTracer {
  return {
    start(message, exchange) {
      const ambient = propagation.extract(ROOT_CONTEXT, exchange.headers);
      const fromMeta = message.meta ? propagation.extract(ROOT_CONTEXT, message.meta) : undefined;
      const metaParent = fromMeta && trace.getSpanContext(fromMeta);
      const ambientParent = trace.getSpanContext(ambient);
      let parent: Context = ambient;
      const links: Link[] = [];
      if (fromMeta && metaParent && trace.isSpanContextValid(metaParent)) {
        parent = fromMeta;
        if (ambientParent && trace.isSpanContextValid(ambientParent)) links.push({ context: ambientParent });
      }
      const attributes: Attributes = {
        [ATTR_MCP_METHOD_NAME]: message.method,
        [ATTR_NETWORK_TRANSPORT]: 'tcp',
        [ATTR_NETWORK_PROTOCOL_NAME]: 'http',
        [ATTR_NETWORK_PROTOCOL_VERSION]: exchange.httpVersion === '2.0' ? '2' : exchange.httpVersion,
      };
      if (message.requestId !== undefined) attributes[ATTR_JSONRPC_REQUEST_ID] = message.requestId;
      if (message.toolName !== undefined) {
        attributes[ATTR_GEN_AI_TOOL_NAME] = message.toolName;
        attributes[ATTR_GEN_AI_OPERATION_NAME] = 'execute_tool';
      }
      if (message.promptName !== undefined) attributes[ATTR_GEN_AI_PROMPT_NAME] = message.promptName;
      if (message.resourceUri !== undefined) attributes[ATTR_MCP_RESOURCE_URI] = message.resourceUri;
      if (exchange.protocolVersion !== undefined) {
        attributes[ATTR_MCP_PROTOCOL_VERSION] = exchange.protocolVersion;
      }
      if (exchange.sessionId !== undefined) attributes[ATTR_MCP_SESSION_ID] = exchange.sessionId;
      if (exchange.clientAddress !== undefined) attributes[ATTR_CLIENT_ADDRESS] = exchange.clientAddress;
      if (exchange.clientPort !== undefined) attributes[ATTR_CLIENT_PORT] = exchange.clientPort;
      const span = tracer.startSpan(
        message.target === undefined ? message.method : `${message.method} ${message.target}`,
        { kind: SpanKind.SERVER, startTime: exchange.startTime, attributes, links },
        parent,
      );
      const active = trace.setSpan(parent, span);
      return {
        run: (fn) => context.with(active, fn),
        end(outcome) {
          if (outcome.error) span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, String(outcome.error.code));
          if (outcome.errorType !== '') {
            span.setAttribute(ATTR_ERROR_TYPE, outcome.errorType);
            span.setStatus({
              code: SpanStatusCode.ERROR,
              ...(outcome.error?.message === undefined ? {} : { message: outcome.error.message }),
            });
          }
          span.end();
        },
      };
    },
  };
}
