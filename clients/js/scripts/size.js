// How much the SDK weighs in a page: src/index.js bundled as an ES module by esbuild, as is,
// minified, and minified then gzipped (what a browser downloads from a compressing server).
// Usage: npm run size   (or node scripts/size.js [entry…], default src/index.js and src/videojs.js)

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function bundle(entry, minify) {
    const result = await build({
        entryPoints: [path.resolve(ROOT, entry)],
        bundle: true,
        minify,
        format: 'esm',
        target: 'es2020',
        write: false,
        logLevel: 'silent',
    });
    return result.outputFiles[0].contents;
}

const entries = process.argv.length > 2 ? process.argv.slice(2) : ['src/index.js', 'src/videojs.js'];
for (const entry of entries) {
    const raw = await bundle(entry, false);
    const minified = await bundle(entry, true);
    const gzipped = gzipSync(minified, { level: 9 });
    console.log(`${entry}: raw ${raw.length} B, minified ${minified.length} B, gzipped ${gzipped.length} B`);
}
