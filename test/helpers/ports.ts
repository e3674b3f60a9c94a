import * as net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the OS picks it and we release it. Another
 * process may take it before the caller binds; the servers started here then fail with a bind
 * error in their log rather than talking to a stranger.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}
