import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The build goes where the Python package serves it from (authgate.web.static), so
// `authgate serve` ships the UI with no Node at run time.
const outDir = fileURLToPath(new URL('../src/authgate/web/static', import.meta.url));

// The API paths, for `npm run dev` against a local `authgate serve` on port 8000.
const api = process.env.AUTHGATE_URL ?? 'http://localhost:8000';
const proxy = Object.fromEntries(
  ['/auth', '/plans', '/healthz', '/.well-known'].map((path) => [path, api]),
);

// A Content-Security-Policy in the built page: scripts, styles and requests from this
// origin only (the dev server needs inline scripts, so only the build gets it).
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const csp = {
  name: 'authgate-csp',
  apply: 'build',
  transformIndexHtml: () => [
    { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' },
  ],
};

export default defineConfig({
  plugins: [react(), csp],
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
  },
  server: { proxy },
  test: {
    environment: 'node',
    include: ['src/**/*.test.js'],
  },
});
