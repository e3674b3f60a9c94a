/**
 * The parts of an API key (`mcpk_<id>_<secret>`). The secret is base64url, so it may itself hold
 * `_` (even as its first character): split on the fixed-width prefix, never on `_`.
 */
export function apiKeyParts(key: string): { id: string; secret: string } {
  const match = /^mcpk_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/.exec(key);
  if (!match) throw new Error(`not an mcpenv API key: ${key.slice(0, 5)}...`);
  return { id: match[1] as string, secret: match[2] as string };
}
