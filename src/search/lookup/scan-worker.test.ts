import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../eval/random.js';
import { descriptorWords, near, randomDescriptors } from '../../../test/factories/descriptors.js';
import { HammingIndex, type IndexedImage } from './hamming-index.js';
import { ScanWorker } from './scan-worker.js';

const VOCABULARY = 256;

function catalog(images: number, seed: number): IndexedImage[] {
  const r = seededRandom(seed);
  return Array.from({ length: images }, (_, key) => {
    const n = 200;
    return {
      key: 1000 + key, words: Uint32Array.from({ length: n }, () => Math.floor(r() * VOCABULARY)),
      xy: Float32Array.from({ length: 2 * n }, () => r() * 400), descriptors: randomDescriptors(n, r),
    };
  });
}

/** A query: keypoints near those of a few catalog images. */
function query(images: IndexedImage[], seed: number): { words: Uint32Array; descriptors: Uint32Array } {
  const r = seededRandom(seed);
  const words: number[] = [], parts: Uint8Array[] = [];
  for (let k = 0; k < 900; k++) {
    const img = images[Math.floor(r() * 6)]!;
    const j = Math.floor(r() * img.words.length);
    words.push(img.words[j]!);
    parts.push(near(img.descriptors, j, Math.floor(r() * 50), r));
  }
  return { words: Uint32Array.from(words), descriptors: descriptorWords(parts) };
}

/** Candidates and match counts; scores are float32 sums in another order, so equal to ~1e-6. */
function summary(r: Awaited<ReturnType<HammingIndex['query']>>) {
  return { candidates: r.candidates.map((c) => [c.key, c.slot]), matches: r.candidates.map((_, i) => r.matches.count(i)) };
}

function sameScores(a: Awaited<ReturnType<HammingIndex['query']>>, b: Awaited<ReturnType<HammingIndex['query']>>): void {
  a.candidates.forEach((c, i) => expect(Math.abs(c.score - b.candidates[i]!.score)).toBeLessThan(1e-5 * c.score));
}

describe('candidate generation on two threads', () => {
  const worker = new ScanWorker();
  afterAll(() => worker.close());

  it('gives the candidates, scores and matches of one thread, and follows a rebuilt index', async () => {
    for (const seed of [1, 2]) {
      const images = catalog(60, seed);
      const index = new HammingIndex(VOCABULARY, images);
      const q = query(images, seed + 10);
      const one = index.query(q.words, q.descriptors, 20);
      const two = await worker.query(index, q.words, q.descriptors, 20);
      expect(one.candidates.length).toBeGreaterThan(5);
      expect(summary(two)).toEqual(summary(one));
      sameScores(two, one);
    }
  }, 30_000);

  it('scans everything on the calling thread once the worker is gone', async () => {
    const images = catalog(20, 3);
    const index = new HammingIndex(VOCABULARY, images);
    const q = query(images, 4);
    const w = new ScanWorker();
    await w.close();
    const alone = await w.query(index, q.words, q.descriptors, 10);
    const one = index.query(q.words, q.descriptors, 10);
    expect(summary(alone)).toEqual(summary(one));
    sameScores(alone, one);
  });
});
