import { ProtocolError, SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { describeError, ProbeTimeoutError } from '../../../server/probe/errors';

/** A Node network error as fetch wraps it: TypeError('fetch failed') with the system error as cause. */
function fetchFailed(code: string, message: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
}

describe('why a step failed', () => {
  test('gives the HTTP status and the JSON-RPC error of the body', () => {
    const error = new SdkHttpError(SdkErrorCode.ClientHttpAuthentication, 'Version negotiation failed', {
      status: 401,
      statusText: 'Unauthorized',
      text: '{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Unauthorized: the key was revoked"}}',
    });
    expect(describeError(error)).toBe(
      'HTTP 401 Unauthorized, JSON-RPC error -32001: Unauthorized: the key was revoked',
    );
  });

  test('gives the HTTP status alone when the body is not a JSON-RPC error', () => {
    const error = new SdkHttpError(SdkErrorCode.ClientHttpNotImplemented, 'Error POSTing to endpoint', {
      status: 502,
      statusText: 'Bad Gateway',
      text: '<html>bad gateway</html>',
    });
    expect(describeError(error)).toBe('HTTP 502 Bad Gateway');
  });

  test('gives the JSON-RPC error of a result', () => {
    expect(describeError(new ProtocolError(-32603, 'Internal error'))).toBe(
      'JSON-RPC error -32603: Internal error',
    );
  });

  test('says connection refused, through the SDK’s and fetch’s wrappers', () => {
    const refused = fetchFailed('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9');
    const wrapped = new SdkError(
      SdkErrorCode.EraNegotiationFailed,
      'Version negotiation probe failed: fetch failed',
      {
        cause: refused,
      },
    );
    expect(describeError(wrapped)).toBe('connection refused (connect ECONNREFUSED 127.0.0.1:9)');
    expect(describeError(refused)).toBe('connection refused (connect ECONNREFUSED 127.0.0.1:9)');
  });

  test('gives a TLS verification code with its message', () => {
    expect(describeError(fetchFailed('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'))).toBe(
      'self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
    );
  });

  test('keeps a message that already names its code', () => {
    expect(describeError(fetchFailed('ENOTFOUND', 'getaddrinfo ENOTFOUND mcp.invalid'))).toBe(
      'getaddrinfo ENOTFOUND mcp.invalid',
    );
  });

  test('says how long a run that timed out had', () => {
    expect(describeError(new ProbeTimeoutError(10))).toBe('timed out after 10 s (--timeout-seconds)');
  });

  test('falls back to the message, and to the value for what is not an Error', () => {
    expect(describeError(new SdkError(SdkErrorCode.EraNegotiationFailed, 'no common version'))).toBe(
      'no common version',
    );
    expect(describeError('plain')).toBe('plain');
  });

  test('ends on a cause that points back at itself', () => {
    const looping = new Error('outer') as Error & { cause?: unknown };
    looping.cause = looping;
    expect(describeError(looping)).toBe('outer');
  });
});
