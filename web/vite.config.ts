import { defineConfig } from 'vite';

// Plain esbuild JSX for Preact: no plugin needed.
export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The server's CSP forbids inline scripts and styles: keep every asset a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2020',
  },
  server: {
    // `npm run dev`: the API is the tgr server on :8080.
    proxy: Object.fromEntries(
      ['/auth', '/session', '/contacts', '/account', '/campaigns', '/media', '/analytics', '/orders'].map((p) => [
        p,
        'http://127.0.0.1:8080',
      ]),
    ),
  },
});
