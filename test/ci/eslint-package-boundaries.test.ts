import * as path from 'node:path';
import { type Rule, RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';

// The rule is plain CommonJS next to the ESLint config.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rule = require('../../.ci/eslint-package-boundaries.js') as Rule.RuleModule;

const ROOT = path.resolve(__dirname, '..', '..');
const at = (file: string) => path.join(ROOT, file);

RuleTester.describe = describe;
RuleTester.it = test;
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser } });

tester.run('mcpenv/package-boundaries', rule, {
  valid: [
    { filename: at('server/app.ts'), code: "import { METRICS } from '@mcpenv/contract';" },
    { filename: at('server/auth/oauth.ts'), code: "import { createServer } from '../app';" },
    { filename: at('server/app.ts'), code: "import express from 'express';" },
    { filename: at('constructs/contract/index.ts'), code: "export { METRICS } from './metrics';" },
    {
      filename: at('constructs/k8s/workload.ts'),
      code: "import { SERVER_VARIABLES } from '@mcpenv/contract';",
    },
    { filename: at('bin/commands/server.ts'), code: "import type * as Cli from '@mcpenv/server/cli';" },
    {
      filename: at('stacks/index.ts'),
      code: "import { McpEnvironment } from '../constructs/k8s/environment';",
    },
    { filename: at('test/server/app.test.ts'), code: "import { parseSpec } from '../../constructs/spec';" },
  ],
  invalid: [
    {
      filename: at('server/app.ts'),
      code: "import { parseSpec } from '../constructs/spec';",
      errors: [{ message: /server: reaches into the library by path/ }],
    },
    {
      filename: at('server/main.ts'),
      code: "import { App } from 'cdk8s';",
      errors: [{ message: /server: imports cdk8s, a package of the library/ }],
    },
    {
      filename: at('server/main.ts'),
      code: "import { McpEnvironment } from 'mcpenv';",
      errors: [{ message: /server: imports mcpenv, a package of the library/ }],
    },
    {
      filename: at('constructs/contract/metrics.ts'),
      code: "import { z } from 'zod';",
      errors: [{ message: /contract: imports zod: @mcpenv\/contract has no dependencies/ }],
    },
    {
      filename: at('constructs/monitoring/alerts.ts'),
      code: "import { METRICS } from '../contract/metrics';",
      errors: [{ message: /library: imports the contract by path/ }],
    },
    {
      filename: at('bin/commands/serve.ts'),
      code: "import { startServer } from '../../server/main';",
      errors: [{ message: /library: reaches into server by path/ }],
    },
    {
      filename: at('bin/commands/serve.ts'),
      code: "const server = await import('@mcpenv/server');",
      errors: [{ message: /library: imports @mcpenv\/server at run time/ }],
    },
    {
      filename: at('app/synth.ts'),
      code: "import pino from 'pino';",
      errors: [{ message: /library: imports pino, a server runtime package/ }],
    },
  ],
});
