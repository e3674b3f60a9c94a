import { fastAndSdkServers, type TestServer } from '../helpers/embedded-server';

/**
 * The fast path answers plain, valid requests without building an SDK server for each. It may
 * only do that if its answers are the SDK's: every request below goes to a server with the fast
 * path and to one without (same database), and the two answers must be equal, for both
 * protocol generations. Requests the fast path declines must still be answered (by the SDK).
 */

const MODERN = '2026-07-28';
const LEGACY = ['2025-11-25', '2025-06-18'];
const envelope = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'fast-path-test', version: '1.0.0' },
};

const servers = fastAndSdkServers();

interface Call {
  readonly method: string;
  readonly params?: Record<string, unknown>;
  /** `Mcp-Name` for the modern generation. */
  readonly name?: string;
  /** More `_meta` keys, beside the modern generation's envelope. */
  readonly meta?: Record<string, unknown>;
}

function request(era: string, call: Call, id: number): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': era,
  };
  let params = call.params ?? {};
  if (era === MODERN) {
    headers['mcp-method'] = call.method;
    if (call.name !== undefined) headers['mcp-name'] = call.name;
  }
  const meta = { ...(era === MODERN ? envelope : {}), ...call.meta };
  if (Object.keys(meta).length > 0) params = { ...params, _meta: meta };
  return { headers, body: JSON.stringify({ jsonrpc: '2.0', id, method: call.method, params }) };
}

/** Status, media type and the JSON-RPC message, from a JSON body or an SSE stream. */
async function answer(server: TestServer, era: string, call: Call, id: number) {
  const { headers, body } = request(era, call, id);
  const res = await fetch(`${server.url}/mcp`, { method: 'POST', headers, body });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const data = type.startsWith('text/event-stream')
    ? text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)) as unknown)
        .find((message) => (message as { id?: unknown }).id === id)
    : (JSON.parse(text) as unknown);
  return { status: res.status, message: data };
}

async function expectSameAnswer(era: string, call: Call, id = 1) {
  const [viaFast, viaSdk] = [
    await answer(servers.fast, era, call, id),
    await answer(servers.sdk, era, call, id),
  ];
  expect(viaFast).toEqual(viaSdk);
  return viaFast;
}

describe.each([MODERN, ...LEGACY])('fast path and SDK give the same answers (%s)', (era) => {
  let stored: string;

  beforeAll(async () => {
    const { message } = await answer(
      servers.fast,
      era,
      {
        method: 'tools/call',
        name: 'memory_store',
        params: { name: 'memory_store', arguments: { text: `fast path ${era}`, tags: ['fast-path'] } },
      },
      99,
    );
    stored = (message as { result: { structuredContent: { id: string } } }).result.structuredContent.id;
  });

  test('tools/list', async () => {
    const { status, message } = await expectSameAnswer(era, { method: 'tools/list' });
    expect(status).toBe(200);
    expect((message as { result: { tools: unknown[] } }).result.tools).toHaveLength(4);
  });

  test('resources/templates/list and resources/list', async () => {
    await expectSameAnswer(era, { method: 'resources/templates/list' });
    const { message } = await expectSameAnswer(era, { method: 'resources/list' });
    expect(JSON.stringify(message)).toContain(stored);
  });

  test('resources/read of a memory, and of one that does not exist', async () => {
    const uri = `memory://${stored}`;
    await expectSameAnswer(era, { method: 'resources/read', name: uri, params: { uri } });
    const missing = 'memory://00000000-0000-4000-8000-000000000000';
    const { message } = await expectSameAnswer(era, {
      method: 'resources/read',
      name: missing,
      params: { uri: missing },
    });
    expect(message).toMatchObject({ error: { data: { uri: missing } } });
  });

  test('tools/call: a result, a tool error and invalid arguments', async () => {
    const get = { name: 'memory_get', arguments: { id: stored } };
    await expectSameAnswer(era, { method: 'tools/call', name: 'memory_get', params: get });
    const search = { name: 'memory_search', arguments: { query: 'fast path', tags: ['fast-path'] } };
    await expectSameAnswer(era, { method: 'tools/call', name: 'memory_search', params: search });
    const absent = { name: 'memory_get', arguments: { id: '00000000-0000-4000-8000-000000000000' } };
    const { message } = await expectSameAnswer(era, {
      method: 'tools/call',
      name: 'memory_get',
      params: absent,
    });
    expect(message).toMatchObject({ result: { isError: true } });
    const invalid = { name: 'memory_search', arguments: { query: '', extra: 1 } };
    await expectSameAnswer(era, { method: 'tools/call', name: 'memory_search', params: invalid });
  });

  test('trace context in _meta (traceparent, tracestate, baggage) changes no answer', async () => {
    const meta = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'rojo=00f067aa0ba902b7',
      baggage: 'userId=alice',
    };
    const get = { name: 'memory_get', arguments: { id: stored } };
    await expectSameAnswer(era, { method: 'tools/call', name: 'memory_get', params: get, meta });
    await expectSameAnswer(era, { method: 'tools/list', meta });
  });

  test('a bad cursor and an unknown tool', async () => {
    await expectSameAnswer(era, { method: 'resources/list', params: { cursor: 'forged' } });
    const unknown = { name: 'no_such_tool', arguments: {} };
    await expectSameAnswer(era, { method: 'tools/call', name: 'no_such_tool', params: unknown });
  });

  test(era === MODERN ? 'server/discover' : 'ping', async () => {
    const { status } = await expectSameAnswer(era, { method: era === MODERN ? 'server/discover' : 'ping' });
    expect(status).toBe(200);
  });
});

test('a modern request whose Mcp-Name disagrees with the body is refused the same way by both', async () => {
  const call = {
    method: 'tools/call',
    name: 'memory_delete',
    params: { name: 'memory_get', arguments: { id: 'x' } },
  };
  const { status, message } = await expectSameAnswer(MODERN, call);
  expect(status).toBe(400);
  expect(message).toMatchObject({ error: { code: -32020 } });
});
