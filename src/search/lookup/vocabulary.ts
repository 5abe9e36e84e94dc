import { AppError } from '../../domain/errors.js';
import { seededRandom } from '../../eval/random.js';
import { WORDS, hamming } from './hamming.js';

/**
 * A visual vocabulary for binary (ORB) descriptors: a vocabulary tree (Nistér & Stewénius 2006)
 * whose nodes are trained by k-majority — k-means under Hamming distance, where a centroid is the
 * bitwise majority of its members (Grana et al. 2013). We write it here because no kept library
 * clusters binary vectors: OpenCV's kmeans and the JS k-means packages are Euclidean on floats,
 * and a mean of bits is not a descriptor. A tree keeps quantisation at branching×depth distance
 * computations per descriptor (e.g. 3×32 instead of 32,768 for a flat vocabulary).
 */
export interface VocabularyOptions {
  branching: number;
  depth: number;
  /** k-majority iterations per node. */
  iterations: number;
  /** Most descriptors used to train (a uniform sample of the catalog's). */
  maxTrainingDescriptors: number;
  seed: number;
}

export const DEFAULT_VOCABULARY_OPTIONS: VocabularyOptions = {
  branching: 32,
  depth: 3,
  iterations: 8,
  maxTrainingDescriptors: 200_000,
  seed: 1,
};

interface Node {
  /** Centroids of the children (branching × 8 words); empty for a leaf. */
  centroids: Uint32Array;
  children: Node[];
  /** Leaf word id, or -1 for inner nodes. */
  word: number;
}

export class Vocabulary {
  /** First word id of each first-level branch: words are numbered depth-first, so a branch is a range. */
  private readonly branchStarts: number[];

  private constructor(
    private readonly root: Node,
    readonly words: number,
    readonly options: VocabularyOptions,
    /** Identity of the local features it was trained on. */
    readonly featuresIdentity: string,
  ) {
    const first = (n: Node): number => (n.word >= 0 ? n.word : first(n.children[0]!));
    this.branchStarts = root.word >= 0 ? [0] : root.children.map(first);
  }

  /** First-level branch of a word (descriptors in different branches are never matched). */
  branchOf(word: number): number {
    const s = this.branchStarts;
    let lo = 0, hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= word) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** Identity string: changes whenever quantisation could give different words. */
  get identity(): string {
    const o = this.options;
    return `vt-kmajority/b${o.branching}/d${o.depth}/it${o.iterations}/n${o.maxTrainingDescriptors}/s${o.seed}/w${this.words}/${this.featuresIdentity}`;
  }

  /** Trains on descriptors (8 uint32 words each). Deterministic for a given seed and input. */
  static train(descriptors: Uint32Array, featuresIdentity: string, options: Partial<VocabularyOptions> = {}): Vocabulary {
    const o = { ...DEFAULT_VOCABULARY_OPTIONS, ...options };
    const total = descriptors.length / WORDS;
    if (total < o.branching) {
      throw new AppError('INVALID_PARAMETER', `need at least ${o.branching} descriptors to train a vocabulary, got ${total}`);
    }
    const rand = seededRandom(o.seed);
    let sample = Array.from({ length: total }, (_, i) => i);
    if (total > o.maxTrainingDescriptors) {
      for (let i = 0; i < o.maxTrainingDescriptors; i++) {
        const j = i + Math.floor(rand() * (total - i));
        [sample[i], sample[j]] = [sample[j]!, sample[i]!];
      }
      sample = sample.slice(0, o.maxTrainingDescriptors);
    }
    let nextWord = 0;
    const build = (members: number[], level: number): Node => {
      if (level === o.depth || members.length < o.branching * 2) {
        return { centroids: new Uint32Array(0), children: [], word: nextWord++ };
      }
      const { centroids, assignment } = kMajority(descriptors, members, o.branching, o.iterations, rand);
      const groups: number[][] = Array.from({ length: o.branching }, () => []);
      members.forEach((m, i) => groups[assignment[i]!]!.push(m));
      return { centroids, children: groups.map((g) => build(g, level + 1)), word: -1 };
    };
    const root = build(sample, 0);
    return new Vocabulary(root, nextWord, o, featuresIdentity);
  }

