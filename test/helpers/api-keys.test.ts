import { apiKeyParts } from './api-keys';

describe('apiKeyParts', () => {
  test.each([
    ['a secret that starts with an underscore', `_${'a'.repeat(42)}`],
    ['a secret full of underscores and hyphens', `${'_-'.repeat(21)}_`],
    ['a plain secret', 'B'.repeat(43)],
  ])('splits a key with %s', (_what, secret) => {
    expect(apiKeyParts(`mcpk_0123456789abcdef_${secret}`)).toEqual({ id: '0123456789abcdef', secret });
  });

  test('rejects a string that is not a key', () => {
    expect(() => apiKeyParts('mcpk_short_x')).toThrow(/not an mcpenv API key/);
  });
});
