// ESLint over the library, its tests, benches and examples (`npm run lint`, run by .ci/run).
// typescript-eslint's recommended rules without type information: a lint of the whole repo
// stays a few seconds, and `tsc --noEmit` already checks the types.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['dist/', 'coverage/', 'docs/api/', 'bench/results/', 'examples/irc-log-server/dist/', '.tmp/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `==` hides a coercion; `x == null` is the one spelling allowed for "null or undefined".
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-return-assign': 'error',
      // A '${x}' in a plain string is almost always a template literal that lost its backticks.
      'no-template-curly-in-string': 'error',
      // IRC framing and CTCP are made of control characters (\x01, \r, \n): regexes match them on purpose.
      'no-control-regex': 'off',
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `_name` marks a parameter or binding kept for its position or to drop a field.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
);
