import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { showValue } from '../../constructs/errors';
import { PACKAGE_ROOT } from '../paths';

/** One problem with one object, worded so that it says how to fix it. */
export interface Finding {
  /** The object: `<apiVersion> <kind> <namespace>/<name>`, e.g. `apps/v1 Deployment mcp-prod/mcp-server`. */
  readonly objectRef: string;
  /** Field path in the object, e.g. `spec.template.spec.containers[0].image`; empty for the whole object. */
  readonly path: string;
  readonly message: string;
  /** Id of the check that found it: a key of `SCHEMA_RULES`, `POLICY_RULES` or `MANIFEST_RULES`. */
  readonly rule: string;
  /** File the object was read from, when it came from one. */
  readonly file?: string;
  /** Line in `file` (1-based) where the object's YAML document, or the YAML error, starts. */
  readonly line?: number;
}

/** The checks `validateObjectSchema` runs, by rule id. */
export const SCHEMA_RULES = {
  schema: 'the kind is known and the object matches its OpenAPI schema (built-in kind or vendored CRD)',
  'unknown-field': 'no field the schema does not declare: the API server would drop it without a word',
  metadata: 'name, namespace, label and annotation keys and values follow the Kubernetes naming rules',
} as const;

/** The vendored CRDs whose kinds can be validated (see SOURCES.md there). */
export const CRD_DIR = path.join(PACKAGE_ROOT, 'constructs', 'k8s', 'crds');

/** A field path as segments: strings for object keys, numbers for list indexes. */
export type FieldPath = readonly (string | number)[];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `spec.containers[0].image`; keys that are not plain words are quoted: `labels["app.kubernetes.io/name"]`. */
export function formatPath(segments: FieldPath): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** How findings name an object: `apps/v1 Deployment mcp-prod/mcp-server`. */
export function objectRef(object: unknown): string {
  if (!isRecord(object)) return `(${showValue(object)}, not an object)`;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '(no apiVersion)';
  const kind = typeof object.kind === 'string' ? object.kind : '(no kind)';
  const namespace = typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : '';
  const name = typeof metadata.name === 'string' ? metadata.name : '(no name)';
  return `${apiVersion} ${kind} ${namespace}${name}`;
}

/** A finding before it is tied to an object. */
interface Problem {
  readonly path: FieldPath;
  readonly message: string;
  readonly rule: keyof typeof SCHEMA_RULES;
}

/** The fields of an Ajv error that both kubernetes-models' compiled validators and Ajv set. */
interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

/** Validates one parsed object (apiVersion, kind and metadata included) against the schema of its kind. */
type KindValidator = (data: Record<string, unknown>) => Problem[];

/**
 * Checks one Kubernetes object against the schema of its kind: built-in kinds with the
 * kubernetes-models schemas, custom resources with the CRDs in `CRD_DIR`. A kind with neither is
 * a finding, never accepted unchecked.
 */
export function validateObjectSchema(object: unknown): Finding[] {
  const ref = objectRef(object);
  const toFinding = (problem: Problem): Finding => ({
    objectRef: ref,
    path: formatPath(problem.path),
    message: problem.message,
    rule: problem.rule,
  });
  if (!isRecord(object)) {
    return [
      toFinding({
        path: [],
        message: 'must be an object with apiVersion, kind and metadata',
        rule: 'schema',
      }),
    ];
  }
  let data: Record<string, unknown>;
  try {
    // What reaches the API server is JSON: undefined fields vanish, and the copy is safe to proxy.
    data = JSON.parse(JSON.stringify(object)) as Record<string, unknown>;
  } catch (error) {
    const message = `cannot be written as JSON (${(error as Error).message}): manifests are plain data`;
    return [toFinding({ path: [], message, rule: 'schema' })];
  }

  const problems = metadataProblems(data);
  for (const field of ['apiVersion', 'kind']) {
    const value = data[field];
    if (typeof value !== 'string' || value === '') {
      problems.push({
        path: [field],
        message: `must be a non-empty string (got ${showValue(value)})`,
        rule: 'schema',
      });
    }
  }
  const { apiVersion, kind } = data;
  if (typeof apiVersion === 'string' && typeof kind === 'string' && apiVersion !== '' && kind !== '') {
    const validate = builtInValidator(apiVersion, kind) ?? customResourceValidator(apiVersion, kind);
    if (validate === undefined) {
      problems.push({ path: [], message: unknownKind(apiVersion, kind), rule: 'schema' });
    } else {
      problems.push(...validate(data));
    }
  }
  return dedupe(problems).map(toFinding);
}

