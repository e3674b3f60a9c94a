import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import { MODERN, modernRequest } from '../helpers/listen-stream';
import {
  descendantsOf,
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from '../helpers/otlp-receiver';
import { type Backends, MCP_HEADERS, postMcp, PUBLIC_URL, startBackends } from '../helpers/reference-server';
import { type ServerProcess, startServerProcess } from '../helpers/server-process';

/**
 * Traces of the reference server as it runs (`mcpenv serve` in a child process, real Postgres and
 * Redis), exported over OTLP/HTTP to a receiver that decodes them with the official protobuf
 * definitions: one SERVER span per MCP message, parented by the trace context the client put in
 * `_meta`, with the Postgres and Redis calls beneath it, and never an argument or a result.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const SERVER_VERSION = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'server', 'package.json'), 'utf8')) as { version: string }
).version;
const PROBE = path.join(ROOT, 'test', 'fixtures', 'module-probe.js');
/** Text that must never leave the server in a span: a stored memory (argument, then result) and a query. */
const SECRET_TEXT = 'sk-live-TRACING-ARGUMENT-5f0c1e9a';
const SECRET_QUERY = 'pw-TRACING-QUERY-93b7d2';
const WAIT_MS = 20_000;

let backends: Backends;
let receiver: OtlpReceiver;

/** Env of a server process on the backends, with its loaded modules written to `probeDir` at exit. */
function serverEnv(probeDir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const otel = Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => name.startsWith('OTEL_'))
      .map((name) => [name, undefined]),
  );
  return {
    ...otel,
    DATABASE_URL: backends.postgres.url,
    REDIS_URL: backends.redis.url,
    PUBLIC_URL,
    MIGRATE_ON_START: 'true',
    SHUTDOWN_DELAY_SECONDS: '0',
    MODULE_PROBE_DIR: probeDir,
    NODE_OPTIONS: `--require ${PROBE}`,
    ...extra,
  };
}

/** The packages under @opentelemetry/ that any process of a stopped server loaded. */
function openTelemetryPackagesLoaded(probeDir: string): string[] {
  const packages = new Set<string>();
  for (const file of fs.readdirSync(probeDir)) {
    for (const loaded of JSON.parse(fs.readFileSync(path.join(probeDir, file), 'utf8')) as string[]) {
      const name = /node_modules\/@opentelemetry\/([^/]+)\//.exec(loaded)?.[1];
      if (name) packages.add(name);
    }
  }
  return [...packages].sort();
}

const auth = () => ({ authorization: `Bearer ${backends.keys[0]}` });

beforeAll(async () => {
  [backends, receiver] = await Promise.all([startBackends({ tenants: ['alpha'] }), startOtlpReceiver()]);
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await backends?.destroy();
  removeTempDirs();
});

let contexts = 0;
/** A W3C trace context of a client, new each time: its trace and span, as `traceparent` carries them. */
function clientContext() {
  contexts++;
  const traceId = `7ace${contexts.toString(16).padStart(28, '0')}`;
  const spanId = `5a${contexts.toString(16).padStart(14, '0')}`;
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const isServer = (span: ReceivedSpan) => span.kind === 'SPAN_KIND_SERVER';

/** The SERVER span named `name` in trace `traceId`, once it has arrived. */
async function serverSpanIn(traceId: string, name: string): Promise<ReceivedSpan> {
  const match = (span: ReceivedSpan) => span.traceId === traceId && isServer(span) && span.name === name;
  const spans = await receiver.waitForSpans((received) => received.some(match), WAIT_MS);
  return spans.find(match) as ReceivedSpan;
}

/** A 2026-07-28 request with `meta` beside the envelope in `_meta`, posted with `headers`; its answer. */
async function postModern(
  server: ServerProcess,
  method: string,
  params: Record<string, unknown>,
  options: { meta?: Record<string, string>; headers?: Record<string, string>; name?: string },
): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const request = modernRequest(method, params, {
    token: backends.keys[0] as string,
    ...(options.meta ? { meta: options.meta } : {}),
    ...(options.name === undefined ? {} : { name: options.name }),
  });
  return (await postMcp(server.url, request.body, { ...request.headers, ...options.headers })).json;
}

