/**
 * The value rules that both the environment-file schema (`spec.ts`, through zod refinements) and
 * the constructs (in their constructors) apply, so that a file and a construct give the same
 * answer for the same value. A validator returns `undefined` when the value is fine and otherwise
 * what the value must be (the rest of a sentence that starts with "must") and how to fix it.
 *
 * Plain JavaScript callers may pass anything, so every rule first checks the type.
 */
import { isIP } from 'node:net';
import { CronSyntaxError, cronGaps } from './cron';
import { invalidProp, missingProp } from './errors';
import { DNS_LABEL, DNS_NAME, QUANTITY } from './k8s/names';
import { isPositiveDuration } from './monitoring/promql';

/** What a value must be ("be a DNS label …"), and optionally how to get there. */
export interface Problem {
  readonly rule: string;
  readonly fix?: string;
}

/** `undefined` when `value` is fine, else the problem. */
export type Validator = (value: unknown) => Problem | undefined;

const must = (rule: string, fix?: string): Problem => (fix === undefined ? { rule } : { rule, fix });

/** Throws `construct`'s ValidationError for `prop` when `value` fails `validator`. */
export function check(construct: string, prop: string, value: unknown, validator: Validator): void {
  const problem = validator(value);
  if (problem !== undefined) throw invalidProp(construct, prop, problem.rule, value, problem.fix);
}

/**
 * Throws when `props` is missing or lacks a required prop; `required` says, for each, how to fix
 * it. Typed callers never see this: it is for plain JavaScript and props read from configuration.
 */
