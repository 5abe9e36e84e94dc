/**
 * Bag-of-visual-words inverted file with tf-idf weights and cosine scoring. Built in one pass from
 * every image's word list (CSR layout: one Int32Array of image slots, one Float32Array of weights),
 * so 10,000 images × 500 words cost ≈ 40 MB and a query touches only the postings of its words.
 */
export class InvertedFile {
  private readonly offsets: Uint32Array;
  private readonly slots: Int32Array;
  private readonly weights: Float32Array;
  private readonly idf: Float32Array;
  readonly keys: number[];

  constructor(words: number, docs: { key: number; words: Uint32Array }[]) {
    this.keys = docs.map((d) => d.key);
    const df = new Uint32Array(words);
    const uniq = docs.map((d) => countWords(d.words));
    for (const u of uniq) for (const w of u.keys()) df[w]!++;
    const n = Math.max(docs.length, 1);
    this.idf = new Float32Array(words);
    for (let w = 0; w < words; w++) this.idf[w] = df[w]! > 0 ? Math.log(n / df[w]!) : 0;
    this.offsets = new Uint32Array(words + 1);
    for (let w = 0; w < words; w++) this.offsets[w + 1] = this.offsets[w]! + df[w]!;
    const fill = this.offsets.slice(0, words);
    this.slots = new Int32Array(this.offsets[words]!);
    this.weights = new Float32Array(this.offsets[words]!);
    uniq.forEach((u, slot) => {
      let norm = 0;
      for (const [w, c] of u) norm += (tfWeight(c) * this.idf[w]!) ** 2;
      norm = Math.sqrt(norm) || 1;
      for (const [w, c] of u) {
        const at = fill[w]!++;
        this.slots[at] = slot;
        this.weights[at] = (tfWeight(c) * this.idf[w]!) / norm;
      }
    });
  }

  get size(): number {
    return this.keys.length;
  }

  /** Bytes held by the postings and tables (what a 10k-image index costs in memory). */
  get memoryBytes(): number {
    return this.offsets.byteLength + this.slots.byteLength + this.weights.byteLength + this.idf.byteLength + this.keys.length * 8;
  }

  /** The `limit` images with the highest tf-idf cosine to the query words, best first (`slot`: the image's position in the build order). */
  query(words: Uint32Array, limit: number, accept?: (key: number) => boolean): { key: number; slot: number; score: number }[] {
    const q = countWords(words);
    let qnorm = 0;
    for (const [w, c] of q) qnorm += (tfWeight(c) * (this.idf[w] ?? 0)) ** 2;
    qnorm = Math.sqrt(qnorm) || 1;
    const scores = new Float32Array(this.keys.length);
    for (const [w, c] of q) {
      const qw = (tfWeight(c) * (this.idf[w] ?? 0)) / qnorm;
      if (qw === 0) continue;
      for (let p = this.offsets[w]!, end = this.offsets[w + 1]!; p < end; p++) scores[this.slots[p]!]! += qw * this.weights[p]!;
    }
    return topK(scores, limit, (slot) => !accept || accept(this.keys[slot]!)).map((slot) => ({ key: this.keys[slot]!, slot, score: scores[slot]! }));
  }
}

/** Square-root term frequency damps "bursty" words (repeated texture) that would swamp the score. */
function tfWeight(count: number): number {
  return Math.sqrt(count);
}

function countWords(words: Uint32Array): Map<number, number> {
  const m = new Map<number, number>();
  for (const w of words) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** Indices of the k largest positive scores, best first. */
export function topK(scores: Float32Array, k: number, accept: (i: number) => boolean): number[] {
  const heap: number[] = []; // min-heap on score
  const less = (a: number, b: number) => scores[a]! < scores[b]!;
  for (let i = 0; i < scores.length; i++) {
    if (!(scores[i]! > 0)) continue;
    if (heap.length === k && !less(heap[0]!, i)) continue;
    if (!accept(i)) continue;
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0; ) {
        const p = (c - 1) >> 1;
        if (!less(heap[c]!, heap[p]!)) break;
        [heap[c], heap[p]] = [heap[p]!, heap[c]!];
        c = p;
      }
    } else {
      heap[0] = i;
      for (let p = 0; ; ) {
        const l = 2 * p + 1, r = l + 1;
        let m = p;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === p) break;
        [heap[m], heap[p]] = [heap[p]!, heap[m]!];
        p = m;
      }
    }
  }
  return heap.sort((a, b) => scores[b]! - scores[a]!);
}
