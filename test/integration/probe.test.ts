import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LABEL_VALUES } from '@mcpenv/contract';
import { apiKeyParts } from '../helpers/api-keys';
import { runCliAsync, runCliInProcess } from '../helpers/cli';
import { startEmbeddedServer, type TestServer } from '../helpers/embedded-server';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import { scrapeUntil } from '../helpers/metrics-scrape';
import { freePort } from '../helpers/ports';
import {
  type Certificate,
  localhostCertificate,
  type ProbeProcess,
  startProbeProcess,
  startTlsFront,
  type TlsFront,
} from '../helpers/probe';
import {
  type Backends,
  createApiKeys,
  type ReferenceServer,
  startBackends,
} from '../helpers/reference-server';

/**
 * `mcpenv probe` against the reference server on real Postgres and Redis with API keys: both
 * protocol generations, the ways a check fails (a revoked key, a stopped server, a refused Host,
 * an untrusted certificate), bad input, the embedded mode without a key, TLS through a loopback
 * TLS front with a certificate made here, and `--serve-metrics` as a pod runs it.
 */

// In-process commands load the MCP client on first use, and child processes start tsx: seconds.
jest.setTimeout(120_000);

let backends: Backends;
let server: ReferenceServer;
let dir: string;
let key: string;
let keyFile: string;
let revokedKey: string;
let revokedKeyFile: string;
let revokedKeys: { close(): Promise<void> } | undefined;

function writeFile(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  dir = tempDir('mcpenv-probe-');
  backends = await startBackends({ tenants: ['probe'] });
  key = backends.keys[0] as string;
  const created = await createApiKeys(backends.postgres.url, [{ tenant: 'probe' }]);
  revokedKeys = created;
  revokedKey = created.keys[0] as string;
  // Revoked before any server sees it, so no server-side cache holds it as live.
  expect(await created.store.revoke(apiKeyParts(revokedKey).id)).toBe(true);
  server = await backends.startServer();
  keyFile = writeFile('key', `${key}\n`);
  revokedKeyFile = writeFile('revoked-key', `${revokedKey}\n`);
}, 120_000);

afterAll(async () => {
  await revokedKeys?.close();
  await backends?.destroy();
  removeTempDirs();
});

/** Runs `mcpenv probe … --json` in this process; returns the exit code, the report and the raw output. */
async function probeJson(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const result = await runCliInProcess(['probe', ...args, '--json'], { env });
  // The report is the only thing on stdout; JSON.parse fails the test with the output otherwise.
  return { ...result, report: JSON.parse(result.stdout) as Record<string, unknown> };
}

/** The successful calls of a tool a server has counted. */
async function successfulCalls(url: string, tool: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(
    `^mcp_tool_executions_total\\{tool_name="${tool}",status="success"\\} (\\S+)$`,
    'm',
  ).exec(text);
  return Number(match?.[1] ?? 0);
}

const passedSteps = (steps: readonly string[]) =>
  steps.map((step) => ({ step, ok: true, seconds: expect.any(Number) }));

