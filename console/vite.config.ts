import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The web console: built into dist/console, which the service serves at /console (src/web-console).
// No inline script or style in the output (the service's CSP is script-src 'self'; style-src 'self').
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [react()],
  // `npx vite --config console/vite.config.ts` for development: the API (and the console's
  // settings) from a service running on port 8000.
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8000',
      '/console/config.json': 'http://127.0.0.1:8000',
    },
  },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // Inlined module-preload polyfill and data: assets would need looser CSP: keep them out.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
