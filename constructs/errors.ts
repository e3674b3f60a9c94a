/**
 * Every error mcpenv raises for bad input is a `ValidationError`: it names the field, shows the
 * bad value and says how to fix it. The CLI maps it to exit code 2; anything else is exit 1.
 */
export class ValidationError extends Error {
  /** Exit code the CLI uses for this error. */
  readonly exitCode = 2;

  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
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
  return new ValidationError(`${construct}: \`${prop}\` must ${rule} (got ${showValue(got)})${hint}`);
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
