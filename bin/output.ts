/** Terminal output for commands: data to stdout, progress and problems to stderr. */

const useColour = (stream: NodeJS.WriteStream) => Boolean(stream.isTTY) && !process.env.NO_COLOR;

function paint(stream: NodeJS.WriteStream, code: string, text: string): string {
  return useColour(stream) ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export const out = {
  /** A line of result data on stdout. */
  data(line: string): void {
    process.stdout.write(`${line}\n`);
  },
  /** A progress line on stderr, dimmed on a terminal. */
  progress(line: string): void {
    process.stderr.write(`${paint(process.stderr, '2', line)}\n`);
  },
  warn(line: string): void {
    process.stderr.write(`${paint(process.stderr, '33', `warning: ${line}`)}\n`);
  },
  error(line: string): void {
    process.stderr.write(`${paint(process.stderr, '31', `error: ${line}`)}\n`);
  },
};
