import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../eval/random.js';
import { descriptorWords, near, randomDescriptors } from '../../../test/factories/descriptors.js';
import { HammingIndex, type IndexedImage } from './hamming-index.js';
import { ScanWorker } from './scan-worker.js';
import { Vocabulary } from './vocabulary.js';

/** Catalog images with random descriptors, and a small vocabulary trained on them. */
function catalog(images: number, seed: number): { images: IndexedImage[]; vocabulary: Vocabulary } {
  const r = seededRandom(seed);
  const n = 200;
  const descriptors = Array.from({ length: images }, () => randomDescriptors(n, r));
  const all = new Uint8Array(images * n * 32);
  descriptors.forEach((d, i) => all.set(d, i * n * 32));
  const vocabulary = Vocabulary.train(new Uint32Array(all.buffer), 'test', { branching: 8, depth: 2, iterations: 3, seed });
  return {
    vocabulary,
    images: descriptors.map((d, key) => ({
      key: 1000 + key, words: vocabulary.quantize(new Uint32Array(d.buffer)).words,
      xy: Float32Array.from({ length: 2 * n }, () => r() * 400), descriptors: d,
    })),
  };
}

/** A query: keypoints near those of a few catalog images. */
function query(images: IndexedImage[], seed: number): Uint32Array {
  const r = seededRandom(seed);
  const parts: Uint8Array[] = [];
  for (let k = 0; k < 901; k++) {
    const img = images[Math.floor(r() * 6)]!;
    parts.push(near(img.descriptors, Math.floor(r() * img.words.length), Math.floor(r() * 50), r));
  }
  return descriptorWords(parts);
}

/** Candidates and match counts; scores are float32 sums in another order, so equal to ~1e-6. */
function summary(r: ReturnType<HammingIndex['query']>) {
  return { candidates: r.candidates.map((c) => [c.key, c.slot]), matches: r.candidates.map((_, i) => r.matches.count(i)) };
}

function sameScores(a: Awaited<ReturnType<HammingIndex['query']>>, b: Awaited<ReturnType<HammingIndex['query']>>): void {
  a.candidates.forEach((c, i) => expect(Math.abs(c.score - b.candidates[i]!.score)).toBeLessThan(1e-5 * c.score));
}

describe('candidate generation on two threads', () => {
  const worker = new ScanWorker();
  afterAll(() => worker.close());

  it('gives the words, candidates, scores and matches of one thread, and follows a rebuilt index and vocabulary', async () => {
    for (const seed of [1, 2]) {
      const { images, vocabulary } = catalog(60, seed);
      const index = new HammingIndex(vocabulary.words, images);
      const q = query(images, seed + 10);
      const words = vocabulary.quantize(q);
      const one = index.query(words.words, q, undefined, 20);
      expect(one.candidates.length).toBeGreaterThan(5);
      // Half on each thread (the default), all in the worker, or a third here.
      for (const share of [undefined, 0, 1 / 3]) {
        const two = await worker.query(index, vocabulary, q, undefined, 20, undefined, share);
        expect(two.words).toEqual(words.words);
        expect(two.branches).toEqual(words.branches);
        expect(summary(two)).toEqual(summary(one));
        sameScores(two, one);
      }
    }
  }, 30_000);

  it('scans everything on the calling thread once the worker is gone', async () => {
    const { images, vocabulary } = catalog(20, 3);
    const index = new HammingIndex(vocabulary.words, images);
    const q = query(images, 4);
    const w = new ScanWorker();
    await w.close();
    const alone = await w.query(index, vocabulary, q, undefined, 10);
    const one = index.query(vocabulary.quantize(q).words, q, undefined, 10);
    expect(alone.words).toEqual(vocabulary.quantize(q).words);
    expect(summary(alone)).toEqual(summary(one));
    sameScores(alone, one);
  });
});
