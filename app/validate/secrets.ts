import type { Finding } from './schemas';

/** Attribute names whose value is a secret: in Terraform JSON they may only hold expressions. */
const SECRET_ATTRIBUTE =
  /(^|_)(password|passwd|auth_token|secret_string|secret_key|access_key|private_key|token|client_secret)(_wo)?$/i;

/** Shapes of real credentials, wherever they appear. */
const CREDENTIAL_SHAPES: readonly { name: string; pattern: RegExp }[] = [
  { name: 'AWS access key id', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: 'mcpenv API key', pattern: /\bmcpk_[a-z0-9]{16}_[A-Za-z0-9_-]{43}\b/ },
  { name: 'URL with a password', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"']+:[^/\s@"'$]+@/i },
  { name: 'JWT', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/ },
];

/** A Terraform JSON value that is only an expression (`${...}`), never a literal secret. */
function isExpression(value: unknown): boolean {
  return typeof value === 'string' && /^\$\{[\s\S]*\}$/.test(value.trim());
}

function walk(value: unknown, at: string, visit: (key: string, value: unknown, at: string) => void) {
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, `${at}[${index}]`, visit));
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '//') continue;
      const next = at ? `${at}.${key}` : key;
      visit(key, child, next);
      walk(child, next, visit);
    }
  }
}

/**
 * Finds literal secrets in a synthesized Terraform stack: a secret-named attribute whose value
 * is not an expression (a variable, an ephemeral or a resource attribute), and anything shaped
 * like a credential. Rule id: `no-literal-secrets`.
 */
export function checkTerraformSecrets(stack: unknown, file: string): Finding[] {
  const findings: Finding[] = [];
  // A variable may be named for a secret; only a literal default would put one in the config.
  const variables = ((stack as { variable?: Record<string, { default?: unknown }> })?.variable ??
    {}) as Record<string, { default?: unknown }>;
  for (const [name, variable] of Object.entries(variables)) {
    if (SECRET_ATTRIBUTE.test(name) && variable.default !== undefined && variable.default !== null) {
      findings.push({
        objectRef: file,
        path: `variable.${name}.default`,
        rule: 'no-literal-secrets',
        message: `${name} has a literal default: leave secrets without defaults and pass them at apply time`,
      });
    }
  }
  walk(stack, '', (key, value, at) => {
    if (at.startsWith('variable.')) return;
    if (!SECRET_ATTRIBUTE.test(key)) return;
    const values = value && typeof value === 'object' ? Object.values(value as object) : [value];
    for (const candidate of values) {
      if (candidate === null || candidate === undefined || typeof candidate === 'boolean') continue;
      if (typeof candidate === 'object') continue;
      if (!isExpression(candidate)) {
        findings.push({
          objectRef: file,
          path: at,
          rule: 'no-literal-secrets',
          message: `${key} holds a literal value: pass secrets as sensitive variables, ephemeral values or managed secrets`,
        });
      }
    }
  });
  return findings;
}

/** Finds credential-shaped strings in any synthesized text. Rule id: `no-literal-secrets`. */
export function scanForCredentials(text: string, file: string): Finding[] {
  const findings: Finding[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    for (const shape of CREDENTIAL_SHAPES) {
      if (shape.pattern.test(line)) {
        findings.push({
          objectRef: file,
          path: `line ${index + 1}`,
          rule: 'no-literal-secrets',
          message: `looks like a ${shape.name}: keep secrets out of the synthesized output`,
        });
      }
    }
  });
  return findings;
}