describe('tracing on (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  let server: ServerProcess;
  const probeDir = tempDir('mcpenv-probe-');
  let storedId: string;

  beforeAll(async () => {
    server = await startServerProcess(
      serverEnv(probeDir, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=tracing-test',
      }),
      60_000,
    );
  }, 90_000);

  afterAll(() => server?.stop());

  test('a 2026-07-28 tool call with trace context in _meta is one trace: client span, server span, then Postgres and Redis', async () => {
    const client = new Client(
      { name: 'mcpenv-tracing-test', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: MODERN } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: auth() } }),
    );
    const context = clientContext();
    const stored = (await client.callTool({
      name: 'memory_store',
      arguments: { text: SECRET_TEXT, tags: ['tracing'] },
      _meta: {
        traceparent: context.traceparent,
        tracestate: 'rojo=00f067aa0ba902b7',
        baggage: 'userId=alice',
      },
    })) as { structuredContent: { id: string } };
    storedId = stored.structuredContent.id;
    await client.close();

    const span = await serverSpanIn(context.traceId, 'tools/call memory_store');
    const below = () => descendantsOf(span, receiver.spans);
    const system = (name: string) => (s: ReceivedSpan) => s.attributes['db.system.name'] === name;
    await receiver.waitForSpans(
      () => below().some(system('postgresql')) && below().some(system('redis')),
      WAIT_MS,
    );

    const trace = receiver.spans.filter((s) => s.traceId === context.traceId);
    expect(trace.filter(isServer)).toEqual([span]);
    expect(span).toMatchObject({
      parentSpanId: context.spanId,
      traceState: 'rojo=00f067aa0ba902b7',
      links: [],
    });
    expect(span.status).toEqual({ code: 'STATUS_CODE_UNSET', message: '' });
    expect(span.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'memory_store',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': expect.stringMatching(/^\d+$/),
      'mcp.protocol.version': MODERN,
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'client.address': '127.0.0.1',
      'client.port': expect.stringMatching(/^\d+$/),
    });
    // Everything else in the trace is the server's work for this call.
    expect(below().length).toBe(trace.length - 1);
    expect(below().every((s) => s.kind === 'SPAN_KIND_CLIENT')).toBe(true);
    expect(span.resource).toMatchObject({
      'service.name': 'mcpenv-server',
      'service.version': SERVER_VERSION,
      'deployment.environment.name': 'tracing-test',
    });
    expect(span.scope).toEqual({ name: '@mcpenv/server', version: SERVER_VERSION });
  });

  test('a 2025 client (SDK v1) gets a span per message with its revision', async () => {
    const from = receiver.spans.length;
    const client = new V1Client({ name: 'mcpenv-tracing-test-v1', version: '1.0.0' });
    const transport = new V1Transport(new URL(`${server.url}/mcp`), { requestInit: { headers: auth() } });
    await client.connect(transport);
    await client.callTool({ name: 'memory_search', arguments: { query: SECRET_QUERY } });
    await client.close();
    const revision = transport.protocolVersion as string;
    expect(revision).toBe('2025-11-25');

    const names = ['initialize', 'notifications/initialized', 'tools/call memory_search'];
    const fresh = (spans: readonly ReceivedSpan[]) => spans.slice(from).filter(isServer);
    const spans = await receiver.waitForSpans(
      (received) => names.every((name) => fresh(received).some((s) => s.name === name)),
      WAIT_MS,
    );
    for (const name of names) {
      const span = fresh(spans).find((s) => s.name === name) as ReceivedSpan;
      expect([name, span.attributes['mcp.protocol.version']]).toEqual([name, revision]);
      expect([name, span.parentSpanId]).toEqual([name, '']);
    }
    const notification = fresh(spans).find((s) => s.name === 'notifications/initialized') as ReceivedSpan;
    expect(notification.attributes['jsonrpc.request.id']).toBeUndefined();
  });

  test('a request with trace headers only continues the HTTP trace; a legacy session id is recorded', async () => {
    const context = clientContext();
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...auth(), traceparent: context.traceparent, 'mcp-session-id': 'session-7' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'list-1', method: 'tools/list' }),
    });
    expect(res.status).toBe(200);
    const span = await serverSpanIn(context.traceId, 'tools/list');
    expect(span).toMatchObject({ parentSpanId: context.spanId, links: [] });
    expect(span.attributes).toMatchObject({ 'jsonrpc.request.id': 'list-1', 'mcp.session.id': 'session-7' });
  });

  test('with trace context in _meta and in the headers, _meta is the parent and the headers a link', async () => {
    const meta = clientContext();
    const http = clientContext();
    const answer = await postModern(
      server,
      'tools/call',
      { name: 'memory_get', arguments: { id: storedId } },
      {
        meta: { traceparent: meta.traceparent },
        headers: { traceparent: http.traceparent },
        name: 'memory_get',
      },
    );
    expect(answer.result).toBeDefined();
    const span = await serverSpanIn(meta.traceId, 'tools/call memory_get');
    expect(span.parentSpanId).toBe(meta.spanId);
    expect(span.links).toEqual([
      { traceId: http.traceId, spanId: http.spanId, traceState: '', attributes: {} },
    ]);
    expect(receiver.spans.filter((s) => s.traceId === http.traceId)).toEqual([]);
  });

  test('a tool error result is error.type tool_error with status ERROR', async () => {
    const context = clientContext();
    const answer = await postModern(
      server,
      'tools/call',
      { name: 'memory_get', arguments: { id: '00000000-0000-4000-8000-000000000000' } },
      { meta: { traceparent: context.traceparent }, name: 'memory_get' },
    );
    expect(answer.result?.isError).toBe(true);
    const span = await serverSpanIn(context.traceId, 'tools/call memory_get');
    expect(span.attributes['error.type']).toBe('tool_error');
    expect(span.attributes['rpc.response.status_code']).toBeUndefined();
    expect(span.status).toEqual({ code: 'STATUS_CODE_ERROR', message: '' });
  });

  test('a JSON-RPC error is error.type and rpc.response.status_code its code, the status its message', async () => {
    const context = clientContext();
    const uri = 'memory://00000000-0000-4000-8000-000000000000';
    const answer = await postModern(
      server,
      'resources/read',
      { uri },
      { meta: { traceparent: context.traceparent }, name: uri },
    );
    const error = answer.error as { code: number; message: string };
    expect(error.code).toBe(-32602);
    const span = await serverSpanIn(context.traceId, 'resources/read');
    expect(span.attributes).toMatchObject({
      'mcp.method.name': 'resources/read',
      'mcp.resource.uri': uri,
      'error.type': '-32602',
      'rpc.response.status_code': '-32602',
    });
    expect(span.status).toEqual({ code: 'STATUS_CODE_ERROR', message: error.message });
  });

  test('no argument and no result is in any span, attribute, event or link (everything the server exported)', async () => {
    const read = await postModern(
      server,
      'tools/call',
      { name: 'memory_get', arguments: { id: storedId } },
      { name: 'memory_get' },
    );
    expect(JSON.stringify(read.result)).toContain(SECRET_TEXT);
    // Stopping flushes what is buffered: after the exit, the receiver has every span.
    expect(await server.stop()).toBe(0);
    const spans = receiver.spans;
    expect(spans.filter((s) => s.name === 'tools/call memory_get').length).toBeGreaterThanOrEqual(3);
    expect(spans.some((s) => s.attributes['db.system.name'] === 'postgresql')).toBe(true);
    expect(receiver.refused).toEqual([]);
    // The scans below can see text in attributes: the tool names are there.
    expect(receiver.requests.some((r) => r.bytes.includes('memory_search'))).toBe(true);
    for (const secret of [SECRET_TEXT, SECRET_QUERY]) {
      expect(JSON.stringify(receiver.requests.map((r) => r.decoded))).not.toContain(secret);
      expect(receiver.requests.some((r) => r.bytes.includes(secret))).toBe(false);
    }
    expect(openTelemetryPackagesLoaded(probeDir)).toEqual(
      expect.arrayContaining(['sdk-trace', 'instrumentation-pg', 'instrumentation-ioredis']),
    );
  });
});

describe('tracing off (no OTEL variable)', () => {
  test('the server loads nothing of the OpenTelemetry SDK, and still answers and counts', async () => {
    const probeDir = tempDir('mcpenv-probe-');
    const server = await startServerProcess(serverEnv(probeDir, {}), 60_000);
    try {
      for (const body of [
        {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'memory_search', arguments: { query: 'x' } },
        },
        { jsonrpc: '2.0', id: 2, method: 'ping' },
      ]) {
        const res = await fetch(`${server.url}/mcp`, {
          method: 'POST',
          headers: { ...MCP_HEADERS, ...auth() },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(200);
      }
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(
        /mcp_server_operation_duration_seconds_count\{[^}]*mcp_method_name="ping"[^}]*\} 1/,
      );
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // prom-client loads the OpenTelemetry API (for exemplars); nothing of the SDK may load.
    expect(openTelemetryPackagesLoaded(probeDir)).toEqual(['api']);
  });
});
