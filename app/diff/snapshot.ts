import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '../../constructs/errors';
import { OUTPUT_MARKER } from '../output';
import { type ManifestFiles, readManifestFiles } from '../validate';
import { isRecord } from '../validate/schemas';

/** The folder layouts `mcpenv diff` reads, each worded as its messages name it. */
export const SNAPSHOT_LAYOUTS = {
  mcpenv: `an \`mcpenv synth\` output (${OUTPUT_MARKER} next to kubernetes/ and terraform/)`,
  cdktf:
    'a cdktf output folder (manifest.json and stacks/<stack>/cdk.tf.json, as `cdktf synth` writes to cdktf.out)',
  kubernetes:
    'a folder of Kubernetes manifests (*.yaml or *.yml files, in subfolders too, as `cdk8s synth` writes to dist/)',
} as const;

export type SnapshotLayout = keyof typeof SNAPSHOT_LAYOUTS;

/** One thing a deploy creates: a Terraform block (resource, data source, provider...) or a Kubernetes object. */
export interface SnapshotEntry {
  readonly side: 'terraform' | 'kubernetes';
  /** Resource type (`aws_db_instance`), block kind (`provider`, `data.aws_iam_policy_document`) or object kind. */
  readonly type: string;
  readonly value: unknown;
}

/** Everything a folder deploys, keyed by a stable address. */
export interface Snapshot {
  readonly dir: string;
  readonly layout: SnapshotLayout;
  readonly entries: ReadonlyMap<string, SnapshotEntry>;
}

const EXPECTED = `pass ${Object.values(SNAPSHOT_LAYOUTS).join('; or ')}`;

/** Drops cdktf's `//` metadata, which churns without changing anything deployed. */
function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== '//')
        .map(([key, child]) => [key, withoutMetadata(child)]),
    );
  }
  return value;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ValidationError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** `<stack>: <address>` for each block of one stack's cdk.tf.json, in Terraform's address syntax. */
function stackEntries(
  stack: string,
  json: Record<string, unknown>,
  skipKubernetesManifests: boolean,
): [string, SnapshotEntry][] {
  const entries: [string, SnapshotEntry][] = [];
  const add = (address: string, type: string, value: unknown) =>
    entries.push([`${stack}: ${address}`, { side: 'terraform', type, value: withoutMetadata(value) }]);
  for (const [block, content] of Object.entries(json)) {
    if (block === '//') continue;
    if ((block === 'resource' || block === 'data') && isRecord(content)) {
      for (const [type, byName] of Object.entries(content)) {
        // These mirror the chart's objects one to one: reported once, on the Kubernetes side.
        if (block === 'resource' && type === 'kubernetes_manifest' && skipKubernetesManifests) continue;
        for (const [name, config] of Object.entries(isRecord(byName) ? byName : {})) {
          if (block === 'resource') add(`${type}.${name}`, type, config);
          else add(`data.${type}.${name}`, `data.${type}`, config);
        }
      }
    } else if (block === 'terraform' || !isRecord(content)) {
      add(block, block, content);
    } else {
      const prefix = block === 'locals' ? 'local' : block;
      for (const [name, config] of Object.entries(content)) add(`${prefix}.${name}`, prefix, config);
    }
  }
  return entries;
}

/** Every stack that a cdktf output's manifest.json lists. */
function readTerraform(dir: string, skipKubernetesManifests: boolean): [string, SnapshotEntry][] {
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = readJson(manifestFile);
  const stacks = isRecord(manifest) && isRecord(manifest.stacks) ? manifest.stacks : undefined;
  if (stacks === undefined || Object.keys(stacks).length === 0) {
    throw new ValidationError(
      `${manifestFile} lists no stacks: pass the folder \`cdktf synth\` wrote (its manifest.json has a "stacks" entry per stack)`,
    );
  }
  return Object.keys(stacks)
    .sort()
    .flatMap((stack) => {
      const listed = stacks[stack];
      const relative =
        isRecord(listed) && typeof listed.synthesizedStackPath === 'string'
          ? listed.synthesizedStackPath
          : path.join('stacks', stack, 'cdk.tf.json');
      const file = path.join(dir, relative);
      if (!fs.existsSync(file)) {
        throw new ValidationError(
          `${manifestFile} lists stack ${stack}, but ${file} is missing: synth again`,
        );
      }
      const json = readJson(file);
      if (!isRecord(json))
        throw new ValidationError(`${file} is not a Terraform JSON configuration (not an object)`);
      return stackEntries(stack, json, skipKubernetesManifests);
    });
}

