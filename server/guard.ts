import type { NextFunction, Request, RequestHandler, Response } from 'express';

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
/** A DNS name or IPv4 address, or a bracketed IPv6 address, and an optional port. */
const HOST_HEADER =
  /^([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

function forbidden(res: Response, message: string) {
  res.status(403).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

export interface AllowList {
  readonly hosts: readonly string[];
  readonly origins: readonly string[];
}

/**
 * The Host names and Origins `/mcp` accepts (DNS-rebinding protection): those of the public
 * URL, plus the loopback names when the server listens on loopback.
 */
export function allowListFor(input: { publicUrl?: string; loopback: boolean }): AllowList | undefined {
  const hosts: string[] = [];
  const origins: string[] = [];
  if (input.publicUrl) {
    hosts.push(new URL(input.publicUrl).hostname);
    origins.push(new URL(input.publicUrl).origin);
  }
  if (input.loopback) hosts.push(...LOOPBACK_HOSTS);
  return hosts.length > 0 ? { hosts, origins } : undefined;
}

/**
 * Rejects requests whose Host is not allowed, and browser requests whose Origin is not (403,
 * JSON-RPC error body). A missing Origin is fine: MCP clients outside browsers do not send one.
 * On loopback any local origin (any port) is accepted, for local tools such as inspectors.
 */
export function hostAndOriginGuard(allow: AllowList): RequestHandler {
  const hosts = new Set(allow.hosts);
  const origins = new Set(allow.origins);
  const loopback = LOOPBACK_HOSTS.some((host) => hosts.has(host));
  return (req: Request, res: Response, next: NextFunction) => {
    // Exactly `host[:port]` (RFC 9110): a URL parser would also take `evil.example@127.0.0.1`
    // (user info) or a path, and read a different host than a proxy or browser did.
    const match = HOST_HEADER.exec(req.headers.host ?? '');
    if (!match) {
      forbidden(res, 'Invalid Host header: it must be host or host:port');
      return;
    }
    const hostname = (match[1] as string).toLowerCase();
    if (!hosts.has(hostname)) {
      forbidden(res, `Host "${hostname}" is not served here`);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      const allowed =
        parsed !== undefined &&
        (origins.has(parsed.origin) || (loopback && LOOPBACK_HOSTS.includes(parsed.hostname)));
      if (!allowed) {
        forbidden(res, `Origin "${origin}" is not allowed`);
        return;
      }
    }
    next();
  };
}
