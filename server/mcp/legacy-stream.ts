import type { ServerEvent } from '@modelcontextprotocol/server';
import type { Request, Response } from 'express';
import type { Principal } from '../tools/tool';
import { requestTenant, type TenantEventBus } from './change-bus';
import { MODERN_REVISION } from './fast-path';

function rpcError(res: Response, status: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

/** The 2025 notification for a change, when a 2025 client can be told of it without a session. */
function legacyNotification(event: ServerEvent): string | undefined {
  // `resources.listChanged` is what the server declares; subscriptions to single resources
  // (`resources/subscribe`) would need a session to remember them, so they are not offered.
  if (event.kind !== 'resources_list_changed') return undefined;
  return JSON.stringify({ jsonrpc: '2.0', method: 'notifications/resources/list_changed' });
}

/**
 * The 2025 revisions' standalone stream (GET /mcp): how a 2025 client hears that the resource
 * list changed. Stateless, it needs no session: the stream belongs to the caller's tenant and
 * carries that tenant's `notifications/resources/list_changed` from every replica, with SSE
 * comments as keep-alives. Resumption (`Last-Event-ID`) would need an event log, so such a GET
 * gets 405 and the client re-lists, as the 2025 transport allows; a 2026-07-28 client uses
 * `subscriptions/listen` instead and gets 405 for GET, as that revision says.
 */
export function createLegacyStreams(bus: TenantEventBus, keepAliveMs: number) {
  const open = new Set<Response>();

  function serve(req: Request, res: Response, principal: Principal): void {
    if (req.get('mcp-protocol-version') === MODERN_REVISION || req.get('last-event-id') !== undefined) {
      res.setHeader('allow', 'POST');
      rpcError(
        res,
        405,
        'Method not allowed: this stateless server keeps no event log to resume from; use POST',
      );
      return;
    }
    if (!(req.get('accept') ?? '').includes('text/event-stream')) {
      rpcError(res, 406, 'Not Acceptable: the client must accept text/event-stream');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    open.add(res);
    const unsubscribe = requestTenant.run(principal.tenant, () =>
      bus.subscribe((event) => {
        const message = legacyNotification(event);
        if (message && !res.writableEnded) res.write(`event: message\ndata: ${message}\n\n`);
      }),
    );
    const keepAlive = setInterval(() => {
      if (!res.writableEnded) res.write(': keepalive\n\n');
    }, keepAliveMs);
    keepAlive.unref();
    res.once('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      open.delete(res);
    });
  }

  return {
    serve,
    /** Ends every open stream (drain): clients reconnect, to another replica. */
    endAll(): void {
      for (const res of open) res.end();
    },
  };
}
