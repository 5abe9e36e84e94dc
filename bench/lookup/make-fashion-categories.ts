/**
 * Category-level check of product lookup on Fashion-MNIST (issue 4: "category-level quality on
 * Fashion-MNIST does not drop"). Writes a catalogue of the first `--catalog` training images and a
 * queries CSV of the first `--queries` test images, each labelled with its category, as PNGs
 * upscaled to `--side` px (lanczos) so that keypoints have pixels to work with. Ingest it with
 * product lookup on, then run `eval` on the same data directory with lookup on and off: the only
 * difference is the local matches merged into the global ranking.
 *
 *   npx tsx bench/lookup/make-fashion-categories.ts --out /tmp/fm-cat --catalog 3000 --queries 500
 *   SHOPLENS_LOCAL_FEATURES=true npx tsx bench/lookup/run-cli.ts ingest /tmp/fm-cat/catalog.csv --data /tmp/fm-cat-data
 *   SHOPLENS_LOCAL_FEATURES=true npx tsx bench/lookup/run-cli.ts eval --data /tmp/fm-cat-data --queries /tmp/fm-cat/queries.csv --json
 *   SHOPLENS_LOCAL_FEATURES=false npx tsx bench/lookup/run-cli.ts eval --data /tmp/fm-cat-data --queries /tmp/fm-cat/queries.csv --json
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { FASHION_MNIST_CLASSES, readFashionMnist, type LabelledImages } from '../../src/eval/datasets/fashion-mnist.reader.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, catalog: { type: 'string', default: '3000' }, queries: { type: 'string', default: '500' }, side: { type: 'string', default: '224' } } });
if (!values.out) throw new Error('--out <dir> is required');
const out = path.resolve(values.out);
const side = Number(values.side);
const { train, test } = await readFashionMnist();

/** Image `i` of a split as a PNG of side × side. */
async function png(split: LabelledImages, i: number): Promise<Buffer> {
  const px = split.rows * split.cols;
  return sharp(Buffer.from(split.pixels.subarray(i * px, (i + 1) * px)), { raw: { width: split.cols, height: split.rows, channels: 1 } })
    .resize(side, side, { kernel: 'lanczos3' }).png().toBuffer();
}

await mkdir(path.join(out, 'catalog'), { recursive: true });
await mkdir(path.join(out, 'queries'), { recursive: true });
const rows = ['id,title,category,price,currency,image'];
for (let i = 0; i < Math.min(Number(values.catalog), train.count); i++) {
  const category = FASHION_MNIST_CLASSES[train.labels[i]!]!;
  await writeFile(path.join(out, 'catalog', `t${i}.png`), await png(train, i));
  rows.push(`t${i},"${category} ${i}",${category},${(10 + (i % 90)).toFixed(2)},EUR,catalog/t${i}.png`);
}
await writeFile(path.join(out, 'catalog.csv'), `${rows.join('\n')}\n`);
const queries = ['image,category'];
for (let i = 0; i < Math.min(Number(values.queries), test.count); i++) {
  await writeFile(path.join(out, 'queries', `q${i}.png`), await png(test, i));
  queries.push(`queries/q${i}.png,${FASHION_MNIST_CLASSES[test.labels[i]!]!}`);
}
await writeFile(path.join(out, 'queries.csv'), `${queries.join('\n')}\n`);
console.log(`${rows.length - 1} catalogue images, ${queries.length - 1} queries in ${out}`);
