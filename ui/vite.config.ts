import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The dashboard (docs/dashboard.md): built by `npm run build` into dist/ui, served by omicsd at /ui/.
export default defineConfig({
  root: 'ui',
  base: '/ui/',
  plugins: [preact()],
  build: { outDir: '../dist/ui', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
});
