/**
 * Checks on parsed JSON that code further on would otherwise trip over: nesting deep enough to
 * overflow a recursive walk, and strings Postgres cannot store (NUL, unpaired UTF-16
 * surrogates) or that JavaScript objects cannot hold (`__proto__` keys, which a copy drops
 * silently). All walks here are iterative.
 */

/** Deepest nesting a request body may have. MCP messages need a handful of levels. */
export const MAX_JSON_DEPTH = 64;

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `value` nests objects or arrays deeper than `max` levels. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Whether JSON text (UTF-8 bytes) nests objects or arrays deeper than `max` levels, found by one
 * pass over the bytes before any parsing: a body of a million `[` is refused after `max + 1` of
 * them instead of costing the parser hundreds of milliseconds. Brackets inside strings do not
 * count; bytes of multi-byte UTF-8 characters never equal an ASCII bracket or quote.
 */
export function textNestsDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // a backslash escapes the next byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      depth++;
      if (depth > max) return true;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
  return false;
}

function problemWithString(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (UNPAIRED_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/**
 * The first thing in tool arguments that cannot be stored as given, as `path: problem`, or
 * undefined. Applies to every tool, the org's own included.
 */
export function unstorableArgument(args: unknown): string | undefined {
  const stack: [unknown, string][] = [[args, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop() as [unknown, string];
    if (typeof current === 'string') {
      const problem = problemWithString(current);
      if (problem) return `${path || '(arguments)'}: ${problem}`;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      current.forEach((item, index) => stack.push([item, `${path}[${index}]`]));
      continue;
    }
    for (const [key, value] of Object.entries(current)) {
      const at = path ? `${path}.${key}` : key;
      if (key === '__proto__') return `${at}: "__proto__" is not allowed as a key`;
      const problem = problemWithString(key);
      if (problem) return `${path || '(arguments)'}: a key ${problem}`;
      stack.push([value, at]);
    }
  }
  return undefined;
}
