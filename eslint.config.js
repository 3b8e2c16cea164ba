// Lint: TypeScript rules plus the layering of ARCHITECTURE.md made real — the pure core (onnx, autodiff, engine,
// pure data transforms) never imports a runtime, the DOM-facing layers or Node built-ins.
import tseslint from 'typescript-eslint';

const restrict = (files, patterns, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: patterns.map((p) => ({ group: [p], message })) }] },
});
const NODE = ['node:*', 'fs', 'path', 'os', 'child_process', 'sharp'];
const RUNTIMES = ['onnxruntime-*', '**/runtime/*'];
const UPPER = ['**/worker/*', '**/store/*', '**/ui/*', '**/cli/*', '**/persist/*'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'tests/fixtures/**', 'e2e/artifacts/**', 'tmp/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  restrict(['src/onnx/**/*.ts'], [...NODE, ...RUNTIMES, ...UPPER, '**/autodiff/*', '**/engine/*', '**/data/*', '**/io/*'], 'src/onnx is the pure core: it imports nothing else in src'),
  restrict(['src/autodiff/**/*.ts'], [...NODE, ...RUNTIMES, ...UPPER, '**/engine/*', '**/data/*'], 'src/autodiff may import only src/onnx'),
  restrict(['src/engine/**/*.ts'], [...NODE, ...RUNTIMES, ...UPPER], 'src/engine is pure: no runtime, no Node built-ins, no UI'),
  restrict(['src/io/**/*.ts'], [...NODE, ...RUNTIMES, ...UPPER], 'src/io is pure: bytes in, bytes out'),
  {
    files: ['src/**/*.test.ts', 'src/**/*-node.ts', 'src/**/test-*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
