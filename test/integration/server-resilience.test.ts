import * as path from 'node:path';
import { LOG_THROTTLE_MS } from '../../server/log-throttle';
import {
  type Backends,
  callTool,
  postMcp,
  type ReferenceServer,
  startBackends,
} from '../helpers/reference-server';
import { startServerProcess } from '../helpers/server-process';

let backends: Backends;
let server: ReferenceServer;
let key: string;

const auth = () => ({ authorization: `Bearer ${key}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readyz(url: string) {
  const res = await fetch(`${url}/readyz`);
  return {
    status: res.status,
    body: (await res.json()) as { status: string; checks: Record<string, unknown> },
  };
}

/** Polls until `check` passes or the deadline passes; returns whether it passed. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(200);
  }
  return false;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
}

/** Tool calls counted under `status`, summed over the tools. */
async function toolCalls(url: string, status: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [
    ...text.matchAll(
      new RegExp(`^mcp_tool_executions_total\\{[^}]*status="${status}"[^}]*\\} (\\S+)$`, 'gm'),
    ),
  ]
    .map((match) => Number(match[1]))
    .reduce((total, value) => total + value, 0);
}

beforeAll(async () => {
  backends = await startBackends({ tenants: ['ops'] });
  key = backends.keys[0] as string;
  server = await backends.startServer({
    RATE_LIMIT_PER_MINUTE: '100000',
    PG_CONNECT_TIMEOUT_MS: '1000',
    REDIS_COMMAND_TIMEOUT_MS: '200',
  });
}, 120_000);

afterAll(() => backends?.destroy());

/**
 * A bounded load loop: `workers` concurrent clients storing and reading back memories until
 * `stop()` is called or `maxIterations` each; returns every response's outcome.
 */
function runLoad(workers: number, maxIterations: number) {
  let stopped = false;
  const outcomes: { ok: boolean; status: number; acknowledgedId?: string; errorText?: string }[] = [];
  const errorText = (json: { result?: { isError?: boolean; content?: { text?: string }[] } } | undefined) =>
    json?.result?.isError === true ? { errorText: json.result.content?.[0]?.text ?? '' } : {};
  const done = Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; i < maxIterations && !stopped; i++) {
        const stored = await postMcp(
          server.url,
          callTool('memory_store', { text: `load ${worker}-${i} resilience` }),
          auth(),
        );
        const id =
          stored.json?.result?.isError === false || stored.json?.result?.structuredContent?.id
            ? (stored.json.result.structuredContent.id as string)
            : undefined;
        outcomes.push({
          ok: stored.status === 200 && id !== undefined,
          status: stored.status,
          ...(id ? { acknowledgedId: id } : {}),
          ...errorText(stored.json),
        });
        const searched = await postMcp(
          server.url,
          callTool('memory_search', { query: 'resilience', limit: 5 }),
          auth(),
        );
        outcomes.push({
          ok: searched.status === 200 && searched.json?.result?.isError !== true,
          status: searched.status,
          ...errorText(searched.json),
        });
      }
    }),
  );
  return {
    outcomes,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

describe('Redis stopped under load', () => {
  test('the server keeps answering, /readyz reports it, and it recovers by itself', async () => {
    const load = runLoad(4, 400);
    await sleep(500);
    const logsBefore = server.logs.length;
    await backends.redis.stop();
    const stoppedAt = Date.now();
    await sleep(1500);

    const degraded = await readyz(server.url);
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ status: 'degraded', checks: { redis: 'down', postgres: 'up' } });
    expect(await metric(server.url, 'mcp_redis_up')).toBe(0);

    await backends.redis.start();
    const recovered = await eventually(
      async () => (await readyz(server.url)).body.status === 'ready',
      15_000,
    );
    await load.stop();

    expect(recovered).toBe(true);
    expect(await metric(server.url, 'mcp_redis_up')).toBe(1);
    const failures = load.outcomes.filter((outcome) => !outcome.ok);
    expect({ failures: failures.length, total: load.outcomes.length }).toEqual({
      failures: 0,
      total: load.outcomes.length,
    });
    expect(load.outcomes.length).toBeGreaterThan(20);
    // Every store during the outage deferred its invalidation, but the log says so once per
    // 10 s, with how many it held back, not once per write.
    const deferred = server.logs
      .slice(logsBefore)
      .filter((line) => line.msg === 'cache invalidation deferred until Redis answers');
    expect(deferred.length).toBeGreaterThan(0);
    expect(deferred.length).toBeLessThanOrEqual(Math.ceil((Date.now() - stoppedAt) / 10_000) + 1);
  }, 60_000);

  test('after Redis returns, reads see writes made while it was down', async () => {
    await backends.redis.stop();
    const stored = await postMcp(
      server.url,
      callTool('memory_store', { text: 'written while redis was down: okapi' }),
      auth(),
    );
    expect(stored.json.result.isError).toBeFalsy();
    await backends.redis.start();
    await eventually(async () => (await readyz(server.url)).body.status === 'ready', 15_000);
    const found = await postMcp(server.url, callTool('memory_search', { query: 'okapi' }), auth());
    expect(found.json.result.structuredContent.items).toHaveLength(1);
  }, 60_000);
});

describe('Postgres restarted', () => {
  test('/readyz is false meanwhile and no acknowledged memory_store is lost', async () => {
    const before = {
      server: await toolCalls(server.url, 'server_error'),
      client: await toolCalls(server.url, 'client_error'),
    };
    const logsBefore = server.logs.length;
    const load = runLoad(3, 300);
    await sleep(500);
    const stoppedAt = Date.now();
    await backends.postgres.stop();
    const notReady = await eventually(async () => {
      const report = await readyz(server.url);
      return report.status === 503 && report.body.checks.postgres === 'down';
    }, 10_000);
    expect(notReady).toBe(true);
    expect(await metric(server.url, 'mcp_postgres_up')).toBe(0);
    await sleep(1000);
    await backends.postgres.start();
    const ready = await eventually(async () => (await readyz(server.url)).status === 200, 20_000);
    await sleep(500);
    await load.stop();
    expect(ready).toBe(true);

    // Every call Postgres failed is counted as the server's fault, none as the caller's, and its
    // answer names the request id but not the cause.
    const failed = load.outcomes.filter((outcome) => outcome.errorText !== undefined);
    expect(failed.length).toBeGreaterThan(0);
    expect({
      server: (await toolCalls(server.url, 'server_error')) - before.server,
      client: (await toolCalls(server.url, 'client_error')) - before.client,
    }).toEqual({ server: failed.length, client: 0 });
    for (const { errorText } of failed) {
      expect(errorText).toMatch(/^memory_(store|search) failed on the server; request id [\w.-]+$/);
    }
    // The server's log has the cause, at error, one line per tool per 10 s.
    const faults = server.logs
      .slice(logsBefore)
      .filter((line) => /^tool memory_\w+ failed on the server$/.test(String(line.msg)));
    expect(faults.length).toBeGreaterThan(0);
    expect(faults.every((line) => line.level === 50 && typeof line.err === 'string')).toBe(true);
    const windows = Math.ceil((Date.now() - stoppedAt) / LOG_THROTTLE_MS) + 1;
    expect(faults.length).toBeLessThanOrEqual(2 * windows);

    const acknowledged = load.outcomes.flatMap((outcome) =>
      outcome.acknowledgedId ? [outcome.acknowledgedId] : [],
    );
    expect(acknowledged.length).toBeGreaterThan(5);
    for (const id of acknowledged) {
      const got = await postMcp(server.url, callTool('memory_get', { id }), auth());
      expect({ id, found: got.json?.result?.structuredContent?.id === id }).toEqual({ id, found: true });
    }
    // Failed calls during the outage were reported as failures, never as a 500 from the HTTP layer.
    expect(load.outcomes.filter((outcome) => outcome.status >= 500)).toEqual([]);
  }, 90_000);
});

describe('SIGTERM with requests in flight', () => {
  test('every in-flight request completes, /readyz turns 503, and the process exits 0', async () => {
    const child = await startServerProcess(
      {
        DATABASE_URL: backends.postgres.url,
        REDIS_URL: backends.redis.url,
        PUBLIC_URL: 'https://mcp.test.example',
        MIGRATE_ON_START: 'true',
        // The load tests above spent this key's budget in the shared Redis counters.
        RATE_LIMIT_PER_MINUTE: '100000',
        SHUTDOWN_DELAY_SECONDS: '1',
        SHUTDOWN_DRAIN_SECONDS: '15',
        LOG_LEVEL: 'info',
      },
      60_000,
      [path.join(__dirname, '..', 'fixtures', 'slow-server.ts')],
    );
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      postMcp(child.url, callTool('wait', { ms: 1500 }, i + 1), auth()),
    );
    await sleep(300);
    const exited = child.stop();
    await sleep(200);
    expect((await readyz(child.url)).status).toBe(503);

    const results = await Promise.all(inFlight);
    expect(results.map((res) => res.status)).toEqual(Array(20).fill(200));
    expect(results.map((res) => res.json.result.structuredContent)).toEqual(Array(20).fill({ waited: 1500 }));
    expect(await exited).toBe(0);
    await expect(fetch(`${child.url}/healthz`)).rejects.toThrow();
    expect(child.logs.map((entry) => entry.msg)).toEqual(expect.arrayContaining(['draining', 'stopped']));
    // The drain ended with the last request, not by force at the timeout.
    expect(child.logs.map((entry) => entry.msg)).not.toContain(
      'drain timeout reached: closing remaining connections',
    );
  }, 90_000);
});
