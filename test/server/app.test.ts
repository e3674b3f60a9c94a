import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { METRIC_LIST } from '../../constructs/monitoring/catalogue';
import { createServer, type McpHttpServer } from '../../server/app';
import { allowedHostsFor } from '../../server/main';

let mcp: McpHttpServer;
let http: Server;
let base: string;

beforeAll(async () => {
  mcp = createServer({ logger: pino({ level: 'silent' }) });
  http = await new Promise<Server>((resolve) => {
    const listening = mcp.app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => http.close(resolve));
});

const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('reference server HTTP surface', () => {
  test('/healthz answers ok', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('every response carries a request id, echoing a well-formed incoming one', async () => {
    const own = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(own.headers.get('x-request-id')).toBe('abc-123');
    const bad = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'has spaces' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('rejects GET and DELETE on /mcp with 405 and a JSON-RPC error (the server is stateless)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${base}/mcp`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
    }
  });

  test('rejects a body that is not JSON with a JSON-RPC parse error', async () => {
    const res = await fetch(`${base}/mcp`, { method: 'POST', headers: mcpHeaders, body: '{nope' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: -32700 } });
  });

  test('/metrics exposes every catalogued metric with its help text, plus process defaults', async () => {
    await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: mcpHeaders,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const metric of METRIC_LIST) {
      expect(text).toContain(`# HELP ${metric.name} ${metric.help}`);
      expect(text).toContain(`# TYPE ${metric.name} ${metric.type}`);
    }
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toMatch(/mcp_requests_total\{method="ping",status="\d+",endpoint="\/mcp"\} 1/);
  });

  test('labels unknown JSON-RPC methods as "other" to keep cardinality bounded', async () => {
    await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: mcpHeaders,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x/'.repeat(20) }),
    });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/mcp_requests_total\{method="other",/);
    expect(text).not.toContain('x/x/');
  });

  test('/readyz turns 503 once draining starts', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    mcp.startDraining();
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'draining' });
  });
});

describe('Host allow-list', () => {
  let guarded: Server;
  let port: number;

  beforeAll(async () => {
    const server = createServer({ logger: pino({ level: 'silent' }), allowedHosts: ['mcp.example.com'] });
    guarded = await new Promise<Server>((resolve) => {
      const listening = server.app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    port = (guarded.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => guarded.close(resolve));
  });

  function request(path: string, host: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          method: path === '/mcp' ? 'POST' : 'GET',
          headers: { host, ...mcpHeaders },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(path === '/mcp' ? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) : undefined);
    });
  }

  test('rejects /mcp requests for another host with 403 (DNS-rebinding protection)', async () => {
    const res = await request('/mcp', 'attacker.example:80');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
  });

  test('serves /mcp for the allowed host', async () => {
    expect((await request('/mcp', 'mcp.example.com')).status).toBe(200);
  });

  test('still answers probes addressed to the pod IP', async () => {
    expect((await request('/healthz', '10.1.2.3:3000')).status).toBe(200);
    expect((await request('/readyz', '10.1.2.3:3000')).status).toBe(200);
  });
});

describe('allowedHostsFor', () => {
  const defaults = { port: 3000, logLevel: 'info', drainTimeoutSeconds: 25 } as const;

  test('a loopback bind accepts only the loopback names', () => {
    expect(allowedHostsFor({ ...defaults, bindAddress: '127.0.0.1' })).toEqual([
      'localhost',
      '127.0.0.1',
      '[::1]',
    ]);
  });

  test('a public URL adds its host name', () => {
    expect(
      allowedHostsFor({ ...defaults, bindAddress: '0.0.0.0', publicUrl: 'https://mcp.example.com' }),
    ).toEqual(['mcp.example.com']);
  });

  test('a non-loopback bind without a public URL has no list', () => {
    expect(allowedHostsFor({ ...defaults, bindAddress: '0.0.0.0' })).toBeUndefined();
  });
});
