import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Built by `vite build web` (see package.json); the HTTP server serves web/dist at '/'
// and falls back to index.html for client-side routes such as /product/<id>.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small bundle: the UI has no heavy dependencies worth splitting.
    assetsInlineLimit: 4096,
  },
  server: {
    // `npx vite web` during development: forward API and media calls to a running `shoplens serve`.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/media': 'http://127.0.0.1:8080',
    },
  },
});
