import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { Client } from 'pg';
import {
  type BuiltServer,
  bundleServer,
  jsonRpcMessages,
  minimalEnv,
  startBuiltServer,
} from '../helpers/production-build';
import { type Backends, callTool, MCP_HEADERS, PUBLIC_URL, startBackends } from '../helpers/reference-server';

// A SIGTERM in the middle of a bounded load on the built server (plain Node, real Postgres and
// Redis), as Kubernetes delivers it: the pod's endpoint is removed while the server drains, and
// new connections keep arriving for a while after SIGTERM (here for longer than the server's
// delay). A request fails unless it gets a complete answer; a connect refused before any byte
// went out is not a failed request (the client can retry elsewhere), but a reset after the
// request went out is: the client cannot know whether the server acted on it. Closing the
// listener while connections still arrive resets those in the kernel's accept queue, so the
// server must keep accepting until they stop: no connect may be refused either.

const DELAY_SECONDS = 1;
/** When new connections stop coming after SIGTERM: later than the delay, as with a slow load balancer. */
const ENDPOINT_REMOVED_AFTER_MS = (DELAY_SECONDS + 1.5) * 1000;
const KEEP_ALIVE_WORKERS = 4;
const FRESH_CONNECTION_WORKERS = 4;
/** Bounds on the load, whatever the timing: requests per worker, and answers before SIGTERM. */
const MAX_REQUESTS_PER_WORKER = 2_000;
const ANSWERS_BEFORE_SIGTERM = 200;
const REQUEST_TIMEOUT_MS = 15_000;

interface Outcome {
  readonly worker: string;
  readonly tool: 'memory_store' | 'tools/list';
  /** The connection was open (newly connected or reused) when the request went out. */
  connected: boolean;
  /** The whole request was handed to the kernel. */
  sent: boolean;
  status?: number;
  /** The response's Connection header. */
  connection?: string;
  /** For an answered memory_store: the id the server acknowledged. */
  storedId?: string;
  answered: boolean;
  error?: string;
}

/** Refused before any byte went out: the listener was closed; a client may retry elsewhere. */
const refused = (outcome: Outcome) =>
  !outcome.connected && !outcome.sent && outcome.error?.startsWith('ECONNREFUSED') === true;

/** Sends one JSON-RPC request on `agent` (a new connection when false) and records what happened. */
function send(
  url: URL,
  agent: http.Agent | false,
  key: string,
  outcome: Outcome,
  body: Record<string, unknown>,
): Promise<Outcome> {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const request = http.request({
      host: url.hostname,
      port: url.port,
      path: '/mcp',
      method: 'POST',
      agent,
      headers: {
        ...MCP_HEADERS,
        authorization: `Bearer ${key}`,
        'content-length': Buffer.byteLength(payload),
      },
    });
    const fail = (error: NodeJS.ErrnoException) => {
      outcome.error = `${error.code ?? ''} ${error.message}`.trim();
      resolve(outcome);
    };
    request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error('no answer in time')));
    request.on('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => (outcome.connected = true));
      else outcome.connected = true;
    });
    request.on('finish', () => (outcome.sent = true));
    request.on('error', fail);
    request.on('response', (response) => {
      outcome.status = response.statusCode;
      outcome.connection = response.headers.connection;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('error', fail);
      response.on('end', () => {
        try {
          const [message] = jsonRpcMessages(response.headers['content-type'] ?? '', text) as {
            result?: { tools?: unknown[]; structuredContent?: { id?: string } };
          }[];
          const stored = message?.result?.structuredContent?.id;
          if (stored !== undefined) outcome.storedId = stored;
          outcome.answered =
            response.statusCode === 200 &&
            (outcome.tool === 'memory_store'
              ? stored !== undefined
              : (message?.result?.tools?.length ?? 0) > 0);
        } catch {
          outcome.answered = false;
        }
        resolve(outcome);
      });
    });
    request.end(payload);
  });
}

/** A GET on a new connection; the status, or undefined if it failed. */
function getStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: 5_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

let backends: Backends;
let bundleDir: string;
let server: BuiltServer | undefined;

beforeAll(async () => {
  backends = await startBackends({ tenants: ['drain'] });
  bundleDir = bundleServer();
}, 120_000);

afterAll(async () => {
  server?.kill();
  fs.rmSync(bundleDir, { recursive: true, force: true });
  await backends?.destroy();
});

