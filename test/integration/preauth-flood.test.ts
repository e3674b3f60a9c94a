/**
 * Clients without valid credentials cost the server neither parsing nor Postgres: while 1 MiB
 * bodies of nested `[` arrive without a key, `/healthz` stays within 3× of its idle latency
 * (both measured here, in the same run), and refusals past the per-address budget are 429,
 * on every replica sharing the Redis.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { nodeBin } from '../helpers/production-build';
import { CONFORMANCE_NODE_VERSION } from '../helpers/conformance';
import {
  type Backends,
  MCP_HEADERS,
  postMcp,
  type ReferenceServer,
  startBackends,
} from '../helpers/reference-server';

const BUDGET = 20;
const FLOOD_BODIES = 150;
const BURSTS = 6;
/**
 * The pace of the flood: the rate of the attack this answers (60 bodies of about 270 ms of parsing
 * each, unauthenticated, took /healthz from 9 ms to 660 ms), and slow enough that the flooding
 * process does not compete with the server for the CPU on a 2-core machine.
 */
const BODIES_PER_SECOND = 60;
const ONE_MIB = 1024 * 1024;

let backends: Backends;
let a: ReferenceServer;
let b: ReferenceServer;

beforeAll(async () => {
  backends = await startBackends({ tenants: ['alpha'] });
  // One proxy hop is trusted, so each scenario below speaks for a client address of its own.
  const env = { TRUST_PROXY_HOPS: '1', AUTH_FAILURES_PER_MINUTE: String(BUDGET) };
  a = await backends.startServer(env);
  b = await backends.startServer(env);
}, 120_000);

afterAll(() => backends?.destroy());

async function healthLatencyMs(url: string): Promise<number> {
  const started = process.hrtime.bigint();
  const res = await fetch(`${url}/healthz`);
  await res.text();
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** Waits, if need be, until at least `ms` are left in the current one-minute budget window. */
async function windowWithRoom(ms: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < ms) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

test('health latency under a flood of unauthenticated 1 MiB bodies stays within 3× of idle; refusals are limited', async () => {
  const flooder = spawn(
    path.join(nodeBin(CONFORMANCE_NODE_VERSION), 'node'),
    [
      path.join(__dirname, '..', 'helpers', 'flood.js'),
      `${a.url}/mcp`,
      String(BODIES_PER_SECOND),
      String(ONE_MIB),
      JSON.stringify({ ...MCP_HEADERS, 'x-forwarded-for': '203.0.113.7' }),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'], detached: true },
  );
  const bursts = readline.createInterface({ input: flooder.stdout });
  const burstDone = () =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('a flood burst took over 60 s')), 60_000);
      bursts.once('line', (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, number>);
      });
    });
  const idle: number[] = [];
  const loaded: number[] = [];
  const counts: Record<string, number> = {};
  try {
    for (let i = 0; i < 10; i++) await healthLatencyMs(a.url);
    // Idle and flooded stretches alternate, so both see the same background load on the machine.
    for (let round = 0; round < BURSTS; round++) {
      const started = Date.now();
      flooder.stdin.write(`${FLOOD_BODIES / BURSTS}\n`);
      const done = burstDone();
      let finished = false;
      void done.then(
        () => (finished = true),
        () => (finished = true),
      );
      while (!finished && loaded.length < 5000) loaded.push(await healthLatencyMs(a.url));
      for (const [status, n] of Object.entries(await done)) counts[status] = (counts[status] ?? 0) + n;
      const floodedMs = Date.now() - started;
      const quietUntil = Date.now() + Math.max(200, floodedMs);
      while (Date.now() < quietUntil && idle.length < 5000) idle.push(await healthLatencyMs(a.url));
    }
  } finally {
    flooder.stdin.end();
    if (flooder.pid && flooder.exitCode === null) process.kill(-flooder.pid, 'SIGKILL');
  }

  const ratio = median(loaded) / median(idle);
  process.stdout.write(
    `healthz p50 idle ${median(idle).toFixed(2)} ms (${idle.length} probes), under the flood ` +
      `${median(loaded).toFixed(2)} ms (${loaded.length} probes): ratio ${ratio.toFixed(2)}; ` +
      `flood answers ${JSON.stringify(counts)}\n`,
  );
  expect(loaded.length).toBeGreaterThanOrEqual(BURSTS);
  expect(ratio).toBeLessThanOrEqual(3);
  // Within the budget every body is read and answered 401. Past it the answer is 429 and the
  // connection closes without reading the rest, so the flooder may see its write fail instead.
  // A window boundary during the flood can give the address a second budget, never more.
  const { '401': unauthorized = 0, '429': limited = 0, ...broken } = counts;
  expect(Object.keys(broken).filter((outcome) => !/^error:(EPIPE|ECONNRESET)$/.test(outcome))).toEqual([]);
  expect(unauthorized).toBeGreaterThanOrEqual(BUDGET);
  expect(unauthorized).toBeLessThanOrEqual(2 * BUDGET);
  expect(limited).toBeGreaterThan(0);
  expect(Object.values(counts).reduce((sum, n) => sum + n, 0)).toBe(FLOOD_BODIES);
}, 180_000);

test('the budget is shared through Redis: past it on one replica, the other refuses at its first failure', async () => {
  await windowWithRoom(20_000);
  const from = (address: string, key?: string): Record<string, string> => ({
    'x-forwarded-for': address,
    ...(key ? { authorization: `Bearer ${key}` } : {}),
  });
  const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
  const good = backends.keys[0] as string;
  // Used on A before, so A knows it is good.
  expect((await postMcp(a.url, ping, from('198.51.100.9', good))).status).toBe(200);

  const madeUp = (i: number) => `mcpk_${i.toString(16).padStart(16, '0')}_${'Z'.repeat(43)}`;
  const statuses: number[] = [];
  for (let i = 0; i < BUDGET; i++)
    statuses.push((await postMcp(a.url, ping, from('198.51.100.9', madeUp(i)))).status);
  expect(statuses).toEqual(Array(BUDGET).fill(401));

  const onB = await postMcp(b.url, ping, from('198.51.100.9'));
  expect(onB.status).toBe(429);
  expect(Number(onB.headers.get('retry-after'))).toBeGreaterThan(0);
  // B now answers the address from memory, even for a good key it has not checked yet.
  expect((await postMcp(b.url, ping, from('198.51.100.9', good))).status).toBe(429);
  // A, which knows the key, still lets it through; another address is not affected.
  expect((await postMcp(a.url, ping, from('198.51.100.9', good))).status).toBe(200);
  expect((await postMcp(b.url, ping, from('198.51.100.10', good))).status).toBe(200);
  expect((await postMcp(b.url, ping, from('198.51.100.10'))).status).toBe(401);
}, 60_000);
