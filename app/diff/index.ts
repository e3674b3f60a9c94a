import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '../../constructs/errors';
import { readManifestFiles } from '../validate';
import {
  FORCE_NEW_ATTRIBUTES,
  IMMUTABLE_KUBERNETES_FIELDS,
  SECRET_KEY,
  MONITORING_KINDS_ON_REMOVAL,
  MONITORING_RULES,
  SECURITY_KINDS_ON_REMOVAL,
  SECURITY_RULES,
  STATEFUL_KINDS,
  STATEFUL_TERRAFORM_TYPES,
} from './rules';

export type RiskLevel = 'destroy' | 'replace' | 'security' | 'monitoring';

export interface Risk {
  readonly level: RiskLevel;
  readonly message: string;
}

export interface FieldChange {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface DiffItem {
  readonly side: 'terraform' | 'kubernetes';
  /** `<stack>: <type>.<name>` or `<apiVersion> <kind> <namespace>/<name>`. */
  readonly address: string;
  readonly action: 'added' | 'removed' | 'changed';
  readonly changes: readonly FieldChange[];
  readonly risks: readonly Risk[];
}

export interface DiffReport {
  readonly items: readonly DiffItem[];
  readonly summary: {
    readonly added: number;
    readonly removed: number;
    readonly changed: number;
    readonly destroy: number;
    readonly replace: number;
    readonly security: number;
    readonly monitoring: number;
  };
}

interface Entry {
  readonly side: DiffItem['side'];
  readonly type: string;
  readonly value: Record<string, unknown>;
}

/** Drops cdktf's `//` metadata, which churns without changing anything deployed. */
function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== '//')
        .map(([key, child]) => [key, withoutMetadata(child)]),
    );
  }
  return value;
}

/** Everything a synth output deploys, keyed by a stable address. */
export function loadSnapshot(dir: string): Map<string, Entry> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new ValidationError(`${dir} is not a synth output folder: run \`mcpenv synth --out ${dir}\` first`);
  }
  const entries = new Map<string, Entry>();
  const stacksDir = path.join(dir, 'terraform', 'stacks');
  const stacks = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort() : [];
  for (const stack of stacks) {
    const file = path.join(stacksDir, stack, 'cdk.tf.json');
    if (!fs.existsSync(file)) continue;
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      resource?: Record<string, Record<string, unknown>>;
    };
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      // These mirror the chart's objects one to one: reported once, on the Kubernetes side.
      if (type === 'kubernetes_manifest') continue;
      for (const [name, config] of Object.entries(byName)) {
        entries.set(`${stack}: ${type}.${name}`, {
          side: 'terraform',
          type,
          value: withoutMetadata(config) as Record<string, unknown>,
        });
      }
    }
  }
  const kubernetesDir = path.join(dir, 'kubernetes');
  if (fs.existsSync(kubernetesDir)) {
    const { manifests, findings } = readManifestFiles(kubernetesDir);
    if (findings.length > 0) {
      throw new ValidationError(`${kubernetesDir} has unreadable YAML: ${findings[0]?.message}`);
    }
    for (const { object } of manifests) {
      const o = object as {
        apiVersion?: string;
        kind?: string;
        metadata?: { name?: string; namespace?: string };
      };
      const address = `${o.apiVersion} ${o.kind} ${o.metadata?.namespace ?? '(cluster)'}/${o.metadata?.name}`;
      entries.set(address, {
        side: 'kubernetes',
        type: String(o.kind),
        value: object as Record<string, unknown>,
      });
    }
  }
  return entries;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Field-level differences; object keys compare by name (key order is not a change). */
export function diffValues(before: unknown, after: unknown, at = ''): FieldChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffValues(before[key], after[key], at ? `${at}.${key}` : key));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    return Array.from({ length }, (_, index) =>
      diffValues(before[index], after[index], `${at}[${index}]`),
    ).flat();
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [
    { path: at, ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) },
  ];
}

