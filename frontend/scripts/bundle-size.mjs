// Print the size of the production bundle (run `npm run build` first) as a markdown table:
// every file under dist/, raw and gzip-compressed (level 9), in KiB.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = resolve(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files.push(path);
  }
};
try {
  walk(dist);
} catch {
  console.error(`no build at ${dist}: run \`npm run build\` first`);
  process.exit(1);
}
const kib = (n) => (n / 1024).toFixed(1);
const rows = files
  .map((path) => {
    const data = readFileSync(path);
    return { name: relative(dist, path), raw: data.length, gz: gzipSync(data, { level: 9 }).length };
  })
  .sort((a, b) => b.raw - a.raw);
console.log("| file | raw KiB | gzip KiB |");
console.log("|---|---:|---:|");
for (const r of rows) console.log(`| ${r.name.replace(/-[A-Za-z0-9_-]{8}\./, "-*.")} | ${kib(r.raw)} | ${kib(r.gz)} |`);
const total = rows.reduce((a, r) => ({ raw: a.raw + r.raw, gz: a.gz + r.gz }), { raw: 0, gz: 0 });
console.log(`| **total** | ${kib(total.raw)} | ${kib(total.gz)} |`);
