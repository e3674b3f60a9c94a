import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { apiKeyParts } from '../helpers/api-keys';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import {
  type Backends,
  callTool,
  MCP_HEADERS,
  postMcp,
  type ReferenceServer,
  startBackends,
} from '../helpers/reference-server';

let backends: Backends;
let server: ReferenceServer;
let keys: { alpha: string; beta: string };

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: 'mcpenv-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  return client;
}

beforeAll(async () => {
  backends = await startBackends({ tenants: ['alpha', 'beta'], redisPassword: 'redis-test-password' });
  keys = { alpha: backends.keys[0] as string, beta: backends.keys[1] as string };
  server = await backends.startServer();
}, 120_000);

afterAll(async () => {
  await backends?.destroy();
  removeTempDirs();
});

describe('MCP round trips with the SDK client, on real Postgres and Redis', () => {
  let alpha: Client;
  let beta: Client;

  beforeAll(async () => {
    [alpha, beta] = await Promise.all([connect(keys.alpha), connect(keys.beta)]);
  });

  afterAll(async () => {
    await Promise.all([alpha?.close(), beta?.close()]);
  });

  test('stores, searches with ranking and tag filter, gets, and deletes', async () => {
    const store = async (text: string, tags: string[]) =>
      (
        await alpha.callTool({
          name: 'memory_store',
          arguments: { text, tags, metadata: { source: 'test' } },
        })
      ).structuredContent as { id: string };
    const runbook = await store('Rotate the payments API certificate every ninety days', [
      'runbook',
      'payments',
    ]);
    const note = await store('Payments team standup moved to Tuesdays', ['team']);

    const all = await alpha.callTool({ name: 'memory_search', arguments: { query: 'payments' } });
    const items = (all.structuredContent as { items: { id: string; score: number }[] }).items;
    expect(items.map((item) => item.id).sort()).toEqual([runbook.id, note.id].sort());
    expect(items[0]?.score).toBeGreaterThanOrEqual(items[1]?.score ?? 0);

    const filtered = await alpha.callTool({
      name: 'memory_search',
      arguments: { query: 'payments', tags: ['runbook'] },
    });
    expect((filtered.structuredContent as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([
      runbook.id,
    ]);

    const got = await alpha.callTool({ name: 'memory_get', arguments: { id: runbook.id } });
    expect(got.structuredContent).toMatchObject({
      id: runbook.id,
      tags: ['runbook', 'payments'],
      metadata: { source: 'test' },
    });

    expect(
      (await alpha.callTool({ name: 'memory_delete', arguments: { id: note.id } })).structuredContent,
    ).toEqual({
      deleted: true,
    });
    expect((await alpha.callTool({ name: 'memory_get', arguments: { id: note.id } })).isError).toBe(true);
  });

  test('pages through search results with a cursor, without repeats or gaps', async () => {
    const stored: string[] = [];
    for (let i = 0; i < 7; i++) {
      const result = await alpha.callTool({
        name: 'memory_store',
        arguments: { text: `Paging fixture ${i} about kubernetes upgrades`, tags: ['paging'] },
      });
      stored.push((result.structuredContent as { id: string }).id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await alpha.callTool({
        name: 'memory_search',
        arguments: {
          query: 'kubernetes upgrades',
          tags: ['paging'],
          limit: 3,
          ...(cursor ? { cursor } : {}),
        },
      });
      const content = result.structuredContent as { items: { id: string }[]; nextCursor?: string };
      seen.push(...content.items.map((item) => item.id));
      cursor = content.nextCursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual(stored.sort());
  });

  test('rejects a cursor from another query as a tool error', async () => {
    const first = await alpha.callTool({
      name: 'memory_search',
      arguments: { query: 'kubernetes', limit: 1 },
    });
    const cursor = (first.structuredContent as { nextCursor?: string }).nextCursor;
    expect(cursor).toBeDefined();
    const reused = await alpha.callTool({ name: 'memory_search', arguments: { query: 'payments', cursor } });
    expect(reused.isError).toBe(true);
    expect(JSON.stringify(reused.content)).toContain('cursor belongs to a different query');
  });

  test('keeps tenants apart: no call reads or changes another tenant’s records', async () => {
    const secret = await alpha.callTool({
      name: 'memory_store',
      arguments: { text: 'Alpha-only launch codename is bluebird', tags: ['secret'] },
    });
    const { id } = secret.structuredContent as { id: string };

    expect((await beta.callTool({ name: 'memory_get', arguments: { id } })).isError).toBe(true);
    const search = await beta.callTool({ name: 'memory_search', arguments: { query: 'bluebird' } });
    expect((search.structuredContent as { items: unknown[] }).items).toEqual([]);
    await expect(beta.readResource({ uri: `memory://${id}` })).rejects.toThrow(/Resource not found/);
    const listed = await beta.listResources();
    expect(listed.resources.map((r) => r.uri)).not.toContain(`memory://${id}`);
    expect((await beta.callTool({ name: 'memory_delete', arguments: { id } })).structuredContent).toEqual({
      deleted: false,
    });
    // Still there for its owner.
    expect((await alpha.callTool({ name: 'memory_get', arguments: { id } })).structuredContent).toMatchObject(
      { id },
    );
  });

  test('serves memories as memory:// resources', async () => {
    const templates = await alpha.listResourceTemplates();
    expect(templates.resourceTemplates).toEqual([expect.objectContaining({ uriTemplate: 'memory://{id}' })]);
    const listed = await alpha.listResources();
    expect(listed.resources.length).toBeGreaterThan(0);
    const first = listed.resources[0] as { uri: string };
    const read = await alpha.readResource({ uri: first.uri });
    expect(read.contents[0]).toMatchObject({ uri: first.uri, mimeType: 'application/json' });
  });
});

describe('protocol versions and response modes', () => {
  const auth = () => ({ authorization: `Bearer ${keys.alpha}` });
  const initialize = (protocolVersion: string) => ({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });

  test.each(['2025-06-18', '2025-11-25'])(
    'negotiates protocol version %s and serves calls with it',
    async (version) => {
      const init = await postMcp(server.url, initialize(version), auth());
      expect(init.status).toBe(200);
      expect(init.json.result.protocolVersion).toBe(version);
      const list = await postMcp(
        server.url,
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        {
          ...auth(),
          'mcp-protocol-version': version,
        },
      );
      expect(list.status).toBe(200);
      expect(list.json.result.tools).toHaveLength(4);
    },
  );

  test('rejects an unsupported protocol version header with 400', async () => {
    const res = await postMcp(
      server.url,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      {
        ...auth(),
        'mcp-protocol-version': '1999-01-01',
      },
    );
    expect(res.status).toBe(400);
  });

  test('streams the reply as SSE when the call carries a progress token', async () => {
    const res = await postMcp(
      server.url,
      {
        ...callTool('memory_search', { query: 'payments' }),
        params: { name: 'memory_search', arguments: { query: 'payments' }, _meta: { progressToken: 7 } },
      },
      auth(),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.text).toMatch(/^data: \{.*"result"/m);
  });
});

describe('malformed requests never give a 500 or crash the server', () => {
  const auth = () => ({ authorization: `Bearer ${keys.alpha}` });

  test.each([
    ['invalid JSON', '{"jsonrpc": "2.0", "id": 1, "method": ', 400],
    ['a JSON string', '"hello"', 400],
    ['an empty batch', '[]', 400],
    ['a request without a method', JSON.stringify({ jsonrpc: '2.0', id: 1 }), 400],
  ])('%s gets a 4xx JSON-RPC error', async (_name, body, status) => {
    const res = await postMcp(server.url, body, auth());
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
  });

  describe('input that Postgres or JavaScript cannot take is an input error, not a server error', () => {
    const encodeCursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const errorLines = () => server.logs.filter((line) => Number(line.level) >= 50).length;
    // The scope a search cursor is tied to, as the server computes it: this forgery is a
    // well-formed cursor of the right query whose rank is not a number.
    const searchScope = (query: string) =>
      createHash('sha256')
        .update(JSON.stringify({ q: query, tags: [] }))
        .digest('base64url')
        .slice(0, 22);

    test.each([
      [
        'a NUL character in text',
        'memory_store',
        { text: 'before\u0000after' },
        /text: contains a NUL character/,
      ],
      [
        'an unpaired surrogate in a metadata key',
        'memory_store',
        { text: 'x', metadata: { ['k\uD800']: 1 } },
        /metadata: a key contains an unpaired UTF-16 surrogate/,
      ],
      [
        'an unpaired surrogate in a query',
        'memory_search',
        { query: 'a\uDC00b' },
        /query: contains an unpaired UTF-16 surrogate/,
      ],
      [
        'a "__proto__" metadata key',
        'memory_store',
        { text: 'x', metadata: JSON.parse('{"__proto__": {"polluted": true}}') },
        /metadata.__proto__: "__proto__" is not allowed/,
      ],
      [
        'a run of 499 "-" in a query',
        'memory_search',
        { query: `${'-'.repeat(499)}x` },
        /too many "-" exclusions/,
      ],
      [
        'a query of 40 separated "-"',
        'memory_search',
        { query: `${'- '.repeat(40)}x` },
        /too many "-" exclusions/,
      ],
      [
        'a forged search cursor',
        'memory_search',
        {
          query: 'x',
          cursor: encodeCursor({
            s: searchScope('x'),
            r: 'ListCursorMarker',
            i: '00000000-0000-4000-8000-000000000000',
          }),
        },
        /cursor belongs to a different query or is damaged/,
      ],
    ])('%s', async (_name, tool, args, message) => {
      const before = errorLines();
      const res = await postMcp(
        server.url,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: args } },
        auth(),
      );
      expect(res.status).toBe(200);
      expect(res.json.result.isError).toBe(true);
      expect(res.json.result.content[0].text).toMatch(message);
      expect(errorLines()).toBe(before);
    });

    test('a forged list cursor gets invalid params, with no database text', async () => {
      const cursor = encodeCursor({ t: 'ListCursorMarker', i: '00000000-0000-4000-8000-000000000000' });
      const before = errorLines();
      const res = await postMcp(
        server.url,
        { jsonrpc: '2.0', id: 2, method: 'resources/list', params: { cursor } },
        auth(),
      );
      expect(res.json).toMatchObject({
        id: 2,
        error: { code: -32602, message: expect.stringContaining('cursor') },
      });
      expect(res.text).not.toContain('invalid input syntax');
      expect(errorLines()).toBe(before);
    });

    test('arguments nested 10,000 deep are refused before they reach any parser, as a 400', async () => {
      const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
      const body = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"memory_store","arguments":{"text":"x","metadata":{"deep":${deep}}}}}`;
      const res = await postMcp(server.url, body, auth());
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({
        error: { code: -32600, message: expect.stringContaining('deeper than 64') },
      });
    });
  });

  test('a batch that cancels its own request is answered, every id, within a deadline', async () => {
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, 'mcp-protocol-version': '2025-03-26', ...auth() },
      body: JSON.stringify([
        callTool('memory_store', { text: 'stored by a batch that cancels itself' }, 1),
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
      ]),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const messages =
      text.startsWith('[') || text.startsWith('{')
        ? [JSON.parse(text)].flat()
        : text
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .flatMap((line) => [JSON.parse(line.slice(6))].flat());
    expect(messages).toEqual([
      expect.objectContaining({
        id: 1,
        result: expect.objectContaining({ structuredContent: expect.anything() }),
      }),
    ]);
  });

  test('a batch with two requests of one id is refused, naming the id', async () => {
    const res = await postMcp(
      server.url,
      [
        { jsonrpc: '2.0', id: 7, method: 'tools/list' },
        { jsonrpc: '2.0', id: 7, method: 'tools/list' },
      ],
      { 'mcp-protocol-version': '2025-03-26', ...auth() },
    );
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code: -32600, message: expect.stringContaining('the id 7') } });
  });

  test('an unknown method gets JSON-RPC "method not found"', async () => {
    const res = await postMcp(
      server.url,
      { jsonrpc: '2.0', id: 3, method: 'memory/teleport', params: {} },
      auth(),
    );
    expect(res.json).toMatchObject({ id: 3, error: { code: -32601 } });
  });

  test('an unknown tool gets "invalid params"', async () => {
    const res = await postMcp(server.url, callTool('no_such_tool', {}), auth());
    expect(res.json).toMatchObject({ error: { code: -32602 } });
  });

  test.each([
    ['a number for text', { text: 42 }],
    ['a string for tags', { text: 'x', tags: 'ops' }],
    ['an unknown argument', { text: 'x', colour: 'blue' }],
    ['an oversized text', { text: 'x'.repeat(32_001) }],
    ['a tag with spaces', { text: 'x', tags: ['Not A Tag'] }],
  ])('%s is a tool error naming the field', async (_name, args) => {
    const res = await postMcp(server.url, callTool('memory_store', args), auth());
    expect(res.status).toBe(200);
    expect(res.json.result.isError).toBe(true);
    expect(res.json.result.content[0].text).toMatch(/^Invalid arguments for memory_store: /);
  });

  test('a malformed id is a tool error, not a database error', async () => {
    const res = await postMcp(server.url, callTool('memory_get', { id: "1' OR '1'='1" }), auth());
    expect(res.json.result.isError).toBe(true);
  });

  test('a body over the size limit gets 413', async () => {
    const res = await postMcp(server.url, callTool('memory_store', { text: 'x'.repeat(1_100_000) }), auth());
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ error: { code: -32600 } });
  });

  test('a missing Accept header gets 406, a wrong content type 415', async () => {
    const noAccept = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(noAccept.status).toBe(406);
    const wrongType = await postMcp(server.url, 'ping', { ...auth(), 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
  });

  test('after all that, the server still answers and logged no 500', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const statuses = server.logs.filter((entry) => entry.msg === 'request').map((entry) => entry.status);
    expect(statuses).not.toContain(500);
  });
});

describe('cache invalidation', () => {
  const auth = () => ({ authorization: `Bearer ${keys.beta}` });

  test('a get cached before a delete is not served after it', async () => {
    const stored = await postMcp(server.url, callTool('memory_store', { text: 'Cache probe one' }), auth());
    const id = stored.json.result.structuredContent.id as string;
    const first = await postMcp(server.url, callTool('memory_get', { id }), auth());
    expect(first.json.result.structuredContent.id).toBe(id);
    await postMcp(server.url, callTool('memory_delete', { id }), auth());
    const after = await postMcp(server.url, callTool('memory_get', { id }), auth());
    expect(after.json.result.isError).toBe(true);
  });

  test('a cached search sees a memory stored after it', async () => {
    const search = () => postMcp(server.url, callTool('memory_search', { query: 'zanzibar' }), auth());
    expect((await search()).json.result.structuredContent.items).toHaveLength(0);
    expect((await search()).json.result.structuredContent.items).toHaveLength(0);
    await postMcp(server.url, callTool('memory_store', { text: 'Offsite in Zanzibar' }), auth());
    expect((await search()).json.result.structuredContent.items).toHaveLength(1);
  });

  test('under concurrent writers and readers, every acknowledged store is visible to the next search', async () => {
    const writers = Array.from({ length: 8 }, async (_, writer) => {
      for (let i = 0; i < 10; i++) {
        const token = `tok${writer}x${i}q`;
        // A reader hammers the same query while the write happens, trying to cache a stale page.
        const reader = postMcp(server.url, callTool('memory_search', { query: token }), auth());
        await postMcp(server.url, callTool('memory_store', { text: `Concurrency probe ${token}` }), auth());
        await reader;
        const seen = await postMcp(server.url, callTool('memory_search', { query: token }), auth());
        expect(seen.json.result.structuredContent.items).toHaveLength(1);
      }
    });
    await Promise.all(writers);
  }, 60_000);
});

describe('logs', () => {
  test('never contain a token, an API key or a tool argument', () => {
    const text = JSON.stringify(server.logs);
    expect(text).not.toContain(keys.alpha);
    expect(text).not.toContain(apiKeyParts(keys.alpha).secret);
    expect(text).not.toContain('bluebird');
    expect(text).not.toContain('redis-test-password');
    expect(server.logs.some((entry) => entry.principal === `key:${apiKeyParts(keys.alpha).id}`)).toBe(true);
  });
});

describe('connection settings by parts', () => {
  /** The PG* and REDIS_* variables for the test backends, the URLs unset; passwords as given. */
  function partsEnv(passwords: Record<string, string>): Record<string, string> {
    const pg = new URL(backends.postgres.url);
    const redisUrl = new URL(backends.redis.url);
    return {
      DATABASE_URL: '',
      REDIS_URL: '',
      PGHOST: pg.hostname,
      PGPORT: pg.port,
      PGDATABASE: pg.pathname.slice(1),
      PGUSER: decodeURIComponent(pg.username),
      PGSSLMODE: 'disable',
      REDIS_HOST: redisUrl.hostname,
      REDIS_PORT: redisUrl.port,
      ...passwords,
    };
  }

  test('connects with the PG* and REDIS_* variables instead of URLs (as Kubernetes wires them)', async () => {
    const pg = new URL(backends.postgres.url);
    const redisUrl = new URL(backends.redis.url);
    const byParts = await backends.startServer(
      partsEnv({
        PGPASSWORD: decodeURIComponent(pg.password),
        REDIS_PASSWORD: decodeURIComponent(redisUrl.password),
      }),
    );
    const auth = { authorization: `Bearer ${keys.alpha}` };
    const stored = await postMcp(byParts.url, callTool('memory_store', { text: 'wired by parts' }), auth);
    expect(stored.json.result.structuredContent.id).toMatch(/^[0-9a-f-]{36}$/);
    const ready = await fetch(`${byParts.url}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
    expect(JSON.stringify(byParts.logs)).not.toContain(decodeURIComponent(pg.password));
  });

  test('reads the passwords from files (*_FILE), as the Kubernetes workload mounts them', async () => {
    const pg = new URL(backends.postgres.url);
    const redisUrl = new URL(backends.redis.url);
    const dir = tempDir('mcpenv-secret-files-');
    const secretFile = (name: string, value: string) => {
      const file = path.join(dir, name);
      // As a Secret made with --from-file holds it: with a trailing newline.
      fs.writeFileSync(file, `${value}\n`, { mode: 0o440 });
      return file;
    };
    const fromFiles = await backends.startServer(
      partsEnv({
        PGPASSWORD_FILE: secretFile('PGPASSWORD', decodeURIComponent(pg.password)),
        REDIS_PASSWORD_FILE: secretFile('REDIS_PASSWORD', decodeURIComponent(redisUrl.password)),
      }),
    );
    const auth = { authorization: `Bearer ${keys.alpha}` };
    const stored = await postMcp(fromFiles.url, callTool('memory_store', { text: 'wired by files' }), auth);
    expect(stored.json.result.structuredContent.id).toMatch(/^[0-9a-f-]{36}$/);
    const ready = await fetch(`${fromFiles.url}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
    const logs = JSON.stringify(fromFiles.logs);
    expect(logs).not.toContain(decodeURIComponent(pg.password));
    expect(logs).not.toContain('redis-test-password');
  });
});
