/**
 * The probe's flags, checked before anything runs: each bad value is a `ConfigError` (exit 2)
 * naming the flag or variable and the fix. The API key is never part of a message.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { PROBE_API_KEY_VARIABLE, PROBE_METRICS_PORT } from '@mcpenv/contract';
import { ConfigError, readValueFile } from '../config';
import { invalidFlag } from '../cli/output';

export const PROTOCOL_CHOICES = ['auto', 'modern', 'legacy'] as const;
/** `auto`: 2026-07-28 when the server speaks it, else 2025; `modern`/`legacy` force one generation. */
export type ProtocolChoice = (typeof PROTOCOL_CHOICES)[number];

export const DEFAULT_TIMEOUT_SECONDS = 10;
export const DEFAULT_INTERVAL_SECONDS = 30;
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1';

/** What one probe run needs. */
export interface ProbeOptions {
  /** The MCP endpoint, `/mcp` added to a bare origin. */
  readonly url: URL;
  /** Sent as a bearer token; none for a server without auth. */
  readonly apiKey?: string;
  readonly protocol: ProtocolChoice;
  /** The tool to call; the first read-only one listed when unset. */
  readonly tool?: string;
  /** Arguments of the call; made from the tool's input schema when unset. */
  readonly toolArguments?: Readonly<Record<string, unknown>>;
  readonly timeoutSeconds: number;
  /** PEM certificates trusted beside the default CAs. */
  readonly extraCertificates: readonly string[];
}

/** Where and how often `--serve-metrics` probes and serves. */
export interface ServeMetricsOptions {
  readonly intervalSeconds: number;
  readonly address: string;
  readonly port: number;
}

/** The flags as Commander hands them over. */
export interface ProbeFlags {
  readonly apiKeyFile?: string;
  readonly protocol: ProtocolChoice;
  readonly tool?: string;
  readonly toolArguments?: string;
  readonly timeoutSeconds?: string;
  readonly caFile?: string;
  readonly json?: boolean;
  readonly serveMetrics?: boolean;
  readonly intervalSeconds?: string;
  readonly metricsAddress?: string;
  readonly metricsPort?: string;
}

/**
 * The endpoint a probe talks to: an http or https URL, with `/mcp` added when it names no path.
 * Credentials in the URL are refused: they would be printed with every report.
 */
export function probeUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw invalidFlag('<url>', 'be an http or https URL such as https://mcp.example.com', input);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidFlag('<url>', 'be an http or https URL such as https://mcp.example.com', input);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(
      `<url> must not carry credentials: give the API key with --api-key-file or ${PROBE_API_KEY_VARIABLE}`,
    );
  }
  if (url.pathname === '/') url.pathname = '/mcp';
  url.hash = '';
  return url;
}

/** Visible ASCII: what fits in an Authorization header; a line break would split it. */
const API_KEY = /^[\x21-\x7e]+$/;

/**
 * The API key: from `--api-key-file` (one trailing newline dropped), else from
 * `MCP_PROBE_API_KEY`, else none. The flag wins, as flags do; the key itself never is a flag.
 */
export function readApiKey(file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (file !== undefined) {
    const read = readValueFile(file, '--api-key-file', 'correct the path or mount the key there');
    if ('problem' in read) throw new ConfigError(read.problem);
    if (!API_KEY.test(read.value)) {
      throw new ConfigError(
        `--api-key-file must name a file holding one API key on one line, without spaces ` +
          `(${JSON.stringify(file)} does not; its content is not shown)`,
      );
    }
    return read.value;
  }
  const value = env[PROBE_API_KEY_VARIABLE];
  if (value === undefined || value === '') return undefined;
  if (!API_KEY.test(value)) {
    throw new ConfigError(
      `${PROBE_API_KEY_VARIABLE} must hold one API key, without spaces or line breaks (value hidden)`,
    );
  }
  return value;
}

/** `--tool-arguments`: a JSON object. */
export function parseToolArguments(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidFlag('--tool-arguments', `be a JSON object such as '{"query":"status"}'`, text);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidFlag('--tool-arguments', `be a JSON object such as '{"query":"status"}'`, text);
  }
  return parsed as Record<string, unknown>;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** `--ca-file`: the PEM certificates of a bundle, each one checked to parse. */
export function readCaFile(file: string): string[] {
  const read = readValueFile(file, '--ca-file', 'correct the path or mount the bundle there');
  if ('problem' in read) throw new ConfigError(read.problem);
  const certificates = read.value.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) {
    throw new ConfigError(
      `--ca-file must name a PEM bundle (-----BEGIN CERTIFICATE----- blocks); ${JSON.stringify(file)} holds none`,
    );
  }
  certificates.forEach((pem, index) => {
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw new ConfigError(
        `--ca-file must hold valid certificates: certificate ${index + 1} of ${JSON.stringify(file)} ` +
          `cannot be read (${(error as Error).message})`,
      );
    }
  });
  return certificates;
}

/** A number of seconds from a flag, within bounds. */
function seconds(flag: string, value: string, min: number, max: number): number {
  const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    throw invalidFlag(flag, `be a number of seconds from ${min} to ${max}`, value);
  }
  return parsed;
}

function port(flag: string, value: string): number {
  const parsed = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed <= 65535)) throw invalidFlag(flag, 'be a port number between 0 and 65535', value);
  return parsed;
}

/** Every flag checked, with the defaults filled in. */
export function parseProbeFlags(
  url: string,
  flags: ProbeFlags,
  env: NodeJS.ProcessEnv,
): { probe: ProbeOptions; serve?: ServeMetricsOptions } {
  const endpoint = probeUrl(url);
  if (!flags.serveMetrics) {
    const stray = (
      [
        ['--interval-seconds', flags.intervalSeconds],
        ['--metrics-address', flags.metricsAddress],
        ['--metrics-port', flags.metricsPort],
      ] as const
    ).find(([, value]) => value !== undefined);
    if (stray)
      throw new ConfigError(`${stray[0]} applies to --serve-metrics only: add --serve-metrics or drop it`);
  }
  if (flags.tool === '') throw invalidFlag('--tool', 'name a tool the server lists', flags.tool);
  const apiKey = readApiKey(flags.apiKeyFile, env);
  const probe: ProbeOptions = {
    url: endpoint,
    protocol: flags.protocol,
    timeoutSeconds:
      flags.timeoutSeconds === undefined
        ? DEFAULT_TIMEOUT_SECONDS
        : seconds('--timeout-seconds', flags.timeoutSeconds, 0.1, 600),
    extraCertificates: flags.caFile === undefined ? [] : readCaFile(flags.caFile),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(flags.tool === undefined ? {} : { tool: flags.tool }),
    ...(flags.toolArguments === undefined ? {} : { toolArguments: parseToolArguments(flags.toolArguments) }),
  };
  if (!flags.serveMetrics) return { probe };
  const address = flags.metricsAddress ?? DEFAULT_METRICS_ADDRESS;
  if (isIP(address) === 0) {
    throw invalidFlag('--metrics-address', 'be an IP address such as 127.0.0.1, or 0.0.0.0 for all', address);
  }
  return {
    probe,
    serve: {
      intervalSeconds:
        flags.intervalSeconds === undefined
          ? DEFAULT_INTERVAL_SECONDS
          : seconds('--interval-seconds', flags.intervalSeconds, 1, 86_400),
      address,
      port: flags.metricsPort === undefined ? PROBE_METRICS_PORT : port('--metrics-port', flags.metricsPort),
    },
  };
}
