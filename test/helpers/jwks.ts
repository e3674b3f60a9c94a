import { type KeyObject, createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * Signs with node:crypto rather than jose: jose ships only ES modules, and Jest, run with
 * --experimental-vm-modules as the npm scripts do, refuses to require() them (ERR_REQUIRE_ESM).
 */

const HOST = '127.0.0.1';
const ALGORITHM = 'ES256';

/** The claims of a JWT; the caller sets iss, aud, sub, exp and the rest. */
export type JwtClaims = Record<string, unknown>;

/** An ES256 (P-256) key pair and its public half as a JWK with kid, alg and use, for a JWKS. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: Record<string, unknown>;
}

/** Makes a fresh ES256 signing key. Give the kid of another key to impersonate it. */
export function createSigningKey(kid: string = randomBytes(8).toString('hex')): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: ALGORITHM, use: 'sig' };
  return { kid, privateKey, publicJwk };
}

export interface SignOptions {
  /**
   * The key that signs, with its kid in the header.
   * @default - the key the JWKS server publishes
   */
  readonly key?: SigningKey;
  /**
   * Signs with HS256 and this shared secret instead, keeping the kid of `key`.
   * @default - ES256 with `key`
   */
  readonly hmacSecret?: Uint8Array;
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** A compact JWS of `claims`: ES256 with `key`, or HS256 when `options.hmacSecret` is given. */
export function signJwt(claims: JwtClaims, key: SigningKey, options: SignOptions = {}): string {
  const signer = options.key ?? key;
  const alg = options.hmacSecret ? 'HS256' : ALGORITHM;
  const input = `${base64url(JSON.stringify({ alg, typ: 'JWT', kid: signer.kid }))}.${base64url(JSON.stringify(claims))}`;
  const signature = options.hmacSecret
    ? createHmac('sha256', options.hmacSecret).update(input).digest()
    : // JWS wants r || s, not the DER encoding node produces by default.
      sign('sha256', Buffer.from(input), { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${base64url(signature)}`;
}

/** A JWKS endpoint on 127.0.0.1 publishing one ES256 key, and a signer for tokens with that key. */
export interface JwksServer {
  /** `http://127.0.0.1:<port>/jwks.json` */
  readonly url: string;
  readonly key: SigningKey;
  /** Signs `claims` as they are with the published key (see `signJwt`). */
  sign(claims: JwtClaims, options?: SignOptions): string;
  /** Stops listening and cuts open connections. */
  close(): Promise<void>;
}

/** Starts a JWKS server on a free port of 127.0.0.1. Call `close()` in afterAll. */
export async function startJwksServer(): Promise<JwksServer> {
  const key = createSigningKey();
  const body = JSON.stringify({ keys: [key.publicJwk] });
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: HOST, port: 0 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}/jwks.json`,
    key,
    sign: (claims, options) => signJwt(claims, key, options),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