function dedupe(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.rule} ${formatPath(problem.path)} ${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds: kubernetes-models

/** The part of a kubernetes-models class this module uses. */
interface ModelClass {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly prototype: { validate(this: unknown): void };
}

const builtInValidators = new Map<string, KindValidator | undefined>();

// Both keep the computed module name inside kubernetes-models' export map ("./apps/v1/*").
const API_VERSION =
  /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?v\d+(?:(?:alpha|beta)\d+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

function builtInValidator(apiVersion: string, kind: string): KindValidator | undefined {
  const key = `${apiVersion} ${kind}`;
  if (!builtInValidators.has(key)) {
    const model = loadModel(apiVersion, kind);
    builtInValidators.set(key, model && ((data) => validateWithModel(model, data)));
  }
  return builtInValidators.get(key);
}

/**
 * The kubernetes-models class of a kind, or undefined when the package has none. Loaded on first
 * use: the package holds 221 kinds, and loading them all takes about a second.
 */
function loadModel(apiVersion: string, kind: string): ModelClass | undefined {
  if (!API_VERSION.test(apiVersion) || !KIND.test(kind)) return undefined;
  let exports: Record<string, ModelClass | undefined>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a computed, synchronous load
    exports = require(`kubernetes-models/${apiVersion}/${kind}`) as Record<string, ModelClass | undefined>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return undefined;
    throw error;
  }
  const model = exports[kind];
  // Every schema type has a class (DeploymentSpec, ...); only the API's kinds carry apiVersion and kind.
  return model?.apiVersion === apiVersion && model.kind === kind ? model : undefined;
}

/**
 * Runs a kind's compiled validator, and finds unknown fields by watching which keys it reads:
 * the Kubernetes OpenAPI schema never sets additionalProperties: false, but the validator Ajv
 * compiled from it reads every property an object's schema declares (and every key of a map),
 * with allErrors on. A key it never read is one the schema does not know. An object none of
 * whose keys were read has a free-form schema (fieldsV1, RawExtension) and is not checked.
 */
function validateWithModel(model: ModelClass, data: Record<string, unknown>): Problem[] {
  const reads = new WeakMap<object, Set<string>>();
  const proxies = new WeakMap<object, unknown>();
  const watch = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    let proxy = proxies.get(value);
    if (proxy === undefined) {
      const keys = new Set<string>();
      reads.set(value, keys);
      proxy = new Proxy(value, {
        get(target, key, receiver) {
          if (typeof key === 'string') keys.add(key);
          return watch(Reflect.get(target, key, receiver));
        },
      });
      proxies.set(value, proxy);
    }
    return proxy;
  };

  let errors: readonly AjvError[] = [];
  try {
    model.prototype.validate.call(watch(data));
  } catch (error) {
    const details = (error as { errors?: unknown }).errors;
    if (!Array.isArray(details)) throw error;
    errors = details as AjvError[];
  }
  const problems = errors.map((error) => fromAjvError(error, data));

  const visit = (value: unknown, at: FieldPath): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...at, index]));
    } else if (isRecord(value)) {
      const read = reads.get(value);
      const checked = read !== undefined && read.size > 0;
      for (const [key, child] of Object.entries(value)) {
        if (checked && !read.has(key)) problems.push(unknownField([...at, key]));
        else visit(child, [...at, key]);
      }
    }
  };
  visit(data, []);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Custom resources: the vendored CRDs, compiled with Ajv

let crdVersions: Map<string, AnySchemaObject> | undefined;
const crdValidators = new Map<string, KindValidator>();

