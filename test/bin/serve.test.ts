import { runCli, runCliInProcess } from '../helpers/cli';

// The first in-process command of a file loads its libraries: seconds on a busy machine.
jest.setTimeout(60_000);

describe('mcpenv serve', () => {
  test.each([
    [{ PORT: 'eighty' }, /PORT must be a port number \(got "eighty"\)/],
    [{ BIND_ADDRESS: '0.0.0.0' }, /BIND_ADDRESS must be a loopback address in the embedded mode/],
    [
      { DATABASE_URL: 'postgres://u:pw@db:5432/x' },
      /REDIS_URL \(or REDIS_HOST\) must be set together with DATABASE_URL \(or PGHOST\)/,
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_SAMPLER_ARG: '2' },
      /OTEL_TRACES_SAMPLER_ARG must be a sampling ratio from 0 to 1 \(got "2"\)/,
    ],
    [{ OTEL_TRACES_SAMPLER: 'xray' }, /OTEL_TRACES_SAMPLER must be one of always_on/],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' },
      /OTEL_EXPORTER_OTLP_ENDPOINT must be an http:\/\/ or https:\/\/ URL/,
    ],
  ])('refuses to start with %j, exit 2, naming the variable', async (env, message) => {
    const result = await runCliInProcess(['serve'], { env });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain('pw@db');
  });

  test('refuses --conformance-fixtures in the server mode (exit 2): fixtures never run in production', () => {
    const result = runCli(['serve', '--conformance-fixtures'], {
      env: {
        DATABASE_URL: 'postgres://u:pw@db:5432/x',
        REDIS_URL: 'redis://cache:6379',
        PUBLIC_URL: 'https://mcp.example.com',
      },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--conformance-fixtures runs in the embedded mode only');
    expect(result.stderr).toContain('unset DATABASE_URL and REDIS_URL');
    expect(result.stderr).not.toContain('pw@db');
  });

  test('refuses to start when a _FILE variable names a missing file (exit 2), naming it and the path', async () => {
    const missing = '/nonexistent/mcpenv/pgpassword';
    const result = await runCliInProcess(['serve'], {
      env: {
        PGHOST: 'db',
        PGPASSWORD_FILE: missing,
        REDIS_URL: 'redis://cache:6379',
        PUBLIC_URL: 'https://mcp.example.com',
      },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `PGPASSWORD_FILE names a file that cannot be read (no such file): "${missing}"`,
    );
  });

  test('rejects a bad --port flag with exit 2', async () => {
    const result = await runCliInProcess(['serve', '--port', 'http']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--port must be a port number between 0 and 65535 (got "http")');
  });
});
