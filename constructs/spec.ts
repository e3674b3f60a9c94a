import { z } from 'zod';
import { invalidSpec, showValue } from './errors';

/**
 * The description of one MCP environment. The CLI reads it from YAML, constructs take the same
 * shape as props; both go through `parseSpec`, so defaults and validation live only here.
 */

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/** Splits an image reference into its parts; `tag` and `digest` are undefined when absent. */
export function parseImageReference(image: string): { repository: string; tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > withoutDigest.lastIndexOf('/');
  return {
    repository: hasTag ? withoutDigest.slice(0, colon) : withoutDigest,
    tag: hasTag ? withoutDigest.slice(colon + 1) : undefined,
    digest,
  };
}

function imageProblem(image: string): string | undefined {
  if (/\s/.test(image) || image.length === 0) return 'must be a container image reference without spaces';
  const { repository, tag, digest } = parseImageReference(image);
  if (!/^[a-z0-9]+([._/:-][a-z0-9]+)*$/.test(repository)) {
    return 'must be a container image reference such as "ghcr.io/org/server:1.2.3"';
  }
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    return 'must use a digest of the form "@sha256:<64 hex digits>"';
  }
  if (tag === undefined && digest === undefined) {
    return 'must be pinned: add a version tag (":1.2.3") or a digest ("@sha256:...")';
  }
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) return 'has an invalid tag';
  if (tag === 'latest' && digest === undefined) {
    return 'must not use the mutable tag "latest": pin a version tag or a digest';
  }
  return undefined;
}

function publicUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as "https://mcp.example.com"';
  }
  if (url.protocol !== 'https:') return 'must use https (TLS terminates at the ingress)';
  if (url.username || url.password) return 'must not contain credentials';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return 'must be an origin without path, query or fragment (the MCP endpoint is served at /mcp)';
  }
  return undefined;
}

export const InClusterDataTierSchema = z
  .strictObject({
    kind: z.literal('in-cluster').describe('Postgres and Redis run inside the cluster.'),
  })
  .describe('Postgres and Redis run as workloads in the cluster.');

export const AwsDataTierSchema = z
  .strictObject({
    kind: z.literal('aws').describe('Postgres and Redis are AWS-managed (RDS and ElastiCache).'),
    region: z
      .string({ error: 'must be a string such as "eu-west-1"' })
      .regex(AWS_REGION, { error: 'must be an AWS region such as "eu-west-1"' })
      .describe('AWS region of the data tier.'),
  })
  .describe('Postgres on RDS and Redis on ElastiCache, created by the Terraform stack.');

export const DataTierSchema = z.discriminatedUnion('kind', [InClusterDataTierSchema, AwsDataTierSchema], {
  error: 'must have `kind` set to "in-cluster" or "aws"',
});

export const McpEnvironmentSpecSchema = z
  .strictObject(
    {
      name: z
        .string({ error: 'must be a string' })
        .max(40, { error: 'must be at most 40 characters' })
        .regex(DNS_LABEL, {
          error: 'must be a DNS label: lowercase letters, digits and "-", starting with a letter',
        })
        .describe('Environment name, e.g. "prod". Used in resource names and tags.'),
      image: z
        .string({ error: 'must be a string' })
        .superRefine((value, ctx) => {
          const problem = imageProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .describe('Container image of the MCP server, pinned by tag or digest.'),
      replicas: z
        .number({ error: 'must be a number' })
        .int({ error: 'must be a whole number' })
        .min(1, { error: 'must be at least 1' })
        .max(100, { error: 'must be at most 100' })
        .default(2)
        .describe('Number of server replicas. Default 2.'),
      publicUrl: z
        .string({ error: 'must be a string' })
        .superRefine((value, ctx) => {
          const problem = publicUrlProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .transform((value) => new URL(value).origin)
        .describe('Public HTTPS origin of the server, e.g. "https://mcp.example.com".'),
      namespace: z
        .string({ error: 'must be a string' })
        .max(63, { error: 'must be at most 63 characters' })
        .regex(DNS_LABEL, { error: 'must be a DNS label (lowercase letters, digits and "-")' })
        .optional()
        .describe('Kubernetes namespace. Default: "mcp-<name>".'),
      dataTier: DataTierSchema.default({ kind: 'in-cluster' }).describe(
        'Where Postgres and Redis run. Default: in the cluster.',
      ),
    },
    {
      error:
        'must be a mapping with the fields name, image, publicUrl and optionally replicas, namespace, dataTier',
    },
  )
  .transform((spec) => ({ ...spec, namespace: spec.namespace ?? `mcp-${spec.name}` }))
  .describe('An MCP environment: the server workload and its data tier.');

/** What a user writes: optional fields may be left out. */
export type McpEnvironmentSpecInput = z.input<typeof McpEnvironmentSpecSchema>;
/** The validated spec with every default applied. */
export type McpEnvironmentSpec = z.output<typeof McpEnvironmentSpecSchema>;
export type DataTier = McpEnvironmentSpec['dataTier'];

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

/** A union's discriminator issue carries the whole object; show only the bad field. */
function offendingValue(issue: z.core.$ZodIssue): unknown {
  const last = issue.path[issue.path.length - 1];
  const input = issue.input;
  if (typeof last === 'string' && input !== null && typeof input === 'object' && last in input) {
    return (input as Record<string, unknown>)[last];
  }
  return input;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    const prefix = issue.path.length > 0 ? `${where}: ` : '';
    return `${prefix}unknown key ${keys}: remove it or check its spelling`;
  }
  if (issue.input === undefined && issue.code === 'invalid_type') {
    return `${where}: is required and ${issue.message}`;
  }
  return `${where}: ${issue.message} (got ${showValue(offendingValue(issue))})`;
}

/**
 * Validates a spec and applies defaults. Throws a `ValidationError` that lists every problem
 * with its field path, the bad value and the fix.
 *
 * @param source what the input came from, for the message (a file name or "props")
 */
export function parseSpec(input: unknown, source = 'environment spec'): McpEnvironmentSpec {
  const result = McpEnvironmentSpecSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw invalidSpec(source, result.error.issues.map(formatIssue));
  return result.data;
}