export function requireProps<P extends object>(
  construct: string,
  props: P | undefined,
  required: { readonly [K in keyof P]?: string },
): void {
  const names = Object.keys(required);
  if (props === undefined || props === null || typeof props !== 'object') {
    throw missingProp(construct, 'props', `pass an object with ${names.join(', ')}`);
  }
  for (const name of names) {
    const value = (props as Record<string, unknown>)[name];
    if (value === undefined || value === null) {
      throw missingProp(construct, name, required[name as keyof P] as string);
    }
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** A whole number in `min..max` (no upper bound when `max` is left out). */
export function wholeNumber(min: number, max?: number): Validator {
  return (value) =>
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= min &&
    (max === undefined || value <= max)
      ? undefined
      : max === undefined
        ? must(`be a whole number of at least ${min}`)
        : must(`be a whole number from ${min} to ${max}`);
}

/** A share strictly between 0 and 1. */
export const fraction: Validator = (value) =>
  typeof value === 'number' && value > 0 && value < 1
    ? undefined
    : must('be a ratio greater than 0 and less than 1', 'write 5% as 0.05');

/** A share from 0 to 1, both included (a sampling ratio: 0 is never, 1 is always). */
export const unitInterval: Validator = (value) =>
  typeof value === 'number' && value >= 0 && value <= 1
    ? undefined
    : must('be a number from 0 to 1', 'write 10% as 0.1');

/** A Prometheus duration greater than zero. */
export const prometheusDuration: Validator = (value) =>
  isString(value) && isPositiveDuration(value)
    ? undefined
    : must('be a positive Prometheus duration such as "5m" or "1h30m"');

/** A DNS-1123 label starting with a letter: namespaces, Services, environment names. */
export function dnsLabel(maxLength = 63): Validator {
  return (value) =>
    isString(value) && DNS_LABEL.test(value) && value.length <= maxLength
      ? undefined
      : must(
          `be a DNS label of at most ${maxLength} characters`,
          'lowercase letters, digits and "-", starting with a letter',
        );
}

/** A DNS-1123 subdomain: most object names (IngressClass, GatewayClass, ClusterIssuer, Secret). */
export const dnsSubdomain: Validator = (value) =>
  isString(value) && DNS_NAME.test(value)
    ? undefined
    : must('be a lowercase DNS name of at most 253 characters', 'letters, digits, "-" and "."');

/** A key of a Secret or ConfigMap: letters, digits, "-", "_" and ".". */
export const secretKey: Validator = (value) =>
  isString(value) && /^[-._a-zA-Z0-9]{1,253}$/.test(value) && value !== '.' && value !== '..'
    ? undefined
    : must('be a Secret key of at most 253 characters', 'letters, digits, "-", "_" and "."');

/** A Kubernetes resource quantity such as "250m", "1.5" or "10Gi". */
export const quantity: Validator = (value) =>
  isString(value) && QUANTITY.test(value)
    ? undefined
    : must('be a Kubernetes quantity such as "250m", "512Mi" or "10Gi"');

/** A label key (and annotation key): an optional DNS prefix and "/", then a name of at most 63 characters. */
export const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A label value: empty, or at most 63 letters, digits, "-", "_" and ".", alphanumeric at both ends. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export const labelKey: Validator = (value) =>
  isString(value) && LABEL_KEY.test(value)
    ? undefined
    : must('be a Kubernetes label key such as "team" or "example.com/team"');

export const labelValue: Validator = (value) =>
  isString(value) && LABEL_VALUE.test(value)
    ? undefined
    : must(
        'be a Kubernetes label value of at most 63 characters',
        'letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
      );

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

/** A container image pinned by a version tag or a digest; the mutable tag "latest" alone is not a pin. */
export const pinnedImage: Validator = (value) => {
  if (!isString(value) || value.length === 0 || /\s/.test(value)) {
    return must('be a container image reference without spaces, such as "ghcr.io/org/server:1.2.3"');
  }
  const { repository, tag, digest } = parseImageReference(value);
  if (!/^[a-z0-9]+([._/:-][a-z0-9]+)*$/.test(repository)) {
    return must('be a container image reference such as "ghcr.io/org/server:1.2.3"');
  }
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    return must('use a digest of the form "@sha256:<64 hex digits>"');
  }
  if (tag === undefined && digest === undefined) {
    return must('be pinned by a tag or digest', 'add a version tag (":1.2.3") or a digest ("@sha256:...")');
  }
  if (tag !== undefined && !/^\w[\w.-]{0,127}$/.test(tag)) {
    return must('have a tag of at most 128 letters, digits, "_", "." and "-"');
  }
  if (tag === 'latest' && digest === undefined) {
    return must('not use the mutable tag "latest"', 'pin a version tag or a digest');
  }
  return undefined;
};

function parseUrl(value: unknown): URL | undefined {
  if (!isString(value)) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** An absolute https URL (an OAuth issuer, a JWKS, an ACME directory). */
export const httpsUrl: Validator = (value) =>
  parseUrl(value)?.protocol === 'https:' ? undefined : must('be an absolute https URL');

/** An absolute https URL that others extend with a path (runbook links): no query or fragment. */
export const httpsBaseUrl: Validator = (value) => {
  const url = parseUrl(value);
  return url?.protocol === 'https:' && url.search === '' && url.hash === ''
    ? undefined
    : must('be an absolute https URL without query or fragment', 'e.g. "https://runbooks.example.com/mcp"');
};

const HOST_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The public origin of a server: https on port 443, a fully qualified DNS host (it becomes the
 * route's host and the certificate's DNS name, which an IP address or a port cannot be), no
 * path. A trailing "/" and upper-case letters are fine: the origin is normalized.
 */
export const httpsOrigin: Validator = (value) => {
  const url = parseUrl(value);
  if (!url) return must('be an absolute URL such as "https://mcp.example.com"');
  if (url.protocol !== 'https:') return must('use https', 'clients reach the server only over TLS');
  if (url.username || url.password) return must('not contain credentials');
  if (url.pathname !== '/' || url.search || url.hash) {
    return must(
      'be an origin without path, query or fragment',
      'the MCP endpoint is served at <publicUrl>/mcp',
    );
  }
  if (url.port) return must('not name a port', 'the server is published on port 443');
  const host = url.hostname;
  if (isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0) {
    return must('name a DNS host, not an IP address', 'certificates and host routing need a DNS name');
  }
  const labels = host.split('.');
  if (
    host.length > 253 ||
    labels.length < 2 ||
    !labels.every((label) => HOST_LABEL.test(label)) ||
    /^\d+$/.test(labels[labels.length - 1] ?? '')
  ) {
    return must('have a fully qualified DNS host name (letters, digits and hyphens, at least two labels)');
  }
  return undefined;
};

/**
 * An OTLP/HTTP endpoint: an absolute http or https URL without credentials, query or fragment.
 * The exporter sends traces to its path plus `/v1/traces`.
 */
export const otlpEndpoint: Validator = (value) => {
  const url = parseUrl(value);
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    return must('be an absolute http or https URL such as "http://otel-collector.observability.svc:4318"');
  }
  if (url.username || url.password) {
    return must(
      'not contain credentials',
      'a collector in the cluster needs none; keep secrets out of the manifests',
    );
  }
  if (url.search || url.hash) {
    return must('have no query or fragment', 'the exporter appends /v1/traces to the URL');
  }
  return undefined;
};

/** An OpenTelemetry `service.name`: letters, digits, ".", "_", "-" and "/", at most 255 characters. */
export const otelServiceName: Validator = (value) =>
  isString(value) && /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/.test(value)
    ? undefined
    : must('be a service name of letters, digits, ".", "_", "-" and "/", at most 255 characters');

/** An MCP tool name: 1 to 128 letters, digits, "_", "-" and ".", as the MCP specification advises. */
export const mcpToolName: Validator = (value) =>
  isString(value) && /^[A-Za-z0-9_.-]{1,128}$/.test(value)
    ? undefined
    : must('be an MCP tool name of 1 to 128 letters, digits, "_", "-" and "."');

/** An email address, as ACME accounts need. */
export const email: Validator = (value) =>
  isString(value) && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? undefined : must('be an email address');

/** A JWT claim name such as "tenant_id" or "https://example.com/org". */
export const jwtClaimName: Validator = (value) =>
  isString(value) && /^[A-Za-z_][\w.:/-]*$/.test(value)
    ? undefined
    : must('be a JWT claim name such as "tenant_id"');

/** A dotted IPv4 address as an unsigned 32-bit number, or undefined when malformed. */
function parseIpv4(text: string): number | undefined {
  const octets = text.split('.');
  if (octets.length !== 4 || !octets.every((octet) => /^(0|[1-9]\d{0,2})$/.test(octet))) return undefined;
  const values = octets.map(Number);
  if (values.some((value) => value > 255)) return undefined;
  return values.reduce((sum, value) => sum * 256 + value, 0);
}

/** An IPv4 CIDR block, or undefined when malformed; `hostBits` says whether bits are set past the prefix. */
export function parseCidr(
  text: string,
): { readonly address: number; readonly prefixLength: number; readonly hostBits: boolean } | undefined {
  const [addressText, prefixText, ...rest] = text.split('/');
  if (rest.length > 0 || prefixText === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const address = parseIpv4(addressText ?? '');
  const prefixLength = Number(prefixText);
  if (address === undefined || prefixLength > 32) return undefined;
  return { address, prefixLength, hostBits: address % 2 ** (32 - prefixLength) !== 0 };
}

/** An IPv4 CIDR block such as "10.0.0.0/16" (as NetworkPolicy `ipBlock`s take them). */
export const ipv4Cidr: Validator = (value) =>
  isString(value) && parseCidr(value) !== undefined
    ? undefined
    : must('be an IPv4 CIDR block such as "10.0.0.0/16"');

/** An AWS region such as "eu-west-1" or "us-gov-west-1". */
export const awsRegion: Validator = (value) =>
  isString(value) && /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(value)
    ? undefined
    : must('be an AWS region such as "eu-west-1"');

/** An availability zone name such as `eu-west-1a`: its region, then one letter. */
export const AVAILABILITY_ZONE = /^([a-z]{2}(-[a-z]+)+-\d+)[a-z]$/;

export const availabilityZone: Validator = (value) =>
  isString(value) && AVAILABILITY_ZONE.test(value)
    ? undefined
    : must('be an availability zone such as "eu-west-1a"');

/** AWS resource ids: a prefix and 8 or 17 lowercase hex digits. */
const AWS_ID = {
  vpc: { pattern: /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/, example: 'vpc-0a1b2c3d4e5f67890' },
  subnet: { pattern: /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/, example: 'subnet-0a1b2c3d4e5f67890' },
  sg: { pattern: /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/, example: 'sg-0a1b2c3d4e5f67890' },
} as const;

/** The id of an AWS resource of `kind`. */
export function awsId(kind: keyof typeof AWS_ID): Validator {
  const { pattern, example } = AWS_ID[kind];
  return (value) =>
    isString(value) && pattern.test(value) ? undefined : must(`be an id such as "${example}"`);
}

/** An ACM certificate ARN. */
export const acmCertificateArn: Validator = (value) =>
  isString(value) &&
  /^arn:aws(-[a-z]+)*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(
    value,
  )
    ? undefined
    : must('be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)');

/** An S3 bucket name. */
export const s3BucketName: Validator = (value) =>
  isString(value) && /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)
    ? undefined
    : must('be an S3 bucket name: 3 to 63 lowercase letters, digits, "." and "-"');

/** A prefix of S3 object keys such as "mcpenv/prod". */
export const s3KeyPrefix: Validator = (value) =>
  isString(value) && /^[\w.-]+(\/[\w.-]+)*$/.test(value)
    ? undefined
    : must('be an S3 key prefix such as "mcpenv/prod"');

/** A string with at least one non-space character. */
export const nonEmpty: Validator = (value) =>
  isString(value) && value.trim() !== '' ? undefined : must('be a non-empty string');

/** An IAM role ARN, such as the role an IRSA service account assumes. */
export const iamRoleArn: Validator = (value) =>
  isString(value) && /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(value)
    ? undefined
    : must('be an IAM role ARN such as "arn:aws:iam::123456789012:role/mcp-backup"');

/**
 * A five-field cron schedule that a Kubernetes CronJob accepts and that runs at least once (see
 * `cron.ts`); the CronJob's time zone is UTC.
 */
export const cronSchedule: Validator = (value) => {
  if (!isString(value)) return must('be a five-field cron schedule such as "0 3 * * *"');
  try {
    cronGaps(value);
    return undefined;
  } catch (error) {
    if (!(error instanceof CronSyntaxError)) throw error;
    return must(
      'be a five-field cron schedule (minute hour day-of-month month day-of-week, in UTC) that runs',
      `${error.message}; e.g. "0 3 * * *" is daily at 03:00 UTC`,
    );
  }
};