describe('against the reference server with API keys', () => {
  test.each([
    ['modern', '2026-07-28'],
    ['legacy', '2025-11-25'],
    ['auto', '2026-07-28'],
  ])(
    'passes (exit 0) with --protocol %s, negotiating %s, and calls a read-only tool',
    async (protocol, version) => {
      const before = await successfulCalls(server.url, 'memory_search');
      const result = await probeJson([server.url, '--api-key-file', keyFile, '--protocol', protocol]);
      expect(result.status).toBe(0);
      expect(result.report).toEqual({
        url: `${server.url}/mcp`,
        ok: true,
        protocolVersion: version,
        server: { name: 'mcpenv-test', version: '0.0.0' },
        tool: 'memory_search',
        steps: passedSteps(['handshake', 'tools/list', 'tools/call', 'total']),
        tls: null,
        failedStep: null,
      });
      expect(await successfulCalls(server.url, 'memory_search')).toBe(before + 1);
      expect(result.stdout + result.stderr).not.toContain(key);
    },
  );

  test('takes the key from MCP_PROBE_API_KEY, and reports in text: each step, what was negotiated, the verdict', async () => {
    const result = await runCliInProcess(['probe', server.url], { env: { MCP_PROBE_API_KEY: key } });
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      `probe ${server.url}/mcp`,
      expect.stringMatching(/^ {2}handshake +\d+ ms {2}ok$/),
      expect.stringMatching(/^ {2}tools\/list +\d+ ms {2}ok$/),
      expect.stringMatching(/^ {2}tools\/call +\d+ ms {2}ok$/),
      expect.stringMatching(/^ {2}total +\d+ ms$/),
      'protocol:    2026-07-28',
      'server:      mcpenv-test 0.0.0',
      'tool:        memory_search',
      'healthy',
    ]);
  });

  test('calls the tool named by --tool with --tool-arguments', async () => {
    const result = await probeJson([
      server.url,
      '--api-key-file',
      keyFile,
      '--tool',
      'memory_search',
      '--tool-arguments',
      '{"query":"runbook","limit":1}',
    ]);
    expect(result.status).toBe(0);
    expect(result.report).toMatchObject({ ok: true, tool: 'memory_search' });
  });

  test('fails (exit 1) at tools/call when --tool names a tool that is not read-only', async () => {
    const result = await probeJson([server.url, '--api-key-file', keyFile, '--tool', 'memory_store']);
    expect(result.status).toBe(1);
    expect(result.report).toMatchObject({ ok: false, failedStep: 'tools/call' });
    expect((result.report.steps as { error?: string }[])[2]?.error).toMatch(
      /^tool "memory_store" is not marked read-only/,
    );
  });

  test.each(['modern', 'legacy'])(
    'fails (exit 1) at the handshake with a revoked key, with --protocol %s: HTTP 401',
    async (protocol) => {
      const result = await probeJson([server.url, '--api-key-file', revokedKeyFile, '--protocol', protocol]);
      expect(result.status).toBe(1);
      expect(result.report).toMatchObject({
        ok: false,
        failedStep: 'handshake',
        protocolVersion: null,
        server: null,
      });
      expect(result.report.steps).toEqual([
        {
          step: 'handshake',
          ok: false,
          seconds: expect.any(Number),
          error: expect.stringMatching(/^HTTP 401 Unauthorized, JSON-RPC error -32001: Unauthorized: /),
        },
        { step: 'total', ok: false, seconds: expect.any(Number) },
      ]);
      expect(result.stdout + result.stderr).not.toContain(revokedKey);
    },
  );

  test('fails (exit 1) at the handshake once the server has stopped: connection refused', async () => {
    const stopped = await backends.startServer();
    await stopped.stop();
    const port = new URL(stopped.url).port;
    const result = await probeJson([stopped.url, '--api-key-file', keyFile]);
    expect(result.status).toBe(1);
    expect(result.report).toMatchObject({ ok: false, failedStep: 'handshake' });
    expect((result.report.steps as { error?: string }[])[0]?.error).toBe(
      `connection refused (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
  });

  test('fails (exit 1) at the handshake when the server refuses the Host: HTTP 403', async () => {
    // Bound to 127.0.0.2, the server allows its PUBLIC_URL's name and the loopback names, which
    // do not include the address the URL names.
    const elsewhere = await backends.startServer({ BIND_ADDRESS: '127.0.0.2' });
    expect(elsewhere.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    const result = await probeJson([elsewhere.url, '--api-key-file', keyFile]);
    expect(result.status).toBe(1);
    expect(result.report).toMatchObject({ ok: false, failedStep: 'handshake' });
    expect((result.report.steps as { error?: string }[])[0]?.error).toBe(
      'HTTP 403 Forbidden, JSON-RPC error -32000: Host "127.0.0.2" is not served here',
    );
  });

  test.each<[string, string[], RegExp]>([
    ['a bad flag', ['--protocol', 'newest'], /--protocol.*Allowed choices are auto, modern, legacy/],
    [
      'a missing key file',
      ['--api-key-file', '/nonexistent/mcpenv-probe/key'],
      /--api-key-file names a file that cannot be read \(no such file\): "\/nonexistent\/mcpenv-probe\/key"/,
    ],
  ])('exits 2 with %s, naming it, without calling the server', async (_case, flags, message) => {
    const before = await successfulCalls(server.url, 'memory_search');
    const result = await runCliInProcess(['probe', server.url, ...flags]);
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
    expect(await successfulCalls(server.url, 'memory_search')).toBe(before);
  });
});

describe('against the embedded mode, which needs no key', () => {
  let embedded: TestServer;

  beforeAll(async () => {
    embedded = await startEmbeddedServer();
  });

  afterAll(async () => {
    await embedded?.close();
    await embedded?.server.close();
    // The helper shares one PGlite per file; this file is done with it.
    await embedded?.db.close();
  });

  test('passes (exit 0) without a key', async () => {
    const result = await probeJson([embedded.url]);
    expect(result.status).toBe(0);
    expect(result.report).toMatchObject({ ok: true, protocolVersion: '2026-07-28', tool: 'memory_search' });
  });

  test('passes the same from the server package’s own binary, mcpenv-server', async () => {
    const result = await runCliAsync(['probe', embedded.url, '--json', '--protocol', 'legacy'], {
      script: 'server/bin.ts',
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, protocolVersion: '2025-11-25' });
  });
});

/** A reference server whose PUBLIC_URL is https://localhost:<front port>, behind a TLS front. */
async function startBehindTls(
  certificate: Certificate,
): Promise<{ front: TlsFront; target: ReferenceServer }> {
  const front = await startTlsFront(certificate);
  const target = await backends.startServer({ PUBLIC_URL: `https://localhost:${front.port}` });
  front.upstream = Number(new URL(target.url).port);
  return { front, target };
}

describe('over TLS, with a certificate no default CA trusts', () => {
  let certificate: Certificate;
  let front: TlsFront;
  let publicUrl: string;

  beforeAll(async () => {
    certificate = localhostCertificate(dir, 'tls');
    ({ front } = await startBehindTls(certificate));
    publicUrl = `https://localhost:${front.port}`;
  });

  afterAll(() => front?.close());

  const notAfter = () => new Date(new X509Certificate(certificate.pem).validTo).toISOString();

  test('passes (exit 0) with --ca-file, reporting the certificate’s expiry', async () => {
    const result = await probeJson([publicUrl, '--api-key-file', keyFile, '--ca-file', certificate.certFile]);
    expect(result.status).toBe(0);
    expect(result.report).toMatchObject({
      url: `${publicUrl}/mcp`,
      ok: true,
      protocolVersion: '2026-07-28',
      steps: passedSteps(['tls', 'handshake', 'tools/list', 'tools/call', 'total']),
      tls: { notAfter: notAfter(), daysLeft: expect.any(Number) },
    });
    expect((result.report.tls as { daysLeft: number }).daysLeft).toBeGreaterThanOrEqual(28);
  });

  test('passes (exit 0) with the certificate in NODE_EXTRA_CA_CERTS, in a process of its own', async () => {
    const result = await runCliAsync(['probe', publicUrl, '--json'], {
      env: { NODE_EXTRA_CA_CERTS: certificate.certFile, MCP_PROBE_API_KEY: key },
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, tls: { notAfter: notAfter() } });
  });

  test('fails (exit 1) at tls without the CA, naming the verification error and still showing the expiry', async () => {
    const result = await probeJson([publicUrl, '--api-key-file', keyFile]);
    expect(result.status).toBe(1);
    expect(result.report).toMatchObject({ ok: false, failedStep: 'tls', tls: { notAfter: notAfter() } });
    expect(result.report.steps).toEqual([
      {
        step: 'tls',
        ok: false,
        seconds: expect.any(Number),
        error:
          'certificate verification failed: DEPTH_ZERO_SELF_SIGNED_CERT ' +
          '(trust its CA with --ca-file or NODE_EXTRA_CA_CERTS)',
      },
      { step: 'total', ok: false, seconds: expect.any(Number) },
    ]);
  });
});

/** `promise`, or a rejection once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('--serve-metrics, as a pod runs it', () => {
  let certificate: Certificate;
  let front: TlsFront;
  let target: ReferenceServer;
  let probe: ProbeProcess;
  let metricsUrl: string;

  beforeAll(async () => {
    certificate = localhostCertificate(dir, 'serve-metrics');
    ({ front, target } = await startBehindTls(certificate));
    probe = startProbeProcess([
      `https://localhost:${front.port}`,
      '--api-key-file',
      keyFile,
      '--ca-file',
      certificate.certFile,
      '--serve-metrics',
      '--interval-seconds',
      '1',
      '--metrics-port',
      '0',
    ]);
    metricsUrl = String((await probe.line((line) => line.msg === 'probe metrics listening')).url);
  });

  afterAll(async () => {
    await probe?.destroy();
    await front?.close();
  });

  test('serves success 1, every step’s duration and the certificate’s expiry', async () => {
    const text = await scrapeUntil(metricsUrl, (body) => /^mcp_probe_success 1$/m.test(body), 60_000);
    for (const step of LABEL_VALUES.probeStep) {
      expect(text).toMatch(new RegExp(`^mcp_probe_duration_seconds\\{step="${step}"\\} [0-9.e-]+$`, 'm'));
    }
    const notAfterSeconds = Date.parse(new X509Certificate(certificate.pem).validTo) / 1000;
    expect(text).toMatch(new RegExp(`^mcp_probe_tls_not_after_timestamp_seconds ${notAfterSeconds}$`, 'm'));
    const health = await fetch(metricsUrl.replace(/\/metrics$/, '/healthz'));
    expect(health.status).toBe(200);
  });

  test('turns success to 0 after the server stops, dropping the steps that no longer run', async () => {
    await target.stop();
    const logged = probe.lines.length;
    // A run under way while the server stopped may fail at a later step; every run after it fails
    // at the handshake (the TLS front still answers), and the metrics show the last one.
    await probe.line((line, index) => index >= logged && line.failedStep === 'handshake');
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toMatch(/^mcp_probe_success 0$/m);
    expect(text).toMatch(/^mcp_probe_duration_seconds\{step="tls"\} /m);
    expect(text).toMatch(/^mcp_probe_duration_seconds\{step="handshake"\} /m);
    expect(text).toMatch(/^mcp_probe_duration_seconds\{step="total"\} /m);
    expect(text).not.toMatch(/step="tools\/list"|step="tools\/call"/);
    expect(text).toMatch(/^mcp_probe_tls_not_after_timestamp_seconds /m);
    expect(probe.lines.at(-1)).toMatchObject({ msg: 'probe failed at handshake', ok: false, level: 40 });
  });

  test('exits 0 promptly on SIGTERM, having logged one JSON line per run and never the key', async () => {
    probe.child.kill('SIGTERM');
    expect(await within(probe.exited, 15_000)).toBe(0);
    const runs = probe.lines.filter((line) => line.msg !== 'probe metrics listening');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const line of runs) expect(line).toMatchObject({ url: `https://localhost:${front.port}/mcp` });
    expect(probe.stdout()).not.toContain(key);
  });

  test('refuses a bad flag (exit 2) before serving anything', async () => {
    const port = await freePort();
    const result = await runCliInProcess([
      'probe',
      `https://localhost:${front.port}`,
      '--serve-metrics',
      '--metrics-port',
      String(port),
      '--interval-seconds',
      '0',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      '--interval-seconds must be a number of seconds from 1 to 86400 (got "0")',
    );
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
