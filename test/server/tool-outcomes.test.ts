import { Writable } from 'node:stream';
import pino from 'pino';
import { z } from 'zod';
import { LocalCache } from '../../server/cache/cache';
import { LOG_THROTTLE_MS } from '../../server/log-throttle';
import { ToolInputError } from '../../server/store/memory-service';
import { MEMORY_TOOLS } from '../../server/tools/memory';
import { statusOfResult, statusOfThrown } from '../../server/tools/outcome';
import { defineTool, toolError } from '../../server/tools/tool';
import { startEmbeddedServer, type TestServer } from '../helpers/embedded-server';

/**
 * Whose fault a failed tool call is: the caller's (`client_error`) or the server's
 * (`server_error`). Only the server's faults reach the tool-error alert, so a client sending bad
 * input cannot page anyone, and a dependency failing cannot hide among bad input.
 */

/** What a Postgres client throws when the database is gone. */
function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
}

const storageDown = defineTool({
  name: 'storage_down',
  title: 'Storage down',
  description: 'Fails as a tool does whose database is unreachable.',
  inputSchema: { text: z.string().describe('Anything.') },
  async handler() {
    throw connectionRefused();
  },
});

const damagedCursor = defineTool({
  name: 'damaged_cursor',
  title: 'Damaged cursor',
  description: 'Refuses its input as the memory service refuses a damaged cursor.',
  inputSchema: {},
  async handler() {
    throw new ToolInputError('cursor is damaged: list again without it');
  },
});

describe('statusOfResult and statusOfThrown', () => {
  test('a result is a success, a tool error the caller’s fault', () => {
    expect(statusOfResult({ content: [] })).toBe('success');
    expect(statusOfResult(toolError('no memory with id x'))).toBe('client_error');
  });

  test('a ToolInputError is the caller’s fault, anything else thrown the server’s', () => {
    expect(statusOfThrown(new ToolInputError('cursor is damaged'))).toBe('client_error');
    expect(statusOfThrown(connectionRefused())).toBe('server_error');
    expect(statusOfThrown(new Error('Query read timeout'))).toBe('server_error');
    expect(statusOfThrown(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(
      'server_error',
    );
    expect(statusOfThrown('a string')).toBe('server_error');
  });
});

interface Answer {
  readonly isError: boolean;
  readonly text: string;
}

async function callTool(server: TestServer, name: string, args: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      'x-request-id': `req-${name}`,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  expect(res.status).toBe(200);
  const body = await res.text();
  const json = res.headers.get('content-type')?.startsWith('text/event-stream')
    ? body
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('')
    : body;
  const { result } = JSON.parse(json) as {
    result: { isError?: boolean; content: { text: string }[] };
  };
  return { isError: result.isError === true, text: result.content[0]?.text ?? '' };
}

/** `tool_name status` -> count, for every tool-call series. */
async function toolCounts(server: TestServer): Promise<Record<string, number>> {
  const text = await server.server.metrics.registry.metrics();
  const counts: Record<string, number> = {};
  for (const [, tool, status, value] of text.matchAll(
    /^mcp_tool_executions_total\{tool_name="([^"]+)",status="([^"]+)"\} (\S+)$/gm,
  )) {
    counts[`${tool} ${status}`] = Number(value);
  }
  return counts;
}

/** The calls every server below gets, and the status each must be counted under. */
const CALLS: readonly [string, string, Record<string, unknown>, string][] = [
  ['stores a memory', 'memory_store', { text: 'tool outcomes' }, 'success'],
  [
    'is asked for an unknown id',
    'memory_get',
    { id: '00000000-0000-4000-8000-000000000000' },
    'client_error',
  ],
  ['gets invalid arguments', 'memory_search', { query: '', extra: 1 }, 'client_error'],
  ['gets an argument Postgres cannot store', 'memory_store', { text: 'nul \u0000 byte' }, 'client_error'],
  ['refuses its input with a ToolInputError', 'damaged_cursor', {}, 'client_error'],
  ['loses its database', 'storage_down', { text: 'x' }, 'server_error'],
];

describe.each([
  ['the fast path', true],
  ['the SDK', false],
])('tool outcomes through %s', (_path, fastPath) => {
  let server: TestServer;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        done();
      },
    });
    server = await startEmbeddedServer({
      cache: new LocalCache(60),
      fastPath,
      logger: pino({ level: 'debug' }, stream),
      tools: [...MEMORY_TOOLS, storageDown, damagedCursor],
    });
  }, 120_000);

  afterAll(() => server?.close());

  test.each(CALLS)('a tool that %s is counted as its outcome', async (_story, name, args, status) => {
    const before = (await toolCounts(server))[`${name} ${status}`];
    const answer = await callTool(server, name, args);
    expect(answer.isError).toBe(status !== 'success');
    const after = await toolCounts(server);
    expect(after[`${name} ${status}`]).toBe((before ?? 0) + 1);
  });

  test('the caller reads what to fix in its own fault, and only a request id in the server’s', async () => {
    expect(await callTool(server, 'damaged_cursor', {})).toEqual({
      isError: true,
      text: 'cursor is damaged: list again without it',
    });
    const fault = await callTool(server, 'storage_down', { text: 'x' });
    expect(fault).toEqual({
      isError: true,
      text: 'storage_down failed on the server; request id req-storage_down',
    });
  });

  test('a server fault is logged at error with its cause, once per 10 s however often it repeats', async () => {
    const message = 'tool storage_down failed on the server';
    const from = logs.length;
    const started = Date.now();
    for (let i = 0; i < 5; i++) await callTool(server, 'storage_down', { text: 'x' });
    const written = logs.slice(from).filter((line) => line.msg === message);
    expect(written.length).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / LOG_THROTTLE_MS) + 1);
    expect(logs.find((line) => line.msg === message)).toMatchObject({
      level: 50,
      tool: 'storage_down',
      err: 'connect ECONNREFUSED 10.0.0.5:5432',
      code: 'ECONNREFUSED',
      requestId: 'req-storage_down',
    });
  });

  test('a client fault is logged at debug only', async () => {
    await callTool(server, 'damaged_cursor', {});
    await callTool(server, 'memory_search', { query: '' });
    const aboutClientFaults = logs.filter(
      (line) => line.tool === 'damaged_cursor' || (line.tool === 'memory_search' && line.msg !== 'request'),
    );
    expect(aboutClientFaults.length).toBeGreaterThanOrEqual(2);
    expect(new Set(aboutClientFaults.map((line) => line.level))).toEqual(new Set([20]));
  });
});
