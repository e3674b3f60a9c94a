import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { runCliInProcess } from '../helpers/cli';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import { freePort } from '../helpers/ports';

// The first in-process command of a file loads its libraries: seconds on a busy machine.
jest.setTimeout(60_000);

afterAll(removeTempDirs);

describe('mcpenv probe', () => {
  test('is listed in the help with its flags', async () => {
    const result = await runCliInProcess(['probe', '--help']);
    expect(result.status).toBe(0);
    for (const flag of [
      '--api-key-file',
      '--protocol',
      '--tool ',
      '--tool-arguments',
      '--timeout-seconds',
      '--ca-file',
      '--json',
      '--serve-metrics',
      '--interval-seconds',
      '--metrics-address',
      '--metrics-port',
    ]) {
      expect(result.stdout).toContain(flag);
    }
  });

  test.each<[string, string[], RegExp]>([
    ['a URL that is not http or https', ['ftp://mcp.example.com'], /<url> must be an http or https URL/],
    [
      'an unknown protocol generation',
      ['https://mcp.example.com', '--protocol', '2024'],
      /--protocol.*auto, modern, legacy/,
    ],
    ['an unknown flag', ['https://mcp.example.com', '--api-key', 'mcpk_x'], /unknown option '--api-key'/],
    [
      '--tool-arguments that are not a JSON object',
      ['https://mcp.example.com', '--tool-arguments', '[1,2]'],
      /--tool-arguments must be a JSON object/,
    ],
    [
      'a missing key file',
      ['https://mcp.example.com', '--api-key-file', '/nonexistent/probe-key'],
      /--api-key-file names a file that cannot be read \(no such file\): "\/nonexistent\/probe-key"/,
    ],
    [
      'a bad timeout',
      ['https://mcp.example.com', '--timeout-seconds', '0'],
      /--timeout-seconds must be a number/,
    ],
  ])('rejects %s with exit 2, naming it, before probing', async (_case, args, message) => {
    const result = await runCliInProcess(['probe', ...args]);
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
  });

  test('never shows the key of a key file it refuses', async () => {
    const file = path.join(tempDir('mcpenv-probe-cli-'), 'key');
    fs.writeFileSync(file, 'mcpk_0123456789abcdef_first\nmcpk_0123456789abcdef_second\n');
    const result = await runCliInProcess(['probe', 'https://mcp.example.com', '--api-key-file', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--api-key-file must name a file holding one API key on one line');
    expect(result.stderr).not.toContain('mcpk_');
  });

  test('fails (exit 1) at the handshake when nothing listens, saying connection refused', async () => {
    const port = await freePort();
    const result = await runCliInProcess(['probe', `http://127.0.0.1:${port}`, '--json']);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: false, failedStep: 'handshake', tls: null, protocolVersion: null });
    expect(report.steps[0]).toEqual({
      step: 'handshake',
      ok: false,
      seconds: expect.any(Number),
      error: `connection refused (connect ECONNREFUSED 127.0.0.1:${port})`,
    });
  });

  describe('against a server that never answers', () => {
    let silent: Server;

    beforeAll(async () => {
      silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });

    afterAll(
      () =>
        new Promise<void>((resolve) => {
          silent.close(() => resolve());
          silent.closeAllConnections();
        }),
    );

    test('fails the step in progress when --timeout-seconds runs out', async () => {
      const { port } = silent.address() as AddressInfo;
      const result = await runCliInProcess(['probe', `http://127.0.0.1:${port}`, '--timeout-seconds', '0.5']);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(
        /^ {2}handshake +\d+ ms {2}FAILED: timed out after 0\.5 s \(--timeout-seconds\)$/m,
      );
      expect(result.stdout.trim().split('\n').at(-1)).toBe(
        'failing at handshake: timed out after 0.5 s (--timeout-seconds)',
      );
    });
  });
});
