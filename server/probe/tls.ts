import { isIP } from 'node:net';
import * as tls from 'node:tls';

/**
 * Node 24's CA store functions; the repository's @types/node is that of the library's oldest
 * engine (20), which does not declare them. The server package requires Node 24.
 */
const caStore = tls as typeof tls & {
  getCACertificates(type: 'default'): string[];
  setDefaultCACertificates(certificates: readonly string[]): void;
};

/**
 * Trusts `certificates` beside the default CAs (bundled, `NODE_EXTRA_CA_CERTS`) for every TLS
 * connection this process opens from now on: the TLS step and the MCP requests, which go through
 * fetch. Returns a function that puts the previous defaults back.
 */
export function trustAlso(certificates: readonly string[]): () => void {
  const previous = caStore.getCACertificates('default');
  caStore.setDefaultCACertificates([...previous, ...certificates]);
  return () => caStore.setDefaultCACertificates(previous);
}

/** What the TLS step saw: the leaf certificate's expiry and, when it was not trusted, why. */
export interface TlsOutcome {
  readonly notAfter: Date;
  /** The verification error code (`DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`...). */
  readonly verificationError?: string;
}

/**
 * Opens a TLS connection to the URL's host, as an HTTPS client would (SNI for names), and reads
 * the leaf certificate. The chain and the host name are checked against the default CAs; the
 * certificate is read even when that check fails, so an expired or unknown certificate still
 * shows its expiry. Nothing is sent over the connection. Rejects on network errors and when
 * `signal` aborts.
 */
export function checkTls(url: URL, signal: AbortSignal): Promise<TlsOutcome> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ALPNProtocols: ['http/1.1'],
      // Verified below, after the certificate has been read.
      rejectUnauthorized: false,
    });
    const abort = () => socket.destroy(signal.reason as Error);
    signal.addEventListener('abort', abort, { once: true });
    socket.once('secureConnect', () => {
      const certificate = socket.getPeerX509Certificate();
      const error = socket.authorizationError as unknown;
      socket.destroy();
      if (!certificate) {
        reject(new Error('the server presented no certificate'));
        return;
      }
      const notAfter = new Date(certificate.validTo);
      resolve(
        socket.authorized
          ? { notAfter }
          : { notAfter, verificationError: error instanceof Error ? error.message : String(error) },
      );
    });
    socket.once('error', reject);
    socket.once('close', () => signal.removeEventListener('abort', abort));
  });
}
