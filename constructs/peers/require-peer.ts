import { createRequire } from 'node:module';
import { ValidationError } from '../errors';

/** The optional peer dependencies, with the range mcpenv supports (package.json's peerDependencies). */
export const OPTIONAL_PEERS = {
  '@cdktf/provider-aws': '^20.0.0',
  '@cdktf/provider-kubernetes': '^12.0.0',
} as const;

/**
 * Fails with a `ValidationError` that names the missing package, what needs it and the install
 * command, before the part that needs it loads. The providers are large (hundreds of MB), so the
 * library installs them only where they are used.
 */
export function requirePeer(name: keyof typeof OPTIONAL_PEERS, usedBy: string): void {
  try {
    createRequire(__filename).resolve(`${name}/package.json`);
  } catch {
    throw new ValidationError(
      `${usedBy} needs the optional peer dependency ${name}, which is not installed: ` +
        `run \`npm install ${name}@${OPTIONAL_PEERS[name]}\``,
    );
  }
}
