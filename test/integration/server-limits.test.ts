import { type PostgresServer, startPostgres } from '../helpers/postgres';
import { type RedisServer, startRedis } from '../helpers/redis';
import {
  createApiKeys,
  postMcp,
  type ReferenceServer,
  startReferenceServer,
} from '../helpers/reference-server';

let postgres: PostgresServer;
let redis: RedisServer;
let keys: string[];
let closeKeys: () => Promise<void>;
const started: ReferenceServer[] = [];

const ping = (id = 1) => ({ jsonrpc: '2.0', id, method: 'ping' });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function server(env: Record<string, string>) {
  const instance = await startReferenceServer({ databaseUrl: postgres.url, redisUrl: redis.url }, env);
  started.push(instance);
  return instance;
}

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const created = await createApiKeys(postgres.url, [
    { tenant: 'alpha' },
    { tenant: 'alpha' },
    { tenant: 'beta' },
  ]);
  keys = created.keys;
  closeKeys = created.close;
}, 120_000);

afterAll(async () => {
  await Promise.all(started.map((instance) => instance.stop()));
  await closeKeys?.();
  await redis?.destroy();
  await postgres?.destroy();
});

describe('per-principal rate limits shared through Redis', () => {
  let a: ReferenceServer;
  let b: ReferenceServer;

  beforeAll(async () => {
    a = await server({ RATE_LIMIT_PER_MINUTE: '10' });
    b = await server({ RATE_LIMIT_PER_MINUTE: '10' });
  }, 60_000);

  test('two instances share one budget: the 11th request of a principal gets 429 on either', async () => {
    const key = keys[0] as string;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await postMcp(i % 2 === 0 ? a.url : b.url, ping(i), bearer(key));
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  test('a 429 carries Retry-After, RateLimit headers and a JSON-RPC error body', async () => {
    const res = await postMcp(a.url, ping(99), bearer(keys[0] as string));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(res.headers.get('ratelimit-policy')).toContain('10');
    expect(res.json).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: expect.stringContaining('Too many requests') },
    });
  });

  test('another principal of the same tenant keeps its own budget', async () => {
    expect((await postMcp(b.url, ping(), bearer(keys[1] as string))).status).toBe(200);
  });

  test('rejections are counted on the instance that made them', async () => {
    const text = await (await fetch(`${a.url}/metrics`)).text();
    expect(text).toMatch(/^mcp_rate_limit_rejections_total\{endpoint="\/mcp"\} [1-9]\d*$/m);
    expect(text).toMatch(/mcp_requests_total\{method="ping",status="429",endpoint="\/mcp"\} [1-9]/);
  });
});

describe('when Redis is down', () => {
  let open: ReferenceServer;
  let closed: ReferenceServer;

  beforeAll(async () => {
    open = await server({ RATE_LIMIT_PER_MINUTE: '1000', RATE_LIMIT_ON_REDIS_ERROR: 'allow' });
    closed = await server({ RATE_LIMIT_PER_MINUTE: '1000', RATE_LIMIT_ON_REDIS_ERROR: 'deny' });
    expect((await postMcp(open.url, ping(), bearer(keys[2] as string))).status).toBe(200);
    expect((await postMcp(closed.url, ping(), bearer(keys[2] as string))).status).toBe(200);
    await redis.stop();
  }, 60_000);

  test('RATE_LIMIT_ON_REDIS_ERROR=allow lets requests through (fail open)', async () => {
    for (let i = 0; i < 5; i++)
      expect((await postMcp(open.url, ping(i), bearer(keys[2] as string))).status).toBe(200);
  });

  test('RATE_LIMIT_ON_REDIS_ERROR=deny answers 503 with Retry-After and a JSON-RPC body (fail closed)', async () => {
    const res = await postMcp(closed.url, ping(), bearer(keys[2] as string));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
  });

  test('both recover by themselves once Redis is back', async () => {
    await redis.start();
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await postMcp(closed.url, ping(), bearer(keys[2] as string))).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status).toBe(200);
    expect((await postMcp(open.url, ping(), bearer(keys[2] as string))).status).toBe(200);
  }, 30_000);
});
