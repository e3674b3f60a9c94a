import pino from 'pino';
import { z } from 'zod';
import { ApiKeyStore } from '../../server/auth/api-keys';
import { AuthFailureLimiter } from '../../server/auth/failure-limit';
import { MAX_JSON_DEPTH, nestedDeeperThan, textNestsDeeperThan } from '../../server/mcp/json-limits';
import type { SqlClient } from '../../server/store/sql';
import { MEMORY_TOOLS } from '../../server/tools/memory';
import { defineTool, structuredResult } from '../../server/tools/tool';
import { sharedEmbeddedPostgres, startEmbeddedServer, type TestServer } from '../helpers/embedded-server';
import { openListenStream } from '../helpers/listen-stream';
import { seededRandom } from '../helpers/random';

const silent = pino({ level: 'silent' });
const headers = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};
const ping = (id: number | string = 1) => ({ jsonrpc: '2.0', id, method: 'ping' });

async function post(url: string, body: string | unknown, extra: Record<string, string> = {}) {
  const res = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { ...headers, ...extra },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, headers: res.headers, json: json as any, text };
}

/** Counts the queries a client sends, to show what reaches Postgres. */
function counting(db: SqlClient): { db: SqlClient; queries: () => number } {
  let queries = 0;
  const wrapped = new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (...args: Parameters<SqlClient['query']>) => {
          queries++;
          return target.query(...args);
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: wrapped, queries: () => queries };
}

/** Strings rich in what confuses a byte scanner: brackets, quotes, backslashes, non-ASCII. */
function trickyString(next: () => number): string {
  const alphabet = ['[', ']', '{', '}', '"', '\\', 'a', ' ', 'é', '€', '😀', '\n', '\u0001', '/'];
  let text = '';
  const length = Math.floor(next() * 12);
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
  return text;
}