/** Every served version of every vendored CRD, by `<group>/<version> <kind>`; read once. */
function customResourceVersions(): Map<string, AnySchemaObject> {
  if (crdVersions !== undefined) return crdVersions;
  const versions = new Map<string, AnySchemaObject>();
  let files: string[];
  try {
    files = fs.readdirSync(CRD_DIR).filter((name) => name.endsWith('.yaml'));
  } catch (error) {
    // A packaging mistake, not bad input: the CRDs must ship with mcpenv.
    throw new Error(`cannot read the vendored CRDs in ${CRD_DIR}: ${(error as Error).message}`);
  }
  for (const file of files.sort()) {
    const full = path.join(CRD_DIR, file);
    for (const doc of parseAllDocuments(fs.readFileSync(full, 'utf8'))) {
      if (doc.errors.length > 0) {
        throw new Error(`cannot read the vendored CRD ${full}: ${doc.errors[0]?.message}`);
      }
      const crd: unknown = doc.toJS();
      if (!isRecord(crd) || crd.kind !== 'CustomResourceDefinition' || !isRecord(crd.spec)) continue;
      const { group, names, versions: served } = crd.spec;
      if (typeof group !== 'string' || !isRecord(names) || typeof names.kind !== 'string') continue;
      for (const version of Array.isArray(served) ? served : []) {
        if (!isRecord(version) || version.served === false || !isRecord(version.schema)) continue;
        const schema = version.schema.openAPIV3Schema;
        if (!isRecord(schema)) continue;
        versions.set(`${group}/${String(version.name)} ${names.kind}`, schema as AnySchemaObject);
      }
    }
  }
  crdVersions = versions;
  return versions;
}

function customResourceValidator(apiVersion: string, kind: string): KindValidator | undefined {
  const key = `${apiVersion} ${kind}`;
  const cached = crdValidators.get(key);
  if (cached !== undefined) return cached;
  const schema = customResourceVersions().get(key);
  if (schema === undefined) return undefined;
  const validate = crdAjv().compile(strictSchema(schema, true));
  const validator: KindValidator = (data) => validateCustomResource(validate, data);
  crdValidators.set(key, validator);
  return validator;
}

function validateCustomResource(validate: ValidateFunction, data: Record<string, unknown>): Problem[] {
  const problems = validate(data) ? [] : (validate.errors ?? []).map((error) => fromAjvError(error, data));
  // The API server checks a custom resource's metadata as ObjectMeta, whatever its CRD says (the
  // CRD schema may only narrow the name). Every built-in kind carries the same ObjectMeta schema.
  if (data.metadata !== undefined) {
    const configMap = builtInValidator('v1', 'ConfigMap');
    const carrier = { apiVersion: 'v1', kind: 'ConfigMap', metadata: data.metadata };
    problems.push(...(configMap?.(carrier) ?? []).filter((problem) => problem.path[0] === 'metadata'));
  }
  return problems;
}

let sharedAjv: Ajv | undefined;

function crdAjv(): Ajv {
  if (sharedAjv !== undefined) return sharedAjv;
  const ajv = new Ajv({ strict: false, allErrors: true, code: { regExp: goRegExp } });
  const isInteger = (min: number, max: number) => (value: number) =>
    Number.isInteger(value) && value >= min && value <= max;
  ajv.addFormat('int32', { type: 'number', validate: isInteger(-(2 ** 31), 2 ** 31 - 1) });
  // Beyond 2^53 a JavaScript number has already lost the digits that would tell.
  ajv.addFormat('int64', { type: 'number', validate: (value: number) => Number.isInteger(value) });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/);
  // Go's time.ParseDuration: "1h30m", "250ms", "0".
  ajv.addFormat('duration', /^[-+]?(?:0|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/);
  ajv.addFormat('uri', (value: string) => URL.canParse(value));
  ajv.addFormat(
    'hostname',
    /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i,
  );
  ajv.addFormat('ipv4', (value: string) => net.isIPv4(value));
  ajv.addFormat('ipv6', (value: string) => net.isIPv6(value));
  sharedAjv = ajv;
  return ajv;
}

/**
 * CRD patterns are Go regular expressions; the one construct the vendored CRDs use that
 * JavaScript lacks is `(?i)` (ignore case) at the start, as in `^(?i)(abort|warn)?$`. There it
 * covers the whole pattern, so it becomes the `i` flag.
 */
const goRegExp = Object.assign(
  (pattern: string, flags: string) => {
    const ignoreCase = /^(\^?)\(\?i\)/.exec(pattern);
    return ignoreCase === null
      ? new RegExp(pattern, flags)
      : new RegExp(ignoreCase[1] + pattern.slice(ignoreCase[0].length), `${flags}i`);
  },
  { code: 'new RegExp' },
);

