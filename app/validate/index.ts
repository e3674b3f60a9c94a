import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { ValidationError } from '../../constructs/errors';
import { checkPolicies } from './policy';
import { type Finding, isRecord, objectRef, validateObjectSchema } from './schemas';

export { checkPolicies, NEEDS_SERVICE_ACCOUNT_TOKEN, POLICY_RULES, type PolicyRule } from './policy';
export { CRD_DIR, type Finding, SCHEMA_RULES, validateObjectSchema } from './schemas';
export { checkTerraformSecrets, scanForCredentials } from './secrets';

/** The checks on a set of manifests as a whole, by rule id. */
export const MANIFEST_RULES = {
  yaml: 'every manifest file parses as YAML',
  'duplicate-object': 'no object (group, kind, namespace and name) is defined twice',
} as const;

export interface ValidationResult {
  /** Every finding: schema checks per object, then duplicates, then policies. */
  readonly findings: Finding[];
  /** How many objects were checked. */
  readonly objects: number;
}

/** Runs the schema checks on every object, and the policies on the set as a whole. */
export function validateManifests(objects: readonly unknown[]): ValidationResult {
  return {
    findings: [
      ...objects.flatMap(validateObjectSchema),
      ...duplicateObjects(objects),
      ...checkPolicies(objects),
    ],
    objects: objects.length,
  };
}

/** Objects with the same group, kind, namespace and name: `kubectl apply` would keep only the last. */
function duplicateObjects(objects: readonly unknown[]): Finding[] {
  const counts = new Map<string, number>();
  const findings: Finding[] = [];
  for (const object of objects) {
    if (!isRecord(object) || !isRecord(object.metadata)) continue;
    const { apiVersion, kind, metadata } = object;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof metadata.name !== 'string') {
      continue;
    }
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    const key = JSON.stringify([group, kind, metadata.namespace ?? '', metadata.name]);
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (count === 2) {
      findings.push({
        objectRef: objectRef(object),
        path: '',
        message:
          'is defined more than once, and kubectl apply would keep only the last; remove or rename the others',
        rule: 'duplicate-object',
      });
    }
  }
  return findings;
}

/** One object read from a manifest file. */
export interface Manifest {
  readonly object: unknown;
  /** The file, as the folder given to `readManifestFiles` joined with its path inside it. */
  readonly file: string;
  /** Line (1-based) where the object's YAML document starts (its first field). */
  readonly line: number;
}

export interface ManifestFiles {
  readonly manifests: Manifest[];
  /** Every file read, sorted. */
  readonly files: string[];
  /** YAML errors, each with its file and line; a document with errors yields no object. */
  readonly findings: Finding[];
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml'];

/**
 * Reads every YAML file (`*.k8s.yaml` included) under `dir`, in sorted order, each holding any
 * number of documents. Empty documents are skipped.
 */
export function readManifestFiles(dir: string): ManifestFiles {
  const files = listManifestFiles(dir);
  const manifests: Manifest[] = [];
  const findings: Finding[] = [];
  for (const file of files) {
    const lineCounter = new LineCounter();
    const documents = parseAllDocuments(fs.readFileSync(file, 'utf8'), { lineCounter, uniqueKeys: true });
    for (const document of documents) {
      // Where the content starts: after the `---` and any comment before it.
      const line = lineCounter.linePos(document.contents?.range[0] ?? document.range[0]).line;
      const yamlError = (message: string, at = line): Finding => ({
        objectRef: file,
        path: '',
        message: `YAML error at line ${at}: ${message.split('\n')[0]}`,
        rule: 'yaml',
        file,
        line: at,
      });
      if (document.errors.length > 0) {
        findings.push(...document.errors.map((error) => yamlError(error.message, error.linePos?.[0].line)));
        continue;
      }
      let object: unknown;
      try {
        object = document.toJS();
      } catch (error) {
        findings.push(yamlError((error as Error).message));
        continue;
      }
      if (object !== null && object !== undefined) manifests.push({ object, file, line });
    }
  }
  return { manifests, files, findings };
}

function listManifestFiles(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new ValidationError(`cannot read the manifests folder ${dir}: ${(error as Error).message}`);
  }
  return (
    entries
      // Names in one folder are unique; plain code-unit order keeps the listing locale-independent.
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) return listManifestFiles(full);
        return entry.isFile() && MANIFEST_EXTENSIONS.some((extension) => entry.name.endsWith(extension))
          ? [full]
          : [];
      })
  );
}

/**
 * Reads and validates every manifest under `dir`; findings about an object carry the file (and
 * line) it came from. For `mcpenv validate`.
 */
export function validateManifestFiles(dir: string): ValidationResult & { readonly files: string[] } {
  const { manifests, files, findings: yamlFindings } = readManifestFiles(dir);
  const sources = new Map<string, Manifest>();
  for (const manifest of manifests) {
    const ref = objectRef(manifest.object);
    if (!sources.has(ref)) sources.set(ref, manifest);
  }
  const { findings, objects } = validateManifests(manifests.map((manifest) => manifest.object));
  const located = findings.map((finding) => {
    const source = sources.get(finding.objectRef);
    return source === undefined ? finding : { ...finding, file: source.file, line: source.line };
  });
  return { findings: [...yamlFindings, ...located], objects, files };
}