function jsonValue(next: () => number, depth: number): unknown {
  const kind = Math.floor(next() * (depth > 80 ? 3 : 6));
  if (kind === 0) return trickyString(next);
  if (kind === 1) return Math.floor(next() * 1000) - 500;
  if (kind === 2) return [true, false, null][Math.floor(next() * 3)];
  const size = Math.floor(next() * 3);
  if (kind === 3 || kind === 4) return Array.from({ length: size + 1 }, () => jsonValue(next, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = 0; i <= size; i++) object[trickyString(next)] = jsonValue(next, depth + 1);
  return object;
}

// Opening PGlite compiles WebAssembly: seconds, once per file.
beforeAll(() => sharedEmbeddedPostgres(), 60_000);

describe('textNestsDeeperThan: the depth check before parsing', () => {
  test('counts brackets outside strings only, escapes included', () => {
    const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    expect(textNestsDeeperThan(Buffer.from(deep(64)), 64)).toBe(false);
    expect(textNestsDeeperThan(Buffer.from(deep(65)), 64)).toBe(true);
    expect(textNestsDeeperThan(Buffer.from('['.repeat(1024 * 1024)), 64)).toBe(true);
    const inString = JSON.stringify({ a: '['.repeat(500), b: '"\\[[[[' + '{'.repeat(200) });
    expect(textNestsDeeperThan(Buffer.from(inString), 2)).toBe(false);
  });

  test('agrees with the walk over the parsed value for every generated document', () => {
    // Every seed in the range is checked; the property holds for any JSON text, so none is skipped.
    for (let seed = 1; seed <= 400; seed++) {
      const next = seededRandom(seed);
      // Some documents are wrapped deep enough to cross the limits below.
      let value = jsonValue(next, 0);
      const wraps = Math.floor(next() * 70);
      for (let i = 0; i < wraps; i++) value = next() < 0.5 ? [value] : { k: value };
      const bytes = Buffer.from(JSON.stringify(value));
      for (const max of [1, 3, 8, MAX_JSON_DEPTH]) {
        if (textNestsDeeperThan(bytes, max) !== nestedDeeperThan(value, max)) {
          throw new Error(`seed ${seed}, max ${max}: the byte scan and the walk disagree`);
        }
      }
    }
  });
});

describe('ApiKeyStore: made-up key ids', () => {
  test('an unknown id costs one query for as long as the cache holds, and cannot push out real keys', async () => {
    const pg = await sharedEmbeddedPostgres();
    const { db, queries } = counting(pg);
    const store = new ApiKeyStore(db, 30, 50);
    const { key } = await store.create({ tenant: 'alpha', name: 'real', scopes: ['mcp'] });
    expect((await store.verify(key)).ok).toBe(true);
    const afterReal = queries();

    const made = 'mcpk_0123456789abcdef_' + 'A'.repeat(43);
    for (let i = 0; i < 20; i++)
      expect(await store.verify(made)).toEqual({ ok: false, reason: 'unknown_key' });
    expect(queries() - afterReal).toBe(1);

    // Far more distinct made-up ids than the cache holds.
    for (let i = 0; i < 200; i++) {
      const id = i.toString(16).padStart(16, 'f');
      expect((await store.verify(`mcpk_${id}_${'B'.repeat(43)}`)).ok).toBe(false);
    }
    const beforeReal = queries();
    expect((await store.verify(key)).ok).toBe(true);
    expect(queries()).toBe(beforeReal);
    expect(store.verifyCached(key)).toMatchObject({ ok: true });
  });

  test('verifyCached answers from the cache only: a wrong secret fails, an uncached key is unknown to it', async () => {
    const pg = await sharedEmbeddedPostgres();
    const store = new ApiKeyStore(pg);
    const { key } = await store.create({ tenant: 'alpha', name: 'cached', scopes: ['mcp'] });
    expect(store.verifyCached(key)).toBeUndefined();
    await store.verify(key);
    expect(store.verifyCached(key)).toMatchObject({ ok: true });
    expect(store.verifyCached(`${key.slice(0, -2)}xx`)).toEqual({ ok: false, reason: 'unknown_key' });
    store.evict(key.split('_')[1] as string);
    expect(store.verifyCached(key)).toBeUndefined();
  });
});

describe('AuthFailureLimiter without Redis', () => {
  test('counts refusals per address in one-minute windows and blocks until the window ends', async () => {
    let now = 60_000 * 1000 + 15_000;
    const limiter = new AuthFailureLimiter({ perMinute: 2, logger: silent, now: () => now });
    expect(await limiter.record('1.2.3.4')).toBeUndefined();
    expect(await limiter.record('1.2.3.4')).toBeUndefined();
    expect(await limiter.record('5.6.7.8')).toBeUndefined();
    expect(limiter.retryAfter('1.2.3.4')).toBeUndefined();
    expect(await limiter.record('1.2.3.4')).toBe(45);
    expect(limiter.retryAfter('1.2.3.4')).toBe(45);
    expect(limiter.retryAfter('5.6.7.8')).toBeUndefined();
    now += 45_000;
    expect(limiter.retryAfter('1.2.3.4')).toBeUndefined();
    expect(await limiter.record('1.2.3.4')).toBeUndefined();
  });
});

describe('/mcp with authentication: credentials before the body', () => {
  let server: TestServer;
  let store: ApiKeyStore;
  let key: string;
  let queries: () => number;

  beforeAll(async () => {
    const pg = await sharedEmbeddedPostgres();
    const counted = counting(pg);
    queries = counted.queries;
    store = new ApiKeyStore(counted.db);
    key = (await store.create({ tenant: 'alpha', name: 'good', scopes: ['mcp'] })).key;
    server = await startEmbeddedServer({
      auth: { enabled: true, requiredScope: 'mcp', apiKeys: store, failuresPerMinute: 3 },
      maxBodyBytes: 64 * 1024,
    });
  }, 60_000);

  afterAll(() => server.close());

  test('an oversized declared body is refused before credentials are looked at', async () => {
    const res = await post(server.url, 'x'.repeat(64 * 1024 + 1));
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ error: { message: expect.stringContaining('limit 65536 bytes') } });
  });

  test('a body too deep to parse is refused once the caller is known, without parsing it', async () => {
    const res = await post(server.url, '['.repeat(60 * 1024), { authorization: `Bearer ${key}` });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      error: { code: -32600, message: expect.stringContaining('deeper than 64 levels') },
    });
  });

  test('a UTF-16 body is judged by its characters, not its bytes: U+225B is no quote and bracket', async () => {
    // In UTF-16LE each U+225B is the bytes 5B 22: to a byte scanner a `[` and a quote, so a run of
    // them inside a string looks like deep nesting outside one.
    const body = { jsonrpc: '2.0', id: 3, method: 'ping', params: { _meta: { note: '\u225b'.repeat(200) } } };
    const deep = Array.from({ length: 70 }).reduce<unknown>((inner) => [inner], 1);
    const utf16 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf16le');
    const send = (bytes: Buffer) =>
      post(server.url, bytes, {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json; charset=utf-16le',
      });
    const answer = await send(utf16(body));
    expect(answer.status).toBe(200);
    // A JSON body or an SSE event, as the handler chooses: the ping's answer, not an error.
    expect(answer.text).toContain('"id":3');
    expect(answer.text).toContain('"result":{}');
    expect(answer.text).not.toContain('"error"');
    // Real nesting is still refused, whatever the charset.
    expect(await send(utf16(deep))).toMatchObject({ status: 400 });
  });

  test('refusals are limited per address; a key this replica knows still passes; other keys wait', async () => {
    // Known to this replica before the flood.
    expect((await post(server.url, ping(), { authorization: `Bearer ${key}` })).status).toBe(200);
    const other = (await store.create({ tenant: 'beta', name: 'uncached', scopes: ['mcp'] })).key;
    const before = queries();
    // Not JSON at all: a 401 shows the body was never parsed.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(server.url, '{not json')).status);
    const probe = `mcpk_${'9'.repeat(16)}_${'C'.repeat(43)}`;
    const over = await post(server.url, ping(), { authorization: `Bearer ${probe}` });
    statuses.push(over.status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(over.json).toMatchObject({
      error: { message: expect.stringContaining('fix the Authorization header') },
    });
    // Blocked now: made-up keys cost no query at all.
    for (let i = 0; i < 20; i++) {
      const made = `mcpk_${i.toString(16).padStart(16, 'a')}_${'D'.repeat(43)}`;
      expect((await post(server.url, ping(), { authorization: `Bearer ${made}` })).status).toBe(429);
    }
    expect((await post(server.url, ping(), { authorization: `Bearer ${other}` })).status).toBe(429);
    expect(queries() - before).toBe(1);
    expect((await post(server.url, ping(), { authorization: `Bearer ${key}` })).status).toBe(200);
  });
});

