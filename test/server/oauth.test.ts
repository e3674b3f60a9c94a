import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuthVerifier } from '../../server/auth/oauth';
import { type JwksServer, startJwksServer } from '../helpers/jwks';

const ISSUER = 'https://auth.test.example';
const AUDIENCE = 'https://mcp.test.example/mcp';
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'user-1',
  exp: now() + 300,
  scope: 'openid mcp',
  tenant_id: 'alpha',
  ...extra,
});

function verifier(jwksUrl: string) {
  return new OAuthVerifier({ issuer: ISSUER, jwksUrl, audiences: [AUDIENCE], tenantClaim: 'tenant_id' });
}

/** A JWKS endpoint that misbehaves in a given way. */
async function brokenJwks(reply: (res: http.ServerResponse) => void) {
  const server = http.createServer((_req, res) => reply(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let jwks: JwksServer;
beforeAll(async () => {
  jwks = await startJwksServer();
});
afterAll(async () => {
  await jwks.close();
});

describe('OAuthVerifier', () => {
  test('accepts a valid token and reads subject, tenant and scopes', async () => {
    expect(await verifier(jwks.url).verify(jwks.sign(claims()))).toEqual({
      ok: true,
      subject: 'user-1',
      tenant: 'alpha',
      scopes: ['openid', 'mcp'],
    });
  });

  test('reads scopes from an scp array too', async () => {
    const result = await verifier(jwks.url).verify(jwks.sign(claims({ scope: undefined, scp: ['mcp'] })));
    expect(result).toMatchObject({ ok: true, scopes: ['mcp'] });
  });

  test.each([
    ['expired', { exp: now() - 3600 }, 'expired'],
    ['for another audience', { aud: 'https://other.example/mcp' }, 'wrong_audience'],
    ['from another issuer', { iss: 'https://evil.example' }, 'wrong_issuer'],
    ['without a tenant', { tenant_id: undefined }, 'invalid_token'],
  ])('rejects a token %s', async (_name, extra, reason) => {
    expect(await verifier(jwks.url).verify(jwks.sign(claims(extra)))).toMatchObject({ ok: false, reason });
  });

  test.each([
    ['answers 500', (res: http.ServerResponse) => res.writeHead(500).end('oops')],
    [
      'answers HTML',
      (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'),
    ],
    ['answers no keys', (res: http.ServerResponse) => res.writeHead(200).end('{"nokeys": true}')],
  ])(
    'reports the issuer unavailable, not the token invalid, when the JWKS endpoint %s',
    async (_name, reply) => {
      const broken = await brokenJwks(reply);
      try {
        expect(await verifier(broken.url).verify(jwks.sign(claims()))).toMatchObject({
          ok: false,
          reason: 'issuer_unavailable',
        });
      } finally {
        await broken.close();
      }
    },
  );

  test('reports a key missing from the JWKS as a bad signature', async () => {
    const empty = await brokenJwks((res) => res.writeHead(200).end('{"keys": []}'));
    try {
      expect(await verifier(empty.url).verify(jwks.sign(claims()))).toMatchObject({
        ok: false,
        reason: 'invalid_signature',
      });
    } finally {
      await empty.close();
    }
  });
});
