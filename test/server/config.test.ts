import { ConfigError, parseServerConfig } from '../../server/config';

describe('parseServerConfig', () => {
  test('with nothing set, listens on 127.0.0.1:3000', () => {
    expect(parseServerConfig({})).toEqual({
      port: 3000,
      bindAddress: '127.0.0.1',
      logLevel: 'info',
      drainTimeoutSeconds: 25,
    });
  });

  test('reads every variable and normalizes the public URL', () => {
    expect(
      parseServerConfig({
        PORT: '8080',
        BIND_ADDRESS: '0.0.0.0',
        PUBLIC_URL: 'https://mcp.example.com/',
        LOG_LEVEL: 'debug',
        SHUTDOWN_DRAIN_SECONDS: '5',
      }),
    ).toEqual({
      port: 8080,
      bindAddress: '0.0.0.0',
      publicUrl: 'https://mcp.example.com',
      logLevel: 'debug',
      drainTimeoutSeconds: 5,
    });
  });

  test('treats empty variables as unset', () => {
    expect(parseServerConfig({ PORT: '', PUBLIC_URL: '' }).port).toBe(3000);
  });

  test.each([
    [{ PORT: 'eighty' }, /PORT must be a port number \(got "eighty"\)/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535 \(got "70000"\)/],
    [
      { BIND_ADDRESS: 'localhost' },
      /BIND_ADDRESS must be an IP address such as 127.0.0.1 \(got "localhost"\)/,
    ],
    [{ PUBLIC_URL: 'http://mcp.example.com' }, /PUBLIC_URL must be an https URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error/],
    [{ SHUTDOWN_DRAIN_SECONDS: '-1' }, /SHUTDOWN_DRAIN_SECONDS must be 0 or more/],
  ])('rejects %j naming the variable', (env, expected) => {
    expect(() => parseServerConfig(env)).toThrow(expected);
    expect(() => parseServerConfig(env)).toThrow(ConfigError);
  });
});
