import { ValidationError } from '../../constructs/errors';
import { isRecord } from '../validate/schemas';
import {
  DATA_LOSS_NOTES,
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
import { loadSnapshot, SNAPSHOT_LAYOUTS, type SnapshotEntry } from './snapshot';

export { loadSnapshot, SNAPSHOT_LAYOUTS, type Snapshot, type SnapshotLayout } from './snapshot';

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
  /**
   * `<stack>: <type>.<name>` (a resource; other blocks as Terraform names them: `data.<type>.<name>`,
   * `provider.<name>`, `module.<name>`, ...) or `<apiVersion> <kind> <namespace>/<name>`.
   */
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

/** Field-level differences; object keys compare by name (key order is not a change). */
export function diffValues(before: unknown, after: unknown, at = ''): FieldChange[] {
  if (isRecord(before) && isRecord(after)) {
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

/** What a message names: the object's kind for a `kubernetes_manifest`, else the type. */
function kindOf(entry: SnapshotEntry): string {
  if (entry.type !== 'kubernetes_manifest') return entry.type;
  const manifest = isRecord(entry.value) ? entry.value.manifest : undefined;
  return isRecord(manifest) ? String(manifest.kind) : entry.type;
}

function isStateful(entry: SnapshotEntry): boolean {
  const ofObjectKind = entry.side === 'kubernetes' || entry.type === 'kubernetes_manifest';
  return ofObjectKind ? STATEFUL_KINDS.has(kindOf(entry)) : STATEFUL_TERRAFORM_TYPES.has(entry.type);
}

/** The fields whose change replaces the entry: Terraform's force-new attributes, Kubernetes' immutable fields. */
function replacingFields(entry: SnapshotEntry): readonly string[] {
  if (entry.side === 'kubernetes') return IMMUTABLE_KUBERNETES_FIELDS[entry.type] ?? [];
  const forceNew = FORCE_NEW_ATTRIBUTES[entry.type] ?? [];
  if (entry.type !== 'kubernetes_manifest') return forceNew;
  return [
    ...forceNew,
    ...(IMMUTABLE_KUBERNETES_FIELDS[kindOf(entry)] ?? []).map((field) => `manifest.${field}`),
  ];
}

function dataLoss(kind: string, what: string, otherwise?: string): string {
  const note = DATA_LOSS_NOTES[kind] ?? otherwise;
  return note === undefined ? what : `${what}: ${note}`;
}

function risksOf(entry: SnapshotEntry, action: DiffItem['action'], changes: readonly FieldChange[]): Risk[] {
  const risks: Risk[] = [];
  const kind = kindOf(entry);
  if (action === 'removed') {
    if (isStateful(entry)) {
      risks.push({
        level: 'destroy',
        message: dataLoss(kind, `removing the ${kind} destroys it and its data`),
      });
    }
    const security = SECURITY_KINDS_ON_REMOVAL[kind];
    if (security) risks.push({ level: 'security', message: security });
    const monitoring = MONITORING_KINDS_ON_REMOVAL[kind];
    if (monitoring) risks.push({ level: 'monitoring', message: monitoring });
  }
  if (action === 'changed') {
    const fields = replacingFields(entry);
    const replacedBy = changes.flatMap((change) =>
      fields.filter(
        (field) =>
          change.path === field || change.path.startsWith(`${field}.`) || change.path.startsWith(`${field}[`),
      ),
    );
    for (const field of replacedBy) {
      risks.push({ level: 'replace', message: `changing ${field} replaces the ${kind}` });
    }
    // A replacement deletes the old resource before or after creating the new, empty one.
    if (replacedBy.length > 0 && isStateful(entry)) {
      risks.push({
        level: 'destroy',
        message: dataLoss(
          kind,
          `the replacement destroys the ${kind} and its data`,
          'the new one starts empty',
        ),
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
    for (const rule of MONITORING_RULES.filter((r) => r.kind === kind)) {
      if (changes.some((change) => rule.path.test(change.path.replace(/^manifest\./, '')))) {
        risks.push({ level: 'monitoring', message: rule.message });
      }
    }
  }
  const unique = new Map(risks.map((risk) => [`${risk.level}:${risk.message}`, risk]));
  return [...unique.values()];
}

/**
 * Compares two outputs of one layout (see `SNAPSHOT_LAYOUTS`): what a deploy of `head` would
 * change over `base`.
 */
export function diffOutputs(baseDir: string, headDir: string): DiffReport {
  const base = loadSnapshot(baseDir);
  const head = loadSnapshot(headDir);
  if (base.layout !== head.layout) {
    throw new ValidationError(
      `the base ${baseDir} is ${SNAPSHOT_LAYOUTS[base.layout]}, but the head ${headDir} is ` +
        `${SNAPSHOT_LAYOUTS[head.layout]}: compare two folders of one layout ` +
        '(an `mcpenv synth` output holds a cdktf output in terraform/ and manifests in kubernetes/)',
    );
  }
  const addresses = [...new Set([...base.entries.keys(), ...head.entries.keys()])].sort();
  const items: DiffItem[] = [];
  for (const address of addresses) {
    const before = base.entries.get(address);
    const after = head.entries.get(address);
    const entry = (after ?? before) as SnapshotEntry;
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