test('a SIGTERM under load fails no request, and every acknowledged memory_store is in Postgres', async () => {
  const key = backends.keys[0] as string;
  server = await startBuiltServer(
    bundleDir,
    path.join('server', 'bin.js'),
    minimalEnv({
      NODE_ENV: 'production',
      DATABASE_URL: backends.postgres.url,
      REDIS_URL: backends.redis.url,
      PUBLIC_URL,
      RATE_LIMIT_PER_MINUTE: '1000000',
      SHUTDOWN_DELAY_SECONDS: String(DELAY_SECONDS),
      SHUTDOWN_DRAIN_SECONDS: '10',
    }),
    60_000,
  );
  const running = server;
  const url = new URL(running.url);
  const outcomes: Outcome[] = [];
  let answered = 0;
  let endpointRemoved = false;
  let reachedSigtermPoint: () => void = () => undefined;
  const sigtermPoint = new Promise<void>((resolve) => (reachedSigtermPoint = resolve));

  const worker = async (name: string, keepAlive: boolean) => {
    const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
    let reusable = false;
    for (let i = 0; i < MAX_REQUESTS_PER_WORKER; i++) {
      // Once the endpoint is gone, only connections already open still carry requests.
      if (endpointRemoved && !reusable) break;
      const tool = i % 2 === 0 ? 'memory_store' : 'tools/list';
      const outcome: Outcome = { worker: name, tool, connected: false, sent: false, answered: false };
      outcomes.push(outcome);
      await send(
        url,
        agent,
        key,
        outcome,
        tool === 'memory_store'
          ? callTool('memory_store', { text: `drain ${name} ${i}`, tags: ['drain'] }, i + 1)
          : { jsonrpc: '2.0', id: i + 1, method: 'tools/list' },
      );
      reusable = keepAlive && outcome.answered && outcome.connection === 'keep-alive';
      if (outcome.answered && ++answered >= ANSWERS_BEFORE_SIGTERM) reachedSigtermPoint();
      // A refused connect means the listener is closed: nothing more to send here.
      if (refused(outcome)) break;
    }
    if (agent) agent.destroy();
  };
  const load = Promise.all([
    ...Array.from({ length: KEEP_ALIVE_WORKERS }, (_, i) => worker(`keep-alive ${i}`, true)),
    ...Array.from({ length: FRESH_CONNECTION_WORKERS }, (_, i) => worker(`new connection ${i}`, false)),
  ]);

  // A request whose headers the server read before SIGTERM and whose body comes after it: its
  // answer must close the connection too.
  const slow: { status?: number; connection?: string } = {};
  const slowBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
  const slowRequest = http.request({
    host: url.hostname,
    port: url.port,
    path: '/mcp',
    method: 'POST',
    agent: new http.Agent({ keepAlive: true }),
    headers: {
      ...MCP_HEADERS,
      authorization: `Bearer ${key}`,
      'content-length': Buffer.byteLength(slowBody),
      expect: '100-continue',
    },
  });
  const slowAnswered = new Promise<void>((resolve, reject) => {
    slowRequest.on('error', reject);
    slowRequest.on('response', (response) => {
      slow.status = response.statusCode;
      slow.connection = response.headers.connection;
      response.resume();
      response.on('end', resolve);
    });
  });
  // The server answers 100 Continue as it hands the request to its handlers.
  const continued = new Promise<void>((resolve) => slowRequest.once('continue', resolve));

  await Promise.race([
    Promise.all([sigtermPoint, continued]),
    load.then(() => {
      throw new Error('the load ended before SIGTERM');
    }),
  ]);
  const exited = running.stop(30_000);
  const removal = new Promise<void>((resolve) =>
    setTimeout(() => {
      endpointRemoved = true;
      resolve();
    }, ENDPOINT_REMOVED_AFTER_MS),
  );
  // Draining has begun once /readyz says so (asked on new connections, which are still accepted).
  let readiness: number | undefined;
  for (let attempt = 0; attempt < 50 && readiness !== 503; attempt++) {
    readiness = await getStatus(`${running.url}/readyz`);
    if (readiness !== 503) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(readiness).toBe(503);
  slowRequest.end(slowBody);
  await slowAnswered;
  await Promise.all([load, removal]);
  const exitCode = await exited;

  const afterSigterm = outcomes.filter((o) => o.answered && o.connection === 'close');
  const failed = outcomes.filter((o) => !o.answered && !refused(o));
  const acknowledged = outcomes.flatMap((o) => (o.storedId ? [o.storedId] : []));
  process.stderr.write(
    `SIGTERM under load: ${outcomes.length} requests, ${outcomes.filter((o) => o.answered).length} answered ` +
      `(${afterSigterm.length} with Connection: close), ${outcomes.filter(refused).length} refused before sending, ` +
      `${failed.length} failed; ${acknowledged.length} memories acknowledged\n`,
  );

  expect(failed).toEqual([]);
  // Each connection was opened before the endpoint was removed; the listener stayed open for all.
  expect(outcomes.filter(refused)).toEqual([]);
  expect(afterSigterm.length).toBeGreaterThan(0);
  expect(slow).toEqual({ status: 200, connection: 'close' });
  expect(exitCode).toBe(0);
  const messages = running.logs.map((entry) => entry.msg);
  expect(messages).toEqual(expect.arrayContaining(['draining', 'stopped accepting connections', 'stopped']));
  expect(messages).not.toContain('drain timeout reached: closing remaining connections');

  const db = new Client({ connectionString: backends.postgres.url });
  await db.connect();
  try {
    const stored = await db.query<{ id: string }>(
      'SELECT id FROM memories WHERE tenant = $1 AND id = ANY($2::uuid[])',
      ['drain', acknowledged],
    );
    expect(stored.rows.map((row) => row.id).sort()).toEqual([...acknowledged].sort());
  } finally {
    await db.end();
  }
}, 90_000);
