import { fastAndSdkServers, type TestServer } from '../../helpers/embedded-server';
import { type ListenStream, MODERN, modernRequest, openListenStream } from '../../helpers/listen-stream';
import { callTool, postMcp } from '../../helpers/reference-server';

/**
 * `mcp_server_operation_duration_seconds` (the semantic conventions' `mcp.server.operation.duration`):
 * one observation per JSON-RPC message, whichever path answers it and whoever answers it with an
 * error, labelled by method, registered tool, error type, revision and transport.
 */

const servers = fastAndSdkServers();

type Labels = Record<string, string>;

/** The observation count of every label set so far. */
async function counts(server: TestServer): Promise<Map<string, number>> {
  const { values } = await server.server.metrics.operationDurationSeconds.get();
  const byLabels = new Map<string, number>();
  for (const { metricName, labels, value } of values) {
    if (!metricName?.endsWith('_count')) continue;
    const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    byLabels.set(JSON.stringify(sorted), value);
  }
  return byLabels;
}

/** The observations `send` adds, one label set per observation, sorted. */
async function observed(server: TestServer, send: () => Promise<unknown>): Promise<Labels[]> {
  const before = await counts(server);
  await send();
  const added: Labels[] = [];
  for (const [labels, count] of await counts(server)) {
    for (let i = count - (before.get(labels) ?? 0); i > 0; i--) added.push(JSON.parse(labels) as Labels);
  }
  return sorted(added);
}

const sorted = (list: Labels[]) =>
  [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** The observations a body (a message, a batch or raw text) adds, its whole answer read. */
const observedPost = (server: TestServer, body: unknown, headers: Record<string, string>) =>
  observed(server, () => postMcp(server.url, body, headers));

const legacy = (version = '2025-11-25') => ({ 'mcp-protocol-version': version });

/** A 2026-07-28 request as the SDK v2 client sends it. */
function modern(server: TestServer, method: string, params: Record<string, unknown>, name?: string) {
  const { headers, body } = modernRequest(method, params, name === undefined ? {} : { name });
  return postMcp(server.url, body, headers);
}

const labels = (method: string, errorType = '', tool = '', version = '2025-11-25'): Labels => ({
  error_type: errorType,
  gen_ai_tool_name: tool,
  mcp_method_name: method,
  mcp_protocol_version: version,
  network_transport: 'tcp',
});

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe.each([
  ['the fast path', () => servers.fast],
  ["the SDK's handler", () => servers.sdk],
])('a message answered by %s', (_path, server) => {
  test('is observed once, with its method, tool and revision', async () => {
    const store = { name: 'memory_store', arguments: { text: 'observed' } };
    expect(await observed(server(), () => modern(server(), 'tools/call', store, 'memory_store'))).toEqual([
      labels('tools/call', '', 'memory_store', MODERN),
    ]);
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
    expect(await observedPost(server(), list, legacy())).toEqual([labels('tools/list')]);
  });

  test('a tool result with isError is error_type tool_error', async () => {
    const absent = callTool('memory_get', { id: UNKNOWN_ID });
    expect(await observedPost(server(), absent, legacy('2025-06-18'))).toEqual([
      labels('tools/call', 'tool_error', 'memory_get', '2025-06-18'),
    ]);
  });

  test('a JSON-RPC error is its code; an unknown tool or method gets no label value of its own', async () => {
    const read = {
      jsonrpc: '2.0',
      id: 3,
      method: 'resources/read',
      params: { uri: `memory://${UNKNOWN_ID}` },
    };
    expect(await observedPost(server(), read, legacy())).toEqual([labels('resources/read', '-32602')]);
    expect(await observedPost(server(), callTool('no_such_tool', {}), legacy())).toEqual([
      labels('tools/call', '-32602'),
    ]);
    const teleport = { jsonrpc: '2.0', id: 4, method: 'memory/teleport', params: {} };
    expect(await observedPost(server(), teleport, legacy())).toEqual([labels('other', '-32601')]);
  });
});

test('every message of a batch is observed, notifications included', async () => {
  const batch = [
    callTool('memory_get', { id: UNKNOWN_ID }, 1),
    { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    { jsonrpc: '2.0', id: 3, method: 'ping' },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
  ];
  expect(await observedPost(servers.fast, batch, legacy('2025-03-26'))).toEqual(
    sorted([
      labels('tools/call', 'tool_error', 'memory_get', '2025-03-26'),
      labels('tools/list', '', '', '2025-03-26'),
      labels('ping', '', '', '2025-03-26'),
      labels('notifications/initialized', '', '', '2025-03-26'),
    ]),
  );
});

test('a notification on its own is observed when it is acknowledged', async () => {
  const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
  expect(await observedPost(servers.fast, initialized, legacy())).toEqual([
    labels('notifications/initialized'),
  ]);
});

test('a listen stream is observed when it opens: its lifetime is not a latency', async () => {
  let stream: ListenStream | undefined;
  const added = await observed(servers.fast, async () => {
    stream = await openListenStream(servers.fast.url, { resourcesListChanged: true });
    await stream.next(() => true, 10_000);
  });
  stream?.close();
  expect(added).toEqual([labels('subscriptions/listen', '', '', MODERN)]);
});

describe('errors the pipeline answers before any handler are observed with their code', () => {
  test('a body that is not JSON: method none, parse error', async () => {
    const cutOff = '{"jsonrpc": "2.0", "id": 1, "method": ';
    expect(await observedPost(servers.fast, cutOff, legacy())).toEqual([labels('none', '-32700')]);
  });

  test('a body nested too deeply: method none, invalid request', async () => {
    const deep = `${'['.repeat(200)}${']'.repeat(200)}`;
    expect(await observedPost(servers.fast, deep, legacy())).toEqual([labels('none', '-32600')]);
  });

  test('a batch refused as a whole: each of its messages, or the empty batch once', async () => {
    const twice = [
      { jsonrpc: '2.0', id: 7, method: 'tools/list' },
      { jsonrpc: '2.0', id: 7, method: 'tools/list' },
    ];
    expect(await observedPost(servers.fast, twice, legacy('2025-03-26'))).toEqual([
      labels('tools/list', '-32600', '', '2025-03-26'),
      labels('tools/list', '-32600', '', '2025-03-26'),
    ]);
    expect(await observedPost(servers.fast, '[]', legacy('2025-03-26'))).toEqual([
      labels('batch', '-32600', '', '2025-03-26'),
    ]);
  });

  test('a message without a method, and an unknown revision', async () => {
    expect(await observedPost(servers.fast, { jsonrpc: '2.0', id: 1 }, legacy('1999-01-01'))).toEqual([
      labels('invalid', '-32600', '', 'unknown'),
    ]);
  });
});