  /** Word id of each descriptor, and the id of its first-level branch (for bucketed matching). */
  quantize(descriptors: Uint32Array): { words: Uint32Array; branches: Uint8Array } {
    const n = descriptors.length / WORDS;
    const words = new Uint32Array(n);
    const branches = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let node = this.root;
      let level = 0;
      while (node.word < 0) {
        const k = node.children.length;
        let best = 0;
        let bestD = Infinity;
        for (let c = 0; c < k; c++) {
          const d = hamming(descriptors, i, node.centroids, c);
          if (d < bestD) { bestD = d; best = c; }
        }
        if (level === 0) branches[i] = best;
        node = node.children[best]!;
        level++;
      }
      words[i] = node.word;
    }
    return { words, branches };
  }

  /** Binary form: JSON header line, then the centroids of every inner node in depth-first order. */
  serialize(): Buffer {
    const chunks: Buffer[] = [];
    const shape: number[] = []; // per node in DFS order: number of children (0 = leaf)
    const walk = (n: Node): void => {
      shape.push(n.children.length);
      if (n.children.length > 0) chunks.push(Buffer.from(n.centroids.buffer, n.centroids.byteOffset, n.centroids.byteLength));
      n.children.forEach(walk);
    };
    walk(this.root);
    const header = Buffer.from(`${JSON.stringify({ format: 'shoplens-vocabulary/1', options: this.options, words: this.words, featuresIdentity: this.featuresIdentity, shape })}\n`);
    return Buffer.concat([header, ...chunks]);
  }

  static deserialize(buf: Buffer): Vocabulary {
    const nl = buf.indexOf(10);
    let meta: { format: string; options: VocabularyOptions; words: number; featuresIdentity: string; shape: number[] };
    try {
      meta = JSON.parse(buf.subarray(0, nl).toString('utf8')) as typeof meta;
    } catch (err) {
      throw new AppError('STORE_ERROR', 'vocabulary file is corrupt', { cause: err });
    }
    if (meta.format !== 'shoplens-vocabulary/1') throw new AppError('STORE_ERROR', `unknown vocabulary format ${meta.format}`);
    let offset = nl + 1;
    let s = 0;
    let nextWord = 0;
    const read = (): Node => {
      const k = meta.shape[s++]!;
      if (k === 0) return { centroids: new Uint32Array(0), children: [], word: nextWord++ };
      const bytes = k * WORDS * 4;
      const centroids = new Uint32Array(k * WORDS);
      new Uint8Array(centroids.buffer).set(buf.subarray(offset, offset + bytes));
      offset += bytes;
      const children: Node[] = [];
      for (let c = 0; c < k; c++) children.push(read());
      return { centroids, children, word: -1 };
    };
    const root = read();
    if (nextWord !== meta.words || offset !== buf.length) throw new AppError('STORE_ERROR', 'vocabulary file is truncated or corrupt');
    return new Vocabulary(root, meta.words, meta.options, meta.featuresIdentity);
  }
}

/** k-majority clustering of `members` (indices into `data`); k-means++-style seeding. */
function kMajority(data: Uint32Array, members: number[], k: number, iterations: number, rand: () => number): { centroids: Uint32Array; assignment: Uint16Array } {
  const n = members.length;
  const centroids = new Uint32Array(k * WORDS);
  const setCentroid = (c: number, m: number): void => centroids.set(data.subarray(m * WORDS, m * WORDS + WORDS), c * WORDS);
  // Seeding: k-means++ on a subsample keeps it O(k·s) rather than O(k·n).
  const pool = n > 4000 ? Array.from({ length: 4000 }, () => members[Math.floor(rand() * n)]!) : members;
  const minD = new Float64Array(pool.length).fill(Infinity);
  setCentroid(0, pool[Math.floor(rand() * pool.length)]!);
  for (let c = 1; c < k; c++) {
    let sum = 0;
    for (let i = 0; i < pool.length; i++) {
      const d = hamming(data, pool[i]!, centroids, c - 1);
      if (d < minD[i]!) minD[i] = d;
      sum += minD[i]! * minD[i]!;
    }
    let r = rand() * sum;
    let chosen = pool.length - 1;
    for (let i = 0; i < pool.length; i++) { r -= minD[i]! * minD[i]!; if (r <= 0) { chosen = i; break; } }
    setCentroid(c, pool[chosen]!);
  }
  const assignment = new Uint16Array(n);
  const bitCounts = new Uint32Array(k * 256);
  const sizes = new Uint32Array(k);
  for (let it = 0; it < iterations; it++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const d = hamming(data, members[i]!, centroids, c);
        if (d < bestD) { bestD = d; best = c; }
      }
      if (assignment[i] !== best || it === 0) changed++;
      assignment[i] = best;
    }
    if (changed === 0 && it > 0) break;
    bitCounts.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignment[i]!;
      sizes[c]!++;
      const base = members[i]! * WORDS;
      const cb = c * 256;
      for (let w = 0; w < WORDS; w++) {
        let v = data[base + w]!;
        while (v !== 0) {
          const bit = 31 - Math.clz32(v & -v);
          bitCounts[cb + w * 32 + bit]!++;
          v &= v - 1;
        }
      }
    }
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) { setCentroid(c, members[Math.floor(rand() * n)]!); continue; }
      const half = sizes[c]! / 2;
      for (let w = 0; w < WORDS; w++) {
        let v = 0;
        for (let bit = 0; bit < 32; bit++) if (bitCounts[c * 256 + w * 32 + bit]! > half) v |= 1 << bit;
        centroids[c * WORDS + w] = v >>> 0;
      }
    }
  }
  return { centroids, assignment };
}
