import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Two tiers: `npm test` runs unit, medium and end-to-end tests; `npm run test:slow` runs the scale
// and crash tests (`*.slow.e2e.spec.ts`: kill -9 mid-work, 1M-event reports, 1,000-key bulk runs,
// three-process fleets), which take minutes each.
const slow = process.env.STRONGROOM_TEST_TIER === 'slow';
const SLOW_FILES = 'test/**/*.slow.e2e.spec.ts';

export default defineConfig({
  // SWC (not esbuild) so Nest's decorators emit the design-type metadata DI relies on.
  plugins: [swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2022' } })],
  test: {
    include: slow ? [SLOW_FILES] : ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    exclude: slow ? [] : [SLOW_FILES, '**/node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
