import { type Backends, postMcp, type ReferenceServer, startBackends } from '../helpers/reference-server';

let backends: Backends;
let keys: readonly string[];

const ping = (id = 1) => ({ jsonrpc: '2.0', id, method: 'ping' });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const server = (env: Record<string, string>) => backends.startServer(env);

beforeAll(async () => {
  backends = await startBackends({ tenants: ['alpha', 'alpha', 'beta'] });
  keys = backends.keys;
}, 120_000);

afterAll(() => backends?.destroy());

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
    expect(text).toMatch(
      /mcp_requests_total\{method="ping",status="429",endpoint="\/mcp",protocol_version="2025-11-25"\} [1-9]/,
    );
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
    await backends.redis.stop();
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

  test('deny mode logs the outage once per 10 s, not once per rejected request', async () => {
    const before = closed.logs.length;
    for (let i = 0; i < 20; i++) {
      expect((await postMcp(closed.url, ping(i), bearer(keys[2] as string))).status).toBe(503);
    }
    const lines = closed.logs
      .slice(before)
      .filter((line) => String(line.msg).startsWith('rate limiter unavailable'));
    expect(lines.length).toBeLessThanOrEqual(1);
  });

  test('both recover by themselves once Redis is back', async () => {
    await backends.redis.start();
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
