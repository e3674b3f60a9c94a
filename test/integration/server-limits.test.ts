import * as net from 'node:net';
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

describe('slow and too many clients', () => {
  let limited: ReferenceServer;

  beforeAll(async () => {
    limited = await server({ REQUEST_TIMEOUT_SECONDS: '2', MAX_CONNECTIONS: '16' });
  }, 60_000);

  /** A raw socket to the server, with everything it receives. */
  async function connect(): Promise<{ socket: net.Socket; received: () => string; closed: Promise<void> }> {
    const { hostname, port } = new URL(limited.url);
    const socket = net.connect({ host: hostname, port: Number(port) });
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
    });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return { socket, received: () => data, closed };
  }

  function head(length: number, keepAlive = true): string {
    return (
      `POST /mcp HTTP/1.1\r\nHost: mcp.test.example\r\nContent-Type: application/json\r\n` +
      `Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n` +
      `Authorization: Bearer ${keys[2]}\r\nContent-Length: ${length}\r\n` +
      `Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`
    );
  }

  test('a body that never finishes gets 408 and its socket closed within the request timeout', async () => {
    const { socket, received, closed } = await connect();
    const started = Date.now();
    socket.write(`${head(100)}{"jsonrpc":`);
    const outcome = await Promise.race([closed.then(() => 'closed'), sleep(15_000).then(() => 'open')]);
    expect(outcome).toBe('closed');
    expect(received()).toMatch(/^HTTP\/1\.1 408/);
    // 2 s, checked every second: well below Node's default of 300 s.
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);

  test('an idle keep-alive connection outlives the request timeout and serves its next request', async () => {
    const body = JSON.stringify(ping(5));
    const { socket, received } = await connect();
    socket.write(head(Buffer.byteLength(body)) + body);
    await eventually(() => received().includes('"id":5'), 5_000);
    await sleep(3_500);
    const again = JSON.stringify(ping(6));
    socket.write(head(Buffer.byteLength(again), false) + again);
    await eventually(() => received().includes('"id":6'), 5_000);
    socket.destroy();
  }, 30_000);

  test('connections beyond MAX_CONNECTIONS are closed at once; the ones it holds keep working', async () => {
    const held = await Promise.all(Array.from({ length: 16 }, () => connect()));
    const extra = await connect();
    const outcome = await Promise.race([extra.closed.then(() => 'closed'), sleep(5_000).then(() => 'open')]);
    expect(outcome).toBe('closed');
    const body = JSON.stringify(ping(7));
    const first = held[0] as Awaited<ReturnType<typeof connect>>;
    first.socket.write(head(Buffer.byteLength(body)) + body);
    await eventually(() => first.received().includes('"id":7'), 5_000);
    for (const connection of held) connection.socket.destroy();
  }, 30_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 50 ms until it holds, or fails after `timeoutMs`. */
async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}