function risksOf(entry: Entry, action: DiffItem['action'], changes: readonly FieldChange[]): Risk[] {
  const risks: Risk[] = [];
  const stateful =
    entry.side === 'terraform' ? STATEFUL_TERRAFORM_TYPES.has(entry.type) : STATEFUL_KINDS.has(entry.type);
  const manifestKind =
    entry.type === 'kubernetes_manifest'
      ? String((entry.value.manifest as { kind?: string })?.kind)
      : undefined;
  if (action === 'removed') {
    if (stateful && (manifestKind === undefined || STATEFUL_KINDS.has(manifestKind))) {
      risks.push({ level: 'destroy', message: `removing ${entry.type} destroys it and its data` });
    }
    const security = SECURITY_KINDS_ON_REMOVAL[manifestKind ?? entry.type];
    if (security) risks.push({ level: 'security', message: security });
    const monitoring = MONITORING_KINDS_ON_REMOVAL[manifestKind ?? entry.type];
    if (monitoring) risks.push({ level: 'monitoring', message: monitoring });
  }
  if (action === 'changed') {
    const forceNew =
      entry.side === 'terraform'
        ? (FORCE_NEW_ATTRIBUTES[entry.type] ?? [])
        : (IMMUTABLE_KUBERNETES_FIELDS[entry.type] ?? []);
    const immutable =
      manifestKind !== undefined
        ? (IMMUTABLE_KUBERNETES_FIELDS[manifestKind] ?? []).map((f) => `manifest.${f}`)
        : [];
    for (const change of changes) {
      const hit = [...forceNew, ...immutable].find(
        (field) =>
          change.path === field || change.path.startsWith(`${field}.`) || change.path.startsWith(`${field}[`),
      );
      if (hit)
        risks.push({
          level: 'replace',
          message: `changing ${hit} replaces the ${manifestKind ?? entry.type}`,
        });
    }
  }
  for (const change of changes) {
    const field = change.path.replace(/^manifest\./, '');
    for (const rule of SECURITY_RULES) {
      if (rule.path.test(field) && rule.weakens(change.before, change.after)) {
        risks.push({ level: 'security', message: `${rule.message} (${change.path})` });
      }
    }
  }
  if (action === 'changed') {
    const kind = manifestKind ?? entry.type;
    for (const rule of MONITORING_RULES.filter((r) => r.kind === kind)) {
      if (changes.some((change) => rule.path.test(change.path.replace(/^manifest\./, '')))) {
        risks.push({ level: 'monitoring', message: rule.message });
      }
    }
  }
  const unique = new Map(risks.map((risk) => [`${risk.level}:${risk.message}`, risk]));
  return [...unique.values()];
}

/** Compares two synth outputs: what a deploy of `head` would change over `base`. */
export function diffOutputs(baseDir: string, headDir: string): DiffReport {
  const base = loadSnapshot(baseDir);
  const head = loadSnapshot(headDir);
  const addresses = [...new Set([...base.keys(), ...head.keys()])].sort();
  const items: DiffItem[] = [];
  for (const address of addresses) {
    const before = base.get(address);
    const after = head.get(address);
    const entry = (after ?? before) as Entry;
    const action: DiffItem['action'] =
      before === undefined ? 'added' : after === undefined ? 'removed' : 'changed';
    const changes = diffValues(before?.value, after?.value);
    if (action === 'changed' && changes.length === 0) continue;
    items.push({
      side: entry.side,
      address,
      action,
      changes: action === 'changed' ? changes : [],
      risks: risksOf(entry, action, action === 'added' ? diffValues({}, after?.value) : changes),
    });
  }
  const count = (level: RiskLevel) =>
    items.filter((item) => item.risks.some((risk) => risk.level === level)).length;
  return {
    items,
    summary: {
      added: items.filter((i) => i.action === 'added').length,
      removed: items.filter((i) => i.action === 'removed').length,
      changed: items.filter((i) => i.action === 'changed').length,
      destroy: count('destroy'),
      replace: count('replace'),
      security: count('security'),
      monitoring: count('monitoring'),
    },
  };
}

/** A value as a report shows it: secrets masked, long values cut. */
export function showDiffValue(path: string, value: unknown): string {
  if (value === undefined) return '(none)';
  const key = path.split('.').pop() ?? '';
  if (SECRET_KEY.test(key) && !(typeof value === 'string' && value.startsWith('${'))) return '(masked)';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
