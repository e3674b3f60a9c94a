import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { invalidSpec, unknownEnvironment, ValidationError } from '../constructs/errors';
import { type McpEnvironmentSpec, parseSpec } from '../constructs/spec';
import { ENVIRONMENTS_DIR } from './paths';

const EXTENSION = '.yaml';

/** Names of the environments defined in `dir` (one `<name>.yaml` each), sorted. */
export function listEnvironments(dir = ENVIRONMENTS_DIR): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith(EXTENSION))
    .map((file) => file.slice(0, -EXTENSION.length))
    .sort();
}

/** Reads and validates one environment file. */
export function loadSpecFile(file: string): McpEnvironmentSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ValidationError(`cannot read environment file ${file}: ${(error as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalidSpec(
      file,
      doc.errors.map((e) => `YAML error at line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  return parseSpec(doc.toJS(), file);
}

/** Loads a named environment from `dir`; its `name` field must match its file name. */
export function loadEnvironment(name: string, dir = ENVIRONMENTS_DIR): McpEnvironmentSpec {
  const known = listEnvironments(dir);
  if (!known.includes(name)) throw unknownEnvironment(name, known);
  const file = path.join(dir, `${name}${EXTENSION}`);
  const spec = loadSpecFile(file);
  if (spec.name !== name) {
    throw invalidSpec(file, [`name: must match the file name "${name}" (got "${spec.name}")`]);
  }
  return spec;
}
