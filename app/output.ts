import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '../constructs/errors';

/** Marks a folder as an mcpenv output, so that a synth never replaces anything else. */
export const OUTPUT_MARKER = 'mcpenv.out.json';

/**
 * Terraform's working files in a stack folder: provider cache, lock file and local state.
 * They are not synth output but must survive every synth (losing local state orphans resources).
 */
const TERRAFORM_WORKING_FILE =
  /^(\.terraform|\.terraform\.lock\.hcl|.*\.tfstate|.*\.tfstate\.backup|\.terraform\.tfstate\.lock\.info)$/;

function stacksDir(outDir: string): string {
  return path.join(outDir, 'terraform', 'stacks');
}

/** Refuses to replace an existing folder that mcpenv did not write. */
export function assertReplaceable(outDir: string): void {
  if (!fs.existsSync(outDir)) return;
  if (!fs.statSync(outDir).isDirectory()) {
    throw new ValidationError(`--out ${outDir} is a file: choose a folder path`);
  }
  const entries = fs.readdirSync(outDir);
  if (entries.length > 0 && !entries.includes(OUTPUT_MARKER)) {
    throw new ValidationError(
      `--out ${outDir} already holds files that mcpenv did not write (no ${OUTPUT_MARKER}): ` +
        'choose a new or empty folder',
    );
  }
}

/**
 * Moves Terraform working files from the previous output into the staged one. Returns the
 * stacks whose files were kept although the new output no longer has them.
 */
export function carryOverWorkingFiles(previousOut: string, stagedOut: string): string[] {
  const previousStacks = stacksDir(previousOut);
  if (!fs.existsSync(previousStacks)) return [];
  const orphaned: string[] = [];
  for (const stack of fs.readdirSync(previousStacks).sort()) {
    const from = path.join(previousStacks, stack);
    if (!fs.statSync(from).isDirectory()) continue;
    const working = fs.readdirSync(from).filter((entry) => TERRAFORM_WORKING_FILE.test(entry));
    if (working.length === 0) continue;
    const to = path.join(stacksDir(stagedOut), stack);
    if (!fs.existsSync(path.join(to, 'cdk.tf.json'))) orphaned.push(stack);
    fs.mkdirSync(to, { recursive: true });
    for (const entry of working) fs.renameSync(path.join(from, entry), path.join(to, entry));
  }
  return orphaned;
}

/**
 * Replaces `outDir` with `stagedDir` so that readers see either the old or the new output. The
 * staged folder must be a sibling of `outDir` (same filesystem, so renames are atomic).
 */
export function swapInto(stagedDir: string, outDir: string): void {
  if (!fs.existsSync(outDir)) {
    fs.renameSync(stagedDir, outDir);
    return;
  }
  const retired = `${stagedDir}.previous`;
  fs.renameSync(outDir, retired);
  try {
    fs.renameSync(stagedDir, outDir);
  } catch (error) {
    fs.renameSync(retired, outDir);
    throw error;
  }
  fs.rmSync(retired, { recursive: true, force: true });
}