describe('every exchange ends: the response timeout', () => {
  let server: TestServer;
  let slowServer: TestServer;
  const stuck = defineTool({
    name: 'stuck',
    title: 'Stuck',
    description: 'Never answers until its call is abandoned (a dependency that hangs).',
    inputSchema: { text: z.string().describe('Anything.') },
    async handler(_args, context) {
      await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve()));
      return structuredResult({});
    },
  });

  beforeAll(async () => {
    server = await startEmbeddedServer({ tools: [...MEMORY_TOOLS, stuck], responseTimeoutMs: 300 });
    slowServer = await startEmbeddedServer({
      tools: [...MEMORY_TOOLS, stuck],
      responseTimeoutMs: 300,
      fastPath: false,
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([server.close(), slowServer.close()]);
  });

  const call = (id: number) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'stuck', arguments: { text: 'x' } },
  });

  const timedOut = (id: number) => ({
    jsonrpc: '2.0',
    id,
    error: { code: -32603, message: expect.stringContaining('no answer within 0.3 s') },
  });
  /** The JSON-RPC messages of an SSE answer, in order. */
  const events = (text: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => JSON.parse(line.slice(5)) as Record<string, unknown>);

  test('a request nothing answers gets a JSON-RPC error with its id (fast path: 504 JSON)', async () => {
    const res = await post(server.url, call(7));
    expect(res.status).toBe(504);
    expect(res.json).toEqual(timedOut(7));
    // The server goes on answering.
    expect((await post(server.url, ping(8))).json).toMatchObject({ id: 8, result: {} });
  });

  test('a streamed answer gets the error as its last event, then ends (SDK handler)', async () => {
    const res = await post(slowServer.url, call(7));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(events(res.text)).toEqual([timedOut(7)]);
    expect((await post(slowServer.url, ping(8))).text).toContain('"id":8');
  });

  test('in a batch, the ids answered in time keep their answers and only the others get the error', async () => {
    const res = await post(slowServer.url, [call(1), ping(2), call(3)]);
    const messages = events(res.text);
    expect(messages).toHaveLength(3);
    expect(messages).toEqual(
      expect.arrayContaining([{ jsonrpc: '2.0', id: 2, result: {} }, timedOut(1), timedOut(3)]),
    );
  });

  test('a listen stream outlives the response timeout', async () => {
    const stream = await openListenStream(server.url, { resourcesListChanged: true });
    let ended = false;
    void stream.ended.then(() => {
      ended = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(ended).toBe(false);
    stream.close();
  });
});