/**
 * A CRD schema as the API server applies it, in Ajv's terms: `x-kubernetes-int-or-string` is an
 * integer or a string, and an object that declares its properties, without
 * `x-kubernetes-preserve-unknown-fields`, gets additionalProperties: false. The API server
 * prunes such unknown fields without a word, so a misspelt field would vanish; here it is a
 * finding (as kubeconform's strict mode does). Combinators (allOf, anyOf, oneOf, not) only
 * restrict values in a structural schema, so they are left as they are.
 */
function strictSchema(node: AnySchemaObject, root = false): AnySchemaObject {
  // Descriptions are most of a CRD's bulk and mean nothing to Ajv.
  const { description: _description, ...schema } = node;
  if (node['x-kubernetes-int-or-string'] === true) {
    schema.type = ['integer', 'string'];
    if (isIntOrStringPair(node.anyOf)) delete schema.anyOf;
  }
  if (isRecord(node.properties)) {
    schema.properties = Object.fromEntries(
      Object.entries(node.properties).map(([key, child]) => [key, strictSchema(child as AnySchemaObject)]),
    );
    const open =
      node['x-kubernetes-preserve-unknown-fields'] === true ||
      node['x-kubernetes-embedded-resource'] === true ||
      node.additionalProperties !== undefined;
    if (!open) schema.additionalProperties = false;
  }
  if (isRecord(node.items)) schema.items = strictSchema(node.items);
  if (isRecord(node.additionalProperties)) {
    schema.additionalProperties = strictSchema(node.additionalProperties);
  }
  if (root && isRecord(schema.properties)) {
    // metadata is checked as ObjectMeta instead (see validateCustomResource).
    schema.properties = { ...schema.properties, metadata: { type: 'object' } };
  }
  return schema;
}

function isIntOrStringPair(anyOf: unknown): boolean {
  return (
    Array.isArray(anyOf) &&
    anyOf.length === 2 &&
    anyOf.every((branch) => isRecord(branch) && Object.keys(branch).length === 1) &&
    anyOf.some((branch) => branch.type === 'integer') &&
    anyOf.some((branch) => branch.type === 'string')
  );
}

function unknownKind(apiVersion: string, kind: string): string {
  const custom = [...customResourceVersions().keys()];
  const sameKind = custom.filter((key) => key.endsWith(` ${kind}`));
  const hint =
    sameKind.length > 0
      ? `the vendored CRD serves ${sameKind.join(', ')}`
      : `built-in kinds come from kubernetes-models, custom resources from the CRDs in ` +
        `constructs/k8s/crds (${custom.join(', ')})`;
  return (
    `unknown kind: no schema for ${apiVersion} ${kind}; ${hint}. ` +
    'Fix apiVersion or kind, or vendor the CRD that defines it'
  );
}

// ---------------------------------------------------------------------------------------------
// Ajv errors as findings

function fromAjvError(error: AjvError, data: unknown): Problem {
  const at = pointerToPath(error.instancePath, data);
  const got = valueAt(data, at);
  const { params } = error;
  switch (error.keyword) {
    case 'required':
      return {
        path: [...at, String(params.missingProperty)],
        message: 'is required but missing',
        rule: 'schema',
      };
    case 'additionalProperties':
      return unknownField([...at, String(params.additionalProperty)]);
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues)
        ? params.allowedValues.map((v) => showValue(v))
        : [];
      return {
        path: at,
        message: `must be one of ${allowed.join(', ')} (got ${showValue(got)})`,
        rule: 'schema',
      };
    }
    case 'type': {
      const types = Array.isArray(params.type) ? params.type.join(' or ') : String(params.type);
      return { path: at, message: `must be of type ${types} (got ${showValue(got)})`, rule: 'schema' };
    }
    default:
      return {
        path: at,
        message: `${error.message ?? error.keyword} (got ${showValue(got)})`,
        rule: 'schema',
      };
  }
}

function unknownField(at: FieldPath): Problem {
  return {
    path: at,
    message: 'unknown field: the API server would drop it without a word; check its spelling and level',
    rule: 'unknown-field',
  };
}

/** `/spec/containers/0` -> ['spec', 'containers', 0]; a segment is an index only where the data holds a list. */
function pointerToPath(pointer: string, data: unknown): FieldPath {
  const at: (string | number)[] = [];
  let node = data;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(segment)) {
      at.push(Number(segment));
      node = node[Number(segment)];
    } else {
      at.push(segment);
      node = isRecord(node) ? node[segment] : undefined;
    }
  }
  return at;
}

