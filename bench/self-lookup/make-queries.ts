/**
 * Turns a catalog into an eval queries CSV where every catalog image must find its own product:
 *   npx tsx bench/self-lookup/make-queries.ts examples/demo/catalog.csv > /tmp/self-queries.csv
 *   npx shoplens eval --data ./shoplens-data/demo --queries /tmp/self-queries.csv
 * Image paths are written absolute, so the queries file can live anywhere.
 */
import path from 'node:path';
import { readCatalog } from '../../src/ingest/readers/catalog-reader.js';

const catalog = process.argv[2];
if (!catalog) {
  process.stderr.write('usage: make-queries.ts <catalog.csv|jsonl|folder>\n');
  process.exit(64);
}
const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
process.stdout.write('image,expected\n');
for await (const row of readCatalog(path.resolve(catalog))) {
  if (!row.ok) continue;
  for (const image of row.product.images) process.stdout.write(`${quote(image)},${quote(row.product.id)}\n`);
}
