// ESLint rule `mcpenv/package-boundaries`: what each of the repository's three packages may
// import, so each installs and runs without the others.
// - server/ (@mcpenv/server): its own files, its own dependencies and @mcpenv/contract; nothing
//   else of the library (no constructs, stacks, app or bin; no cdktf, cdk8s or providers).
// - constructs/contract/ (@mcpenv/contract): its own files only; no package at all.
// - the library (constructs/, stacks/, app/, bin/ = mcpenv): never a file of server/ or of the
//   contract by path (published, they are other packages), and no server runtime package;
//   @mcpenv/server only as a type, since it is an optional peer loaded on demand.
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const manifest = (folder) => require(path.join(ROOT, folder, 'package.json'));
const library = manifest('.');
/** What only the server installs: its dependencies that the library does not share. */
const SERVER_RUNTIME = Object.keys(manifest('server').dependencies).filter(
  (name) => !name.startsWith('@mcpenv/') && !(name in library.dependencies),
);
/** The library itself and the construct libraries and providers it takes as peers. */
const LIBRARY_PACKAGES = [
  library.name,
  ...Object.keys(library.peerDependencies).filter((name) => !name.startsWith('@mcpenv/')),
];

const packageOf = (specifier) => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
};
const within = (file, folder) => !path.relative(path.join(ROOT, folder), file).startsWith('..');

function partOf(file) {
  if (within(file, 'constructs/contract')) return 'contract';
  if (within(file, 'server')) return 'server';
  if (['constructs', 'stacks', 'app', 'bin'].some((folder) => within(file, folder))) return 'library';
  return undefined;
}

/** Why `specifier`, imported from `file`, crosses a package boundary; undefined when it does not. */
function violation(file, specifier, typeOnly) {
  const part = partOf(file);
  if (specifier.startsWith('node:')) return undefined;
  if (specifier.startsWith('.')) {
    const target = path.resolve(path.dirname(file), specifier);
    const targetPart = partOf(target) ?? 'outside the packages';
    if (targetPart === part) return undefined;
    if (targetPart === 'contract') return 'imports the contract by path: import it as @mcpenv/contract';
    return `reaches into ${targetPart === 'library' ? 'the library' : targetPart} by path (${specifier})`;
  }
  const name = packageOf(specifier);
  if (part === 'contract') return `imports ${name}: @mcpenv/contract has no dependencies`;
  if (part === 'server' && LIBRARY_PACKAGES.includes(name)) {
    return `imports ${name}, a package of the library: the server imports only @mcpenv/contract of it`;
  }
  if (part === 'library' && SERVER_RUNTIME.includes(name)) {
    return `imports ${name}, a server runtime package the library must not install`;
  }
  if (part === 'library' && name === '@mcpenv/server' && !typeOnly) {
    return 'imports @mcpenv/server at run time: it is an optional peer, load it on demand (type imports are fine)';
  }
  return undefined;
}

module.exports = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep the mcpenv library, the reference server and the contract apart' },
    schema: [],
    messages: { crossing: '{{part}} {{why}}' },
  },
  create(context) {
    const file = context.filename;
    const part = partOf(file);
    if (!part) return {};
    const check = (node, source, typeOnly) => {
      if (!source || typeof source.value !== 'string') return;
      const why = violation(file, source.value, typeOnly);
      if (why) context.report({ node, messageId: 'crossing', data: { part: `${part}:`, why } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source, node.importKind === 'type'),
      ExportNamedDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source, false),
      TSImportType: (node) => check(node, node.argument && (node.argument.literal ?? node.argument), true),
    };
  },
};
