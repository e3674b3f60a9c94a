/**
 * Which prop of which construct a `ValidationError` is about, so that whoever built the props
 * (a composite construct, a stack, the environment-file loader) can report it under its own name
 * for that prop.
 */
export interface PropProblem {
  /** The construct or factory that refused the prop, e.g. `McpServerWorkload` or `Routing.ingress`. */
  readonly construct: string;
  /** Path of the prop in that construct's props, e.g. `replicas` or `gateway.name`. */
  readonly prop: string;
  /** What is wrong, after the prop's name: `must be at least 1 (got 0)`, `is required: pass …`. */
  readonly detail: string;
}

/**
 * Every error mcpenv raises for bad input is a `ValidationError`: it names the field, shows the
 * bad value and says how to fix it. The CLI maps it to exit code 2; anything else is exit 1.
 */
export class ValidationError extends Error {
  /** Exit code the CLI uses for this error. */
  readonly exitCode = 2;

  constructor(
    message: string,
    /** Set when the error is about one prop of a construct. */
    readonly problem?: PropProblem,
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** The error for one prop: "McpServerWorkload: `replicas` must be at least 1 (got 0)". */
export function propError(problem: PropProblem): ValidationError {
  return new ValidationError(`${problem.construct}: \`${problem.prop}\` ${problem.detail}`, problem);
}

/** Renders a value the way messages show it: short, JSON-ish, never multi-line. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * A construct prop is invalid: "`McpServerWorkload.replicas` must be at least 1 (got 0)".
 * `rule` completes the sentence after "must"; `fix` is an optional extra hint.
 */
export function invalidProp(construct: string, prop: string, rule: string, got: unknown, fix?: string) {
  const hint = fix ? `; ${fix}` : '';
  return propError({ construct, prop, detail: `must ${rule} (got ${showValue(got)})${hint}` });
}

/**
 * A required prop is missing (a caller without type checks, such as plain JavaScript or props
 * read from configuration): "McpEnvironment: `image` is required: pass a pinned image such as …".
 */
export function missingProp(construct: string, prop: string, fix: string) {
  return propError({ construct, prop, detail: `is required: ${fix}` });
}

/**
 * Where a construct's props came from, by the construct's name: the owner's prop path for each of
 * its top-level props, and a prefix for the rest. Props not covered keep the child's own name.
 */
export type PropOrigins = Readonly<
  Record<string, { readonly prefix?: string; readonly props?: Readonly<Record<string, string>> }>
>;

/**
 * Runs `build`; a prop error of a construct named in `origins` is raised again as a prop of
 * `owner`, under the name the owner's caller wrote. A composite construct uses it around its
 * children, a stack around the constructs it makes from its props.
 */
export function reportedAs<T>(owner: string, origins: PropOrigins, build: () => T): T {
  try {
    return build();
  } catch (error) {
    const problem = error instanceof ValidationError ? error.problem : undefined;
    const origin = problem ? origins[problem.construct] : undefined;
    if (!problem || !origin) throw error;
    const head = /^[^.[]*/.exec(problem.prop)?.[0] ?? problem.prop;
    const renamed = origin.props?.[head];
    const prop =
      renamed !== undefined
        ? `${renamed}${problem.prop.slice(head.length)}`
        : origin.prefix !== undefined
          ? `${origin.prefix}${problem.prop}`
          : undefined;
    if (prop === undefined) throw error;
    throw propError({ construct: owner, prop, detail: problem.detail });
  }
}

/** A named environment does not exist. */
export function unknownEnvironment(name: string, known: readonly string[]) {
  const list = known.length > 0 ? known.join(', ') : '(none)';
  return new ValidationError(
    `unknown environment ${showValue(name)}: known environments are ${list}; ` +
      'pass one of them with --env NAME',
  );
}

/** An environment specification (YAML file or props object) failed validation. */
export function invalidSpec(source: string, problems: readonly string[]) {
  const lines = problems.map((p) => `  - ${p}`).join('\n');
  return new ValidationError(`${source} is not a valid environment:\n${lines}`);
}

/** A configuration value (environment variable or flag) is invalid. */
export function invalidSetting(setting: string, rule: string, got: unknown) {
  return new ValidationError(`${setting} must ${rule} (got ${showValue(got)})`);
}

/**
 * Two constructs claim a name that must be unique in their scope: "<what> is used by both
 * `<first path>` and `<second path>`: <consequence>; <fix>".
 */
export function collision(
  what: string,
  paths: readonly [first: string, second: string],
  consequence: string,
  fix: string,
) {
  return new ValidationError(
    `${what} is used by both \`${paths[0]}\` and \`${paths[1]}\`: ${consequence}; ${fix}`,
  );
}
