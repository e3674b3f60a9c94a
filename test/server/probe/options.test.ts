import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../server/config';
import {
  parseProbeFlags,
  parseToolArguments,
  probeUrl,
  readApiKey,
  readCaFile,
} from '../../../server/probe/options';
import { removeTempDirs, tempDir } from '../../helpers/fixtures';

const KEY = 'mcpk_0123456789abcdef_secret-part-of-the-key';

let dir: string;
beforeAll(() => {
  dir = tempDir('mcpenv-probe-options-');
});
afterAll(removeTempDirs);

function file(name: string, content: string): string {
  const target = path.join(dir, name);
  fs.writeFileSync(target, content);
  return target;
}

/** The ConfigError `run` throws (exit code 2). */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('the probe URL', () => {
  test.each([
    ['https://mcp.example.com', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com/', 'https://mcp.example.com/mcp'],
    ['http://127.0.0.1:3000', 'http://127.0.0.1:3000/mcp'],
    ['https://mcp.example.com/custom/mcp', 'https://mcp.example.com/custom/mcp'],
    ['https://mcp.example.com/mcp#fragment', 'https://mcp.example.com/mcp'],
    ['HTTPS://MCP.Example.com:443', 'https://mcp.example.com/mcp'],
    ['http://[::1]:8080', 'http://[::1]:8080/mcp'],
  ])('%s becomes %s', (input, expected) => {
    expect(probeUrl(input).href).toBe(expected);
  });

  test.each(['ftp://mcp.example.com', 'mcp.example.com', 'ws://mcp.example.com', 'file:///etc/passwd', ''])(
    'rejects %j, naming the argument and the rule',
    (input) => {
      expect(configError(() => probeUrl(input)).message).toBe(
        `<url> must be an http or https URL such as https://mcp.example.com (got ${JSON.stringify(input)})`,
      );
    },
  );

  test('rejects credentials in the URL without echoing them', () => {
    const message = configError(() => probeUrl('https://user:hunter2@mcp.example.com')).message;
    expect(message).toContain('<url> must not carry credentials');
    expect(message).toContain('--api-key-file or MCP_PROBE_API_KEY');
    expect(message).not.toContain('hunter2');
  });
});

describe('the API key', () => {
  test('comes from --api-key-file, less one trailing newline', () => {
    expect(readApiKey(file('key', `${KEY}\n`), {})).toBe(KEY);
  });

  test('comes from the file before MCP_PROBE_API_KEY', () => {
    expect(readApiKey(file('key-first', KEY), { MCP_PROBE_API_KEY: 'mcpk_other' })).toBe(KEY);
  });

  test('comes from MCP_PROBE_API_KEY without a file, and is absent without either', () => {
    expect(readApiKey(undefined, { MCP_PROBE_API_KEY: KEY })).toBe(KEY);
    expect(readApiKey(undefined, { MCP_PROBE_API_KEY: '' })).toBeUndefined();
    expect(readApiKey(undefined, {})).toBeUndefined();
  });

  test('rejects a missing file, naming the flag and the path', () => {
    const missing = path.join(dir, 'no-such-key');
    expect(configError(() => readApiKey(missing, {})).message).toBe(
      `--api-key-file names a file that cannot be read (no such file): "${missing}"; correct the path or mount the key there`,
    );
  });

  test('rejects a folder in place of the file', () => {
    expect(configError(() => readApiKey(dir, {})).message).toMatch(
      /^--api-key-file names a file that cannot be read \(it is a directory\)/,
    );
  });

  test.each(['', '\n'])('rejects an empty file (%j), naming the flag and the path', (content) => {
    const empty = file('empty-key', content);
    expect(configError(() => readApiKey(empty, {})).message).toBe(
      `--api-key-file names an empty file: "${empty}"; put the value in it`,
    );
  });

  test('rejects a file holding more than one line or spaces, without showing it', () => {
    const twoLines = file('two-lines', `${KEY}\n${KEY}\n`);
    const message = configError(() => readApiKey(twoLines, {})).message;
    expect(message).toContain('--api-key-file must name a file holding one API key on one line');
    expect(message).toContain(twoLines);
    expect(message).not.toContain(KEY);
  });

  test('rejects a variable with a line break, without showing it', () => {
    const message = configError(() => readApiKey(undefined, { MCP_PROBE_API_KEY: `${KEY}\r\nx: y` })).message;
    expect(message).toBe(
      'MCP_PROBE_API_KEY must hold one API key, without spaces or line breaks (value hidden)',
    );
  });
});

describe('--tool-arguments', () => {
  test('takes a JSON object', () => {
    expect(parseToolArguments('{"query":"status","limit":1}')).toEqual({ query: 'status', limit: 1 });
  });

  test.each(['[1]', '"text"', '42', 'null', '{not json', ''])('rejects %j, naming the flag', (text) => {
    expect(configError(() => parseToolArguments(text)).message).toBe(
      `--tool-arguments must be a JSON object such as '{"query":"status"}' (got ${JSON.stringify(text)})`,
    );
  });
});

describe('--ca-file', () => {
  // A throwaway self-signed certificate (openssl req -x509 -newkey ec ... -subj /CN=mcpenv-probe-test).
  const PEM = [
    '-----BEGIN CERTIFICATE-----',
    'MIIBjjCCATWgAwIBAgIUf3PzAGewcbiTLfSIR641ENG2oA8wCgYIKoZIzj0EAwIw',
    'HDEaMBgGA1UEAwwRbWNwZW52LXByb2JlLXRlc3QwIBcNMjYxMjAyMDQwMTM1WhgP',
    'MjEyNjExMDgwNDAxMzVaMBwxGjAYBgNVBAMMEW1jcGVudi1wcm9iZS10ZXN0MFkw',
    'EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtjwd7I4cuBdzC4Y7/uauWdD9XoFg1ri6',
    'wNnAsa6ZiwuB4bdwd7GHb3iNWPGWihqxAQFN6FXbUEZJe1zkSVcuu6NTMFEwHQYD',
    'VR0OBBYEFNGCgq4oaA/2UWpjQNrzuXFcBgtMMB8GA1UdIwQYMBaAFNGCgq4oaA/2',
    'UWpjQNrzuXFcBgtMMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIg',
    'N00LZAdZfx6ZayC9jVCr4UNkbZddRlnIlMBMHNX/bEkCIEuAk6vRcsYdHw5jkLjL',
    'nGJ/GKw6L7W2ws5QCGpODtrG',
    '-----END CERTIFICATE-----',
  ].join('\n');

  test('reads every certificate of a bundle', () => {
    expect(readCaFile(file('bundle.pem', `# our CAs\n${PEM}\n${PEM}\n`))).toEqual([PEM, PEM]);
  });

  test('rejects a file without certificates, naming the flag and the path', () => {
    const notPem = file('not-pem', 'hello\n');
    expect(configError(() => readCaFile(notPem)).message).toBe(
      `--ca-file must name a PEM bundle (-----BEGIN CERTIFICATE----- blocks); "${notPem}" holds none`,
    );
  });

  test('rejects a damaged certificate, saying which one', () => {
    const damaged = file('damaged.pem', `${PEM}\n${PEM.replace('MIIB', 'MIIC')}\n`);
    expect(configError(() => readCaFile(damaged)).message).toMatch(
      /^--ca-file must hold valid certificates: certificate 2 of ".*damaged.pem" cannot be read/,
    );
  });

  test('rejects a missing file, naming the flag and the path', () => {
    expect(configError(() => readCaFile(path.join(dir, 'none.pem'))).message).toMatch(
      /^--ca-file names a file that cannot be read \(no such file\): ".*none.pem"/,
    );
  });
});

describe('the flags together', () => {
  test('fill in the defaults', () => {
    const { probe, serve } = parseProbeFlags('https://mcp.example.com', { protocol: 'auto' }, {});
    expect(probe).toEqual({
      url: new URL('https://mcp.example.com/mcp'),
      protocol: 'auto',
      timeoutSeconds: 10,
      extraCertificates: [],
    });
    expect(serve).toBeUndefined();
  });

  test('fill in the serving defaults with --serve-metrics', () => {
    const { serve } = parseProbeFlags(
      'https://mcp.example.com',
      { protocol: 'auto', serveMetrics: true },
      {},
    );
    expect(serve).toEqual({ intervalSeconds: 30, address: '127.0.0.1', port: 9464 });
  });

  test('take every value given', () => {
    const { probe, serve } = parseProbeFlags(
      'http://127.0.0.1:3000',
      {
        protocol: 'legacy',
        tool: 'memory_search',
        toolArguments: '{"query":"x"}',
        timeoutSeconds: '2.5',
        serveMetrics: true,
        intervalSeconds: '1',
        metricsAddress: '0.0.0.0',
        metricsPort: '0',
      },
      { MCP_PROBE_API_KEY: KEY },
    );
    expect(probe).toEqual({
      url: new URL('http://127.0.0.1:3000/mcp'),
      apiKey: KEY,
      protocol: 'legacy',
      tool: 'memory_search',
      toolArguments: { query: 'x' },
      timeoutSeconds: 2.5,
      extraCertificates: [],
    });
    expect(serve).toEqual({ intervalSeconds: 1, address: '0.0.0.0', port: 0 });
  });

  test.each<[string, Record<string, unknown>, string]>([
    [
      'a timeout of 0',
      { timeoutSeconds: '0' },
      '--timeout-seconds must be a number of seconds from 0.1 to 600 (got "0")',
    ],
    [
      'a negative timeout',
      { timeoutSeconds: '-1' },
      '--timeout-seconds must be a number of seconds from 0.1 to 600 (got "-1")',
    ],
    [
      'a timeout in words',
      { timeoutSeconds: 'ten' },
      '--timeout-seconds must be a number of seconds from 0.1 to 600 (got "ten")',
    ],
    [
      'an interval below 1',
      { serveMetrics: true, intervalSeconds: '0.5' },
      '--interval-seconds must be a number of seconds from 1 to 86400 (got "0.5")',
    ],
    [
      'a port out of range',
      { serveMetrics: true, metricsPort: '70000' },
      '--metrics-port must be a port number between 0 and 65535 (got "70000")',
    ],
    [
      'a host name as metrics address',
      { serveMetrics: true, metricsAddress: 'localhost' },
      '--metrics-address must be an IP address such as 127.0.0.1, or 0.0.0.0 for all (got "localhost")',
    ],
    [
      'a serving flag without --serve-metrics',
      { intervalSeconds: '5' },
      '--interval-seconds applies to --serve-metrics only: add --serve-metrics or drop it',
    ],
    ['an empty tool name', { tool: '' }, '--tool must name a tool the server lists (got "")'],
  ])('reject %s, naming the flag', (_case, flags, message) => {
    expect(
      configError(() => parseProbeFlags('https://mcp.example.com', { protocol: 'auto', ...flags }, {}))
        .message,
    ).toBe(message);
  });
});
