import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App as Cdk8sApp } from 'cdk8s';
import { App as CdktfApp } from 'cdktf';
import { parseDocument } from 'yaml';
import { invalidSpec, unknownEnvironment, ValidationError } from '../constructs/errors';
import { type McpEnvironmentSpec, parseSpec } from '../constructs/spec';
import { AWS_DATA_STACK_NAME, AwsDataStack } from '../stacks/aws-data-stack';
import { ENVIRONMENT_CHART_NAME, EnvironmentChart } from '../stacks/environment-chart';
import { DEFAULT_ENVIRONMENT, ENVIRONMENTS_DIR } from './paths';

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

/**
 * Builds the environment's chart and AWS data stack in throwaway apps (nothing is kept), so
 * that every rule of the constructs applies to the file too. The stacks report a construct's prop
 * error under the spec's path for it, which is the file's path.
 */
function checkWithConstructs(spec: McpEnvironmentSpec, file: string): void {
  // A cdktf app creates its output folder when made: give it one to throw away.
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpenv-check-'));
  try {
    new EnvironmentChart(new Cdk8sApp(), spec);
    const tier = spec.dataTier;
    if (tier?.kind === 'aws') new AwsDataStack(new CdktfApp({ outdir, stackTraces: false }), { spec, tier });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const problem = error.problem;
    const fromSpec =
      problem?.construct === ENVIRONMENT_CHART_NAME || problem?.construct === AWS_DATA_STACK_NAME;
    throw invalidSpec(file, [problem && fromSpec ? `${problem.prop}: ${problem.detail}` : error.message]);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Reads and validates one environment file: its schema, then the rules of the constructs it builds. */
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
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // The yaml library refuses aliases that expand too far (a "billion laughs" file).
    throw invalidSpec(file, [
      `YAML aliases expand too far (${(error as Error).message}): write the values out instead of nesting aliases`,
    ]);
  }
  const spec = parseSpec(value, file);
  checkWithConstructs(spec, file);
  return spec;
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

/** The environment the CLI's flags name: a file (`--config`), one of `dir` (`--env`), or the default. */
export function loadSelectedEnvironment(
  flags: { readonly env?: string; readonly config?: string },
  dir = ENVIRONMENTS_DIR,
): McpEnvironmentSpec {
  if (flags.env !== undefined && flags.config !== undefined) {
    throw new ValidationError('--env and --config name the environment twice: pass one of them');
  }
  return flags.config !== undefined
    ? loadSpecFile(flags.config)
    : loadEnvironment(flags.env ?? DEFAULT_ENVIRONMENT, dir);
}
