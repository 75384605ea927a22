// Writes brotli (quality 11) and gzip (level 9) copies beside each built asset in the site's pkg
// directory, which the server sends as they are to clients that accept them (ServeDir's
// precompressed files); on-the-fly compression stays for everything else. Only pkg/: its names
// carry a content hash, so a copy can never be older than the file it stands for.
// scripts/dev runs it after `cargo leptos build --release`:
//
//     node tools/precompress.mjs [pkg directory, default target/site/pkg]
import { readdirSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { join, extname } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const root = process.argv[2] ?? "target/site/pkg";
const kinds = new Set([".wasm", ".js", ".css"]);
let files = 0, before = 0, after = 0;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { walk(path); continue; }
    if (!kinds.has(extname(name))) continue;
    const data = readFileSync(path);
    const br = brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    });
    writeFileSync(path + ".br", br);
    writeFileSync(path + ".gz", gzipSync(data, { level: 9 }));
    files += 1; before += data.length; after += br.length;
  }
}

walk(root);
console.log(`precompressed ${files} files in ${root}: ${before} bytes, ${after} as brotli`);