/** The objects in each document; a `List` (as `kubectl get -o yaml` writes) holds its objects in `items`. */
function objectsOf(document: unknown): unknown[] {
  if (isRecord(document) && document.kind === 'List' && Array.isArray(document.items)) return document.items;
  return [document];
}

/** Every object in the YAML files under `dir`; the address is `<apiVersion> <kind> <namespace>/<name>`. */
function readKubernetes(dir: string, { manifests, findings }: ManifestFiles): [string, SnapshotEntry][] {
  const [finding] = findings;
  if (finding !== undefined)
    throw new ValidationError(`${finding.file} has unreadable YAML: ${finding.message}`);
  const seen = new Map<string, string>();
  const entries: [string, SnapshotEntry][] = [];
  for (const { object: document, file, line } of manifests) {
    const where = `${file}:${line}`;
    for (const object of objectsOf(document)) {
      const metadata = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
      if (
        !isRecord(object) ||
        typeof object.apiVersion !== 'string' ||
        typeof object.kind !== 'string' ||
        typeof metadata.name !== 'string'
      ) {
        throw new ValidationError(
          `${where} is not a Kubernetes object (it needs apiVersion, kind and metadata.name): ` +
            `move other YAML files out of ${dir}, or ${EXPECTED}`,
        );
      }
      const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '(cluster)';
      const address = `${object.apiVersion} ${object.kind} ${namespace}/${metadata.name}`;
      const first = seen.get(address);
      if (first !== undefined) {
        throw new ValidationError(
          `${address} is defined twice (${first} and ${where}): kubectl apply would keep only the last; remove one`,
        );
      }
      seen.set(address, where);
      entries.push([address, { side: 'kubernetes', type: object.kind, value: object }]);
    }
  }
  if (entries.length === 0) {
    throw new ValidationError(`${dir} holds no Kubernetes objects in its YAML files: ${EXPECTED}`);
  }
  return entries;
}

/**
 * Reads `dir` in whichever layout it has. Anything else is refused, naming the folder: a folder
 * read as empty would hide every change behind "No changes".
 */
export function loadSnapshot(dir: string): Snapshot {
  if (!fs.existsSync(dir)) throw new ValidationError(`${dir} does not exist: ${EXPECTED}`);
  if (!fs.statSync(dir).isDirectory())
    throw new ValidationError(`${dir} is a file, not a folder: ${EXPECTED}`);
  if (fs.existsSync(path.join(dir, OUTPUT_MARKER))) {
    return { dir, layout: 'mcpenv', entries: new Map(readMcpenvOutput(dir)) };
  }
  if (fs.existsSync(path.join(dir, 'manifest.json'))) {
    return { dir, layout: 'cdktf', entries: new Map(readTerraform(dir, false)) };
  }
  const manifestFiles = readManifestFiles(dir);
  if (manifestFiles.files.length === 0) {
    throw new ValidationError(`${dir} holds no synth output that mcpenv diff can read: ${EXPECTED}`);
  }
  return { dir, layout: 'kubernetes', entries: new Map(readKubernetes(dir, manifestFiles)) };
}

/** Both parts of an `mcpenv synth` output; the Terraform copies of the chart's objects are left out. */
function readMcpenvOutput(dir: string): [string, SnapshotEntry][] {
  const kubernetesDir = path.join(dir, 'kubernetes');
  const terraformDir = path.join(dir, 'terraform');
  const hasKubernetes = fs.existsSync(kubernetesDir);
  const hasTerraform = fs.existsSync(terraformDir);
  if (!hasKubernetes && !hasTerraform) {
    throw new ValidationError(
      `${dir} has ${OUTPUT_MARKER} but neither kubernetes/ nor terraform/: run \`mcpenv synth --out ${dir}\` again`,
    );
  }
  return [
    ...(hasTerraform ? readTerraform(terraformDir, hasKubernetes) : []),
    ...(hasKubernetes ? readKubernetes(kubernetesDir, readManifestFiles(kubernetesDir)) : []),
  ];
}
