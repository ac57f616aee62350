// The web console's build: Preact with the automatic JSX runtime, everything bundled into
// web/dist (no CDN at run time; mamorid serves the files and its CSP allows only 'self').
// `npm run dev:web` serves the sources with /api and /healthz passed to MAMORI_CONSOLE_API
// (default: web/dev/mock-server.mjs at http://127.0.0.1:5180; a mamorid's https URL works too).
import { defineConfig } from 'vite';

const api = process.env.MAMORI_CONSOLE_API ?? 'http://127.0.0.1:5180';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inlined assets: data: URLs would need a CSP exception.
    assetsInlineLimit: 0,
    target: 'es2022',
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: api, secure: false },
      '/healthz': { target: api, secure: false },
    },
  },
});
