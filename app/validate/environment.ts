import type { McpEnvironmentSpec } from '../../constructs/spec';

/** The hints `environmentWarnings` gives, by id: advice on a valid environment, never a failure. */
export const ENVIRONMENT_HINTS = {
  'probe-api-key':
    'a probe of a server that requires authentication has an API key Secret (the reference server always does)',
} as const;

export type EnvironmentHint = keyof typeof ENVIRONMENT_HINTS;

/** One piece of advice about an environment file, worded so that it says what to do. */
export interface EnvironmentWarning {
  readonly hint: EnvironmentHint;
  /** The file's path of the setting the advice is about. */
  readonly path: string;
  readonly message: string;
}

/**
 * Advice on an environment that loaded (its schema and construct rules passed): settings that
 * are valid but will not do what they are for. `mcpenv validate --env/--config` prints them as
 * warnings and still exits 0.
 */
export function environmentWarnings(spec: McpEnvironmentSpec): EnvironmentWarning[] {
  const warnings: EnvironmentWarning[] = [];
  // The reference server serves only authenticated requests in the cluster (its server mode).
  if (spec.probe !== undefined && spec.probe.apiKeySecret === undefined) {
    warnings.push({
      hint: 'probe-api-key',
      path: 'probe.apiKeySecret',
      message:
        `the probe calls ${new URL(spec.publicUrl).origin}/mcp without an API key, which the reference server answers ` +
        'with 401, so McpProbeFailing will fire; create a key for a tenant of its own ' +
        '(mcpenv-server apikey create --tenant probe), store it in a Secret under the key api-key and ' +
        'name that Secret in probe.apiKeySecret',
    });
  }
  return warnings;
}
