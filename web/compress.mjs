// Precompresses the built app (issue 21 item 6): after `vite build`, every text file of dist/ of
// 1 KB or more gets NAME.br (Brotli, quality 11) and NAME.gz (gzip, level 9) beside it, each kept
// only when smaller. The server sends one as it is to a browser that accepts it (src/http/h_web.c),
// so nothing is compressed per request. Run by `npm run build`.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist');
const TEXT = /\.(html|js|mjs|css|svg|json|txt)$/;
const MIN = 1024;

function* files(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue; // .vite/manifest.json is read by the bench, never served
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (TEXT.test(e.name)) yield p;
  }
}

let plain = 0;
let br = 0;
let gz = 0;
for (const f of files(dist)) {
  const data = fs.readFileSync(f);
  if (data.length < MIN) continue;
  const b = zlib.brotliCompressSync(data, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
  const g = zlib.gzipSync(data, { level: 9 });
  plain += data.length;
  if (b.length < data.length) fs.writeFileSync(f + '.br', b);
  if (g.length < data.length) fs.writeFileSync(f + '.gz', g);
  br += Math.min(b.length, data.length);
  gz += Math.min(g.length, data.length);
}
const kb = (n) => (n / 1024).toFixed(1) + ' KB';
console.log(`precompressed dist/: ${kb(plain)} → ${kb(br)} Brotli, ${kb(gz)} gzip`);
