import { z } from 'zod';

/** Where the server listens and how it presents itself; read once from the environment. */
export interface ServerConfig {
  readonly port: number;
  readonly bindAddress: string;
  /** Public HTTPS origin, when the server runs behind an ingress. */
  readonly publicUrl?: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How long a SIGTERM waits for in-flight requests before closing them. */
  readonly drainTimeoutSeconds: number;
}

const EnvSchema = z.object({
  PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be between 0 and 65535' })
    .max(65535, { error: 'must be between 0 and 65535' })
    .default(3000),
  BIND_ADDRESS: z
    .union([z.ipv4(), z.ipv6()], { error: 'must be an IP address such as 127.0.0.1' })
    .default('127.0.0.1'),
  PUBLIC_URL: z
    .url({ protocol: /^https$/, error: 'must be an https URL such as https://mcp.example.com' })
    .transform((value) => new URL(value).origin)
    .optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  SHUTDOWN_DRAIN_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .min(0, { error: 'must be 0 or more' })
    .max(3600, { error: 'must be at most 3600' })
    .default(25),
});

/** A bad variable: the message names it, shows the value and the rule. */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the server's settings from environment variables. Empty strings count as unset.
 * Throws a `ConfigError` naming every bad variable.
 */
export function parseServerConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const relevant = Object.fromEntries(
    Object.keys(EnvSchema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const result = EnvSchema.safeParse(relevant);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name} ${issue.message} (got ${JSON.stringify(relevant[name])})`;
    });
    throw new ConfigError(`invalid server configuration:\n  - ${problems.join('\n  - ')}`);
  }
  const env_ = result.data;
  return {
    port: env_.PORT,
    bindAddress: env_.BIND_ADDRESS,
    ...(env_.PUBLIC_URL === undefined ? {} : { publicUrl: env_.PUBLIC_URL }),
    logLevel: env_.LOG_LEVEL,
    drainTimeoutSeconds: env_.SHUTDOWN_DRAIN_SECONDS,
  };
}
