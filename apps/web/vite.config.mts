import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** Everything the API serves; `vite` (dev) forwards it to the API on :8080. */
const API_PATHS = ['/api', '/healthz', '/readyz', '/.well-known'];
const API_ORIGIN = 'http://localhost:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), tailwindcss()],
  resolve: {
    alias: {
      '@webhooker/api-client': fileURLToPath(new URL('../../libs/api-client/src/index.ts', import.meta.url)),
    },
  },
  build: {
    outDir: '../../dist/apps/web',
    emptyOutDir: true,
  },
  server: {
    proxy: Object.fromEntries(API_PATHS.map((path) => [path, API_ORIGIN])),
  },
});
