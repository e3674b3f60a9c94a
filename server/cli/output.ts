import { ConfigError } from '../config';

/** Command output: result data on stdout, progress on stderr (dimmed on a terminal, never with NO_COLOR). */
export const out = {
  data(line: string): void {
    process.stdout.write(`${line}\n`);
  },
  progress(line: string): void {
    const dim = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
    process.stderr.write(dim ? `\u001b[2m${line}\u001b[0m\n` : `${line}\n`);
  },
};

/** A bad flag or argument: names it, shows the value and the rule (exit code 2). */
export function invalidFlag(flag: string, rule: string, got: string): ConfigError {
  return new ConfigError(`${flag} must ${rule} (got ${JSON.stringify(got)})`);
}
