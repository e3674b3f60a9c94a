import {
  type ListenStream,
  modernRequest,
  openListenStream,
  type RpcMessage,
} from '../helpers/listen-stream';
import { type PostgresServer, startPostgres } from '../helpers/postgres';
import { type RedisServer, startRedis } from '../helpers/redis';
import { createApiKeys, type ReferenceServer, startReferenceServer } from '../helpers/reference-server';

/**
 * Change notifications across replicas: two reference servers on one Postgres and one Redis.
 * A memory stored or deleted through one reaches the `subscriptions/listen` streams the other
 * holds for the same tenant (and no other tenant's), through Redis pub/sub; with Redis stopped
 * the servers keep answering and say so in /readyz; when Redis returns, notifications flow again;
 * a draining server ends its listen streams with their final result.
 */

let postgres: PostgresServer;
let redis: RedisServer;
let a: ReferenceServer;
let b: ReferenceServer;
let acmeKey: string;
let otherKey: string;
const open: ListenStream[] = [];

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const urls = { databaseUrl: postgres.url, redisUrl: redis.url };
  const keys = await createApiKeys(postgres.url, [{ tenant: 'acme' }, { tenant: 'other' }]);
  [acmeKey, otherKey] = keys.keys as [string, string];
  await keys.close();
  a = await startReferenceServer(urls);
  b = await startReferenceServer(urls);
}, 120_000);

afterAll(async () => {
  for (const stream of open) stream.close();
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await Promise.allSettled([postgres?.destroy(), redis?.destroy()]);
}, 60_000);

async function listen(server: ReferenceServer, token: string): Promise<ListenStream> {
  const stream = await openListenStream(server.url, { resourcesListChanged: true }, token);
  open.push(stream);
  await stream.next((message) => message.method === 'notifications/subscriptions/acknowledged', 5_000);
  return stream;
}

async function store(server: ReferenceServer, token: string, text: string): Promise<string> {
  const { headers, body } = modernRequest(
    'tools/call',
    { name: 'memory_store', arguments: { text } },
    { name: 'memory_store', token },
  );
  const res = await fetch(`${server.url}/mcp`, { method: 'POST', headers, body });
  const json = (await res.json()) as { result?: { structuredContent?: { id?: string } } };
  const id = json.result?.structuredContent?.id;
  if (res.status !== 200 || typeof id !== 'string') throw new Error(`store failed: ${JSON.stringify(json)}`);
  return id;
}

const listChanged = (message: RpcMessage) => message.method === 'notifications/resources/list_changed';

async function readiness(server: ReferenceServer) {
  const res = await fetch(`${server.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: { redis: string } } };
}

test('a store on one replica notifies a listen stream held by the other within a second, and only its tenant', async () => {
  const onB = await listen(b, acmeKey);
  const otherTenant = await listen(b, otherKey);
  const from = onB.messages.length;
  const started = Date.now();
  await store(a, acmeKey, 'stored on replica a');
  const note = await onB.next(listChanged, 1_000, from);
  expect(Date.now() - started).toBeLessThan(1_000);
  expect(note.params?._meta?.['io.modelcontextprotocol/subscriptionId']).toBe('listen-1');
  // Give a wrong delivery every chance to arrive before checking it did not.
  await store(a, acmeKey, 'a second one');
  await onB.next(listChanged, 1_000, onB.messages.indexOf(note) + 1);
  expect(otherTenant.messages.filter(listChanged)).toEqual([]);
}, 30_000);

test('with Redis stopped the servers keep answering, say so, and still notify their own streams; when it returns, replicas hear each other again', async () => {
  const onB = await listen(b, acmeKey);
  await redis.stop();
  try {
    const down = await readiness(b);
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ status: 'degraded', checks: { redis: 'down' } });
    const from = onB.messages.length;
    await store(b, acmeKey, 'stored while Redis is down');
    await onB.next(listChanged, 1_000, from);
  } finally {
    await redis.start();
  }
  // The subscriber reconnects on its own: a store on A reaches B again (bounded retries).
  let heard = false;
  for (let attempt = 0; attempt < 30 && !heard; attempt++) {
    const from = onB.messages.length;
    await store(a, acmeKey, `after Redis returned ${attempt}`);
    heard = await onB.next(listChanged, 500, from).then(
      () => true,
      () => false,
    );
  }
  expect(heard).toBe(true);
  expect((await readiness(b)).body.checks.redis).toBe('up');
}, 60_000);

test('a 2025 client’s standalone stream (GET) hears of a store on the other replica', async () => {
  const abort = new AbortController();
  const res = await fetch(`${b.url}/mcp`, {
    headers: {
      accept: 'text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      authorization: `Bearer ${acmeKey}`,
    },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  try {
    const started = Date.now();
    await store(a, acmeKey, 'heard by a 2025 stream');
    let text = '';
    while (!text.includes('notifications/resources/list_changed') && Date.now() - started < 1_000) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<undefined>((resolve) =>
          setTimeout(() => resolve(undefined), 1_000 - (Date.now() - started)),
        ),
      ]);
      if (!chunk || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    expect(text).toContain('data: {"jsonrpc":"2.0","method":"notifications/resources/list_changed"}');
  } finally {
    abort.abort();
  }
}, 30_000);

test('a draining server ends its listen streams with their final result', async () => {
  const onA = await listen(a, acmeKey);
  const stopping = a.stop();
  const final = await onA.next((message) => message.id === 'listen-1' && 'result' in message, 5_000);
  expect(final.result).toMatchObject({
    resultType: 'complete',
    _meta: { 'io.modelcontextprotocol/subscriptionId': 'listen-1' },
  });
  await onA.ended;
  await stopping;
}, 30_000);