function valueAt(data: unknown, at: FieldPath): unknown {
  let node = data;
  for (const segment of at) {
    if (typeof segment === 'number') node = Array.isArray(node) ? node[segment] : undefined;
    else node = isRecord(node) ? node[segment] : undefined;
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Names, labels and annotations (the rules of k8s.io/apimachinery/pkg/util/validation)

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

const isDns1123Label = (name: string) => name.length <= 63 && DNS1123_LABEL.test(name);
const isDns1123Subdomain = (name: string) => name.length <= 253 && DNS1123_SUBDOMAIN.test(name);

interface NameRule {
  readonly test: (name: string) => boolean;
  readonly description: string;
}

const SUBDOMAIN_NAME: NameRule = {
  test: isDns1123Subdomain,
  description:
    "a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters",
};
const LABEL_NAME: NameRule = {
  test: isDns1123Label,
  description:
    "a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
};
const SERVICE_NAME: NameRule = {
  test: (name) => name.length <= 63 && DNS1035_LABEL.test(name),
  description:
    "a DNS-1035 label: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters",
};
/** RBAC objects may be named like `system:controller:foo`: anything that fits in a URL path segment. */
const PATH_SEGMENT_NAME: NameRule = {
  test: (name) => name !== '.' && name !== '..' && !/[/%]/.test(name),
  description: "a path segment: no '/' or '%', and not '.' or '..'",
};

function nameRule(apiVersion: unknown, kind: unknown): NameRule {
  if (apiVersion === 'v1' && kind === 'Service') return SERVICE_NAME;
  if (apiVersion === 'v1' && kind === 'Namespace') return LABEL_NAME;
  if (typeof apiVersion === 'string' && apiVersion.startsWith('rbac.authorization.k8s.io/')) {
    return PATH_SEGMENT_NAME;
  }
  return SUBDOMAIN_NAME;
}

/** Label and annotation keys: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
function isQualifiedName(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

const QUALIFIED_NAME_RULE =
  "an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', " +
  'starting and ending with a letter or digit';

/** Checks name, namespace, labels and annotations; their types are the schema's business. */
function metadataProblems(data: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const report = (at: FieldPath, message: string) => problems.push({ path: at, message, rule: 'metadata' });
  const { metadata } = data;
  if (!isRecord(metadata)) {
    report(['metadata', 'name'], 'is required but missing: set metadata.name');
    return problems;
  }

  const rule = nameRule(data.apiVersion, data.kind);
  if (metadata.name === undefined || metadata.name === '') {
    report(['metadata', 'name'], 'is required but missing: set metadata.name');
  } else if (typeof metadata.name === 'string' && !rule.test(metadata.name)) {
    report(['metadata', 'name'], `must be ${rule.description} (got ${showValue(metadata.name)})`);
  }
  if (typeof metadata.namespace === 'string' && !isDns1123Label(metadata.namespace)) {
    report(
      ['metadata', 'namespace'],
      `must be ${LABEL_NAME.description} (got ${showValue(metadata.namespace)})`,
    );
  }

  if (isRecord(metadata.labels)) {
    for (const [key, value] of Object.entries(metadata.labels)) {
      const at = ['metadata', 'labels', key];
      if (!isQualifiedName(key)) report(at, `key must be ${QUALIFIED_NAME_RULE} (got ${showValue(key)})`);
      if (typeof value === 'string' && (value.length > 63 || !LABEL_VALUE.test(value))) {
        report(
          at,
          'value must be at most 63 letters, digits, ' +
            "'-', '_' or '.', starting and ending with a letter or digit, or empty " +
            `(got ${showValue(value)}); put longer text in an annotation`,
        );
      }
    }
  }

  if (isRecord(metadata.annotations)) {
    let bytes = 0;
    for (const [key, value] of Object.entries(metadata.annotations)) {
      if (!isQualifiedName(key)) {
        report(
          ['metadata', 'annotations', key],
          `key must be ${QUALIFIED_NAME_RULE} (got ${showValue(key)})`,
        );
      }
      bytes += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
    }
    if (bytes > MAX_ANNOTATIONS_BYTES) {
      report(
        ['metadata', 'annotations'],
        `must total at most 256 KiB of keys and values (got ${bytes} bytes); move the data into a ConfigMap`,
      );
    }
  }
  return problems;
}
