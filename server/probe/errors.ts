import { types } from 'node:util';
import { ProtocolError, SdkError, SdkHttpError } from '@modelcontextprotocol/client';

/** A run that outlived `--timeout-seconds`: fails the step in progress. */
export class ProbeTimeoutError extends Error {
  constructor(seconds: number) {
    super(`timed out after ${seconds} s (--timeout-seconds)`);
    this.name = 'ProbeTimeoutError';
  }
}

/** The JSON-RPC error of an HTTP error body, when it is one. */
function rpcErrorIn(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = parsed.error ?? {};
    return typeof code === 'number' && typeof message === 'string'
      ? `JSON-RPC error ${code}: ${message}`
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The innermost error with a system or TLS code (`ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`),
 * following `cause` and the SDK's `data.cause`, where fetch and the SDK wrap the network's error.
 */
function rootCause(error: unknown): (Error & { code: string }) | undefined {
  let found: (Error & { code: string }) | undefined;
  const seen = new Set<unknown>();
  // isNativeError, not instanceof: fetch's errors come from Node's internal realm.
  for (let current = error; types.isNativeError(current) && !seen.has(current);) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    // The SDK's own codes (ERA_NEGOTIATION_FAILED) classify its wrappers, not the network's error.
    if (typeof code === 'string' && !(current instanceof SdkError))
      found = current as Error & { code: string };
    current = current.cause ?? (current as { data?: { cause?: unknown } }).data?.cause;
  }
  return found;
}

/**
 * Why a step failed, in the words an operator acts on: the HTTP status and the JSON-RPC error the
 * server sent, the JSON-RPC error of a result, or the network's own error (connection refused, a
 * TLS verification code, a name that does not resolve).
 */
export function describeError(error: unknown): string {
  if (error instanceof ProbeTimeoutError) return error.message;
  if (error instanceof SdkHttpError) {
    const status = `HTTP ${error.status}${error.statusText ? ` ${error.statusText}` : ''}`;
    const rpc = rpcErrorIn(error.data.text);
    return rpc ? `${status}, ${rpc}` : status;
  }
  if (error instanceof ProtocolError) return `JSON-RPC error ${error.code}: ${error.message}`;
  const root = rootCause(error);
  if (root) {
    if (root.code === 'ECONNREFUSED') return `connection refused (${root.message})`;
    return root.message.includes(root.code) ? root.message : `${root.message} (${root.code})`;
  }
  return types.isNativeError(error) ? error.message : String(error);
}
