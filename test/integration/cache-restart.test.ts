import { type PostgresServer, startPostgres } from '../helpers/postgres';
import { type RedisServer, startRedis } from '../helpers/redis';
import {
  callTool,
  createApiKeys,
  postMcp,
  type ReferenceServer,
  startReferenceServer,
} from '../helpers/reference-server';

/**
 * Redis restarted with its data kept (an append-only file), after one replica deleted a memory
 * while Redis was down: the other replica, whose cache still holds that memory from before,
 * must not serve it once Redis is back. No read after an acknowledged delete may be stale.
 */

let postgres: PostgresServer;
let redis: RedisServer;
let a: ReferenceServer;
let b: ReferenceServer;
let key: string;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis({ persistent: true })]);
  const keys = await createApiKeys(postgres.url, [{ tenant: 'acme' }]);
  key = keys.keys[0] as string;
  await keys.close();
  const urls = { databaseUrl: postgres.url, redisUrl: redis.url };
  a = await startReferenceServer(urls);
  b = await startReferenceServer(urls);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await Promise.allSettled([postgres?.destroy(), redis?.destroy()]);
}, 60_000);

const auth = () => ({ authorization: `Bearer ${key}` });

async function redisUp(server: ReferenceServer): Promise<boolean> {
  const body = (await (await fetch(`${server.url}/readyz`)).json()) as { checks: { redis: string } };
  return body.checks.redis === 'up';
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a memory deleted while Redis was down is not served from the cache of another replica after Redis restarts with its data', async () => {
  const stored = await postMcp(a.url, callTool('memory_store', { text: 'soon deleted: narwhal' }), auth());
  const id = stored.json.result.structuredContent.id as string;
  // B reads it twice: the second read is a cache hit, so the entry is in Redis.
  for (let i = 0; i < 2; i++) {
    const got = await postMcp(b.url, callTool('memory_get', { id }), auth());
    expect(got.json.result.structuredContent).toMatchObject({ id });
  }
  const searched = await postMcp(b.url, callTool('memory_search', { query: 'narwhal' }), auth());
  expect(searched.json.result.structuredContent.items).toHaveLength(1);

  await redis.stop();
  const deleted = await postMcp(a.url, callTool('memory_delete', { id }), auth());
  expect(deleted.json.result.structuredContent).toEqual({ deleted: true });
  await redis.start();
  await waitFor(async () => (await redisUp(a)) && (await redisUp(b)), 15_000);

  // Every read on B from here on, cache or not, must see the delete.
  for (let i = 0; i < 5; i++) {
    const got = await postMcp(b.url, callTool('memory_get', { id }), auth());
    expect(got.json.result.isError).toBe(true);
    const found = await postMcp(b.url, callTool('memory_search', { query: 'narwhal' }), auth());
    expect(found.json.result.structuredContent.items).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 60_000);
