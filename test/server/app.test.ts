import { request as httpRequest } from 'node:http';
import { METRIC_LIST, PROCESS_METRICS } from '@mcpenv/contract';
import { echoTool } from '../../examples/custom-tool';
import { allowListFor } from '../../server/guard';
import { MEMORY_TOOLS } from '../../server/tools/memory';
import { startEmbeddedServer, type TestServer } from '../helpers/embedded-server';

const mcpHeaders = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};
const rpc = (method: string, params: Record<string, unknown> = {}, id = 1) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, params });

let open: TestServer;
let base: string;

beforeAll(async () => {
  open = await startEmbeddedServer();
  base = open.url;
}, 60_000);

afterAll(async () => {
  await open.close();
});

describe('reference server HTTP surface', () => {
  test('/healthz answers ok', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('/readyz reports Postgres, migrations and Redis', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { postgres: 'up', migrations: 'current', redis: 'not used', draining: false },
    });
  });

  test('every response carries a request id, echoing a well-formed incoming one', async () => {
    const own = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(own.headers.get('x-request-id')).toBe('abc-123');
    const bad = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'has spaces' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('rejects DELETE, a 2026-07-28 GET and a resuming GET on /mcp with 405 (the server is stateless)', async () => {
    const refused: RequestInit[] = [
      { method: 'DELETE' },
      { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2026-07-28' } },
      { method: 'GET', headers: { accept: 'text/event-stream', 'last-event-id': '7' } },
    ];
    for (const init of refused) {
      const res = await fetch(`${base}/mcp`, init);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
    }
  });

  test('caps the streams one caller holds: the next gets 429 until one closes', async () => {
    const capped = await startEmbeddedServer({ maxStreamsPerPrincipal: 2 });
    const aborts = [new AbortController(), new AbortController()];
    const open = (signal?: AbortSignal) =>
      fetch(`${capped.url}/mcp`, {
        headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2025-11-25' },
        ...(signal ? { signal } : {}),
      });
    try {
      for (const abort of aborts) expect((await open(abort.signal)).status).toBe(200);
      const refused = await open();
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({
        error: { message: expect.stringContaining('at most 2 per caller') },
      });
      aborts[0]?.abort();
      let reopened = 429;
      for (let attempt = 0; attempt < 50 && reopened === 429; attempt++) {
        const res = await open(aborts[1]?.signal);
        reopened = res.status;
        if (reopened === 429) {
          await res.text();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      expect(reopened).toBe(200);
    } finally {
      for (const abort of aborts) abort.abort();
      await capped.close();
    }
  });

  test('a 2025 GET opens the standalone stream (SSE, unbuffered); without text/event-stream it is 406', async () => {
    const abort = new AbortController();
    const res = await fetch(`${base}/mcp`, {
      headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2025-11-25' },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    abort.abort();
    const plain = await fetch(`${base}/mcp`, { headers: { accept: 'application/json' } });
    expect(plain.status).toBe(406);
  });

  test('rejects a body that is not JSON with a JSON-RPC parse error', async () => {
    const res = await fetch(`${base}/mcp`, { method: 'POST', headers: mcpHeaders, body: '{nope' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: -32700 } });
  });

  test('answers plain 2025 requests in JSON and an SSE stream when the request asks for progress', async () => {
    const json = await fetch(`${base}/mcp`, { method: 'POST', headers: mcpHeaders, body: rpc('ping') });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    const sse = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: mcpHeaders,
      body: rpc('tools/list', { _meta: { progressToken: 'p1' } }),
    });
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await sse.text()).toMatch(/^event: message\ndata: \{.*"tools":\[/m);
  });

  test('/metrics exposes every catalogued metric with its help text, plus process defaults', async () => {
    await fetch(`${base}/mcp`, { method: 'POST', headers: mcpHeaders, body: rpc('ping') });
    await fetch(`${base}/readyz`);
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const metric of METRIC_LIST) {
      expect(text).toContain(`# HELP ${metric.name} ${metric.help}`);
      expect(text).toContain(`# TYPE ${metric.name} ${metric.type}`);
    }
    for (const metric of Object.values(PROCESS_METRICS)) {
      expect(text).toContain(`# TYPE ${metric.name} ${metric.type}`);
    }
    expect(text).toMatch(/^mcp_ready 1$/m);
    expect(text).toMatch(
      /mcp_requests_total\{method="ping",status="200",endpoint="\/mcp",protocol_version="2025-11-25"\} \d+/,
    );
    expect(text).toMatch(/^mcp_postgres_up 1$/m);
  });

  test('labels unknown JSON-RPC methods as "other" to keep cardinality bounded', async () => {
    await fetch(`${base}/mcp`, { method: 'POST', headers: mcpHeaders, body: rpc('x/'.repeat(20)) });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/mcp_requests_total\{method="other",/);
    expect(text).not.toContain('x/x/');
  });
});

describe('Host and Origin allow-list', () => {
  let guarded: TestServer;

  beforeAll(async () => {
    const allowList = allowListFor({ publicUrl: 'https://mcp.example.com', loopback: false });
    guarded = await startEmbeddedServer(allowList ? { allowList } : {});
  }, 60_000);

  afterAll(async () => {
    await guarded.close();
  });

  function send(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: guarded.port, path, method: path === '/mcp' ? 'POST' : 'GET', headers },
        (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(path === '/mcp' ? rpc('ping') : undefined);
    });
  }

  test('rejects /mcp requests for another host with 403 (DNS-rebinding protection)', async () => {
    const res = await send('/mcp', { ...mcpHeaders, host: 'attacker.example' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
  });

  test.each([
    'evil.example@mcp.example.com',
    'mcp.example.com@evil.example',
    'mcp.example.com/path',
    'mcp.example.com:443:1',
    'mcp.example.com:port',
  ])('rejects a Host that is not strictly host[:port] (%s) with 403', async (host) => {
    const res = await send('/mcp', { ...mcpHeaders, host });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ error: { message: expect.stringContaining('Host') } });
  });

  test('accepts the public host with a port and in any case', async () => {
    expect((await send('/mcp', { ...mcpHeaders, host: 'MCP.Example.com:443' })).status).toBe(200);
  });

  test('rejects a browser Origin other than the public URL with 403', async () => {
    const res = await send('/mcp', {
      ...mcpHeaders,
      host: 'mcp.example.com',
      origin: 'https://evil.example',
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.message).toContain('Origin "https://evil.example" is not allowed');
  });

  test('serves /mcp for the public host, with or without its own Origin', async () => {
    expect((await send('/mcp', { ...mcpHeaders, host: 'mcp.example.com' })).status).toBe(200);
    const withOrigin = await send('/mcp', {
      ...mcpHeaders,
      host: 'mcp.example.com',
      origin: 'https://mcp.example.com',
    });
    expect(withOrigin.status).toBe(200);
  });

  test('still answers probes addressed to the pod IP', async () => {
    expect((await send('/healthz', { host: '10.1.2.3:3000' })).status).toBe(200);
    expect((await send('/readyz', { host: '10.1.2.3:3000' })).status).toBe(200);
  });
});

describe('allowListFor', () => {
  test('a loopback bind accepts only the loopback names', () => {
    expect(allowListFor({ loopback: true })).toEqual({
      hosts: ['localhost', '127.0.0.1', '[::1]'],
      origins: [],
    });
  });

  test('a public URL adds its host and origin', () => {
    expect(allowListFor({ publicUrl: 'https://mcp.example.com', loopback: false })).toEqual({
      hosts: ['mcp.example.com'],
      origins: ['https://mcp.example.com'],
    });
  });

  test('a non-loopback bind without a public URL has no list', () => {
    expect(allowListFor({ loopback: false })).toBeUndefined();
  });
});

describe('draining', () => {
  test('/readyz turns 503 once draining starts', async () => {
    const server = await startEmbeddedServer();
    try {
      server.server.startDraining();
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { checks: { draining: boolean } }).checks.draining).toBe(true);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('the library API', () => {
  test('serves an org’s own tool next to the memory tools, with its schema converted once', async () => {
    const custom = await startEmbeddedServer({ tools: [...MEMORY_TOOLS, echoTool] });
    try {
      const listed = await fetch(`${custom.url}/mcp`, {
        method: 'POST',
        headers: mcpHeaders,
        body: rpc('tools/list'),
      });
      const tools = ((await listed.json()) as { result: { tools: { name: string; inputSchema: unknown }[] } })
        .result.tools;
      expect(tools.map((tool) => tool.name)).toEqual([
        'memory_store',
        'memory_search',
        'memory_get',
        'memory_delete',
        'echo',
      ]);
      expect(tools[4]?.inputSchema).toMatchObject({
        type: 'object',
        properties: { text: { type: 'string', description: expect.any(String) } },
        required: ['text'],
        additionalProperties: false,
      });
      const called = await fetch(`${custom.url}/mcp`, {
        method: 'POST',
        headers: mcpHeaders,
        body: rpc('tools/call', { name: 'echo', arguments: { text: 'hi there' } }),
      });
      expect(((await called.json()) as { result: unknown }).result).toEqual({
        content: [{ type: 'text', text: '{"text":"hi there"}' }],
        structuredContent: { text: 'hi there' },
      });
    } finally {
      await custom.close();
    }
  }, 60_000);

  test('refuses two tools with the same name', async () => {
    await expect(startEmbeddedServer({ tools: [...MEMORY_TOOLS, MEMORY_TOOLS[0]] })).rejects.toThrow(
      /two tools are named "memory_store"/,
    );
  });
});
