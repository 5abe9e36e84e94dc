import { RequestWorker } from '../../workers/request-worker.js';
import { WORDS } from './hamming.js';
import { scanPostings, type Candidate, type CandidateMatches, type HammingIndex, type Scan, type ScanTables } from './hamming-index.js';
import type { Vocabulary } from './vocabulary.js';

/** @internal Messages between ScanWorker and scan.worker.ts. */
export type ScanRequest =
  | { type: 'tables'; tablesId: number; tables: ScanTables }
  | { type: 'vocabulary'; vocabularyId: number; bytes: Uint8Array }
  | { type: 'scan'; id: number; tablesId: number; vocabularyId: number; descriptors: Uint32Array; angles: Uint8Array | undefined; from: number; to: number };

/** @internal The worker's reply: its keypoints' words and first-level branches, and their scan. */
export interface ScanReply {
  words: Uint32Array;
  branches: Uint8Array;
  scan: Scan;
}

/** A query's candidates with its keypoints' visual words (and first-level branches, for verification). */
export interface QuantizedQuery {
  candidates: Candidate[];
  matches: CandidateMatches;
  words: Uint32Array;
  branches: Uint8Array;
}

/**
 * Quantisation and candidate generation on two cores: a worker thread quantises the second half of
 * a query's keypoints (or another share) and scans their postings while the calling thread does
 * the first; the index tables are shared memory, and the tables and the vocabulary are sent to the
 * worker once each. The result is that of Vocabulary.quantize + HammingIndex.query on one thread (scores are
 * float32 sums in another order). If the worker fails, its half is done here.
 */
export class ScanWorker {
  private readonly worker = new RequestWorker<Omit<Extract<ScanRequest, { type: 'scan' }>, 'id'>, ScanReply>(import.meta.url, 'scan.worker');
  private sentTables: ScanTables | null = null;
  private sentVocabulary: Vocabulary | null = null;
  private tablesId = 0;
  private vocabularyId = 0;

  /**
   * `localShare` of the keypoints are done on the calling thread (half by default; 0 leaves the
   * calling thread free for other work while the worker does all of it).
   */
  async query(index: HammingIndex, vocabulary: Vocabulary, descriptors: Uint32Array, angles: Uint8Array | undefined, limit: number, accept?: (key: number) => boolean, localShare = 0.5): Promise<QuantizedQuery> {
    const n = descriptors.length / WORDS;
    const split = Math.ceil(n * Math.max(0, Math.min(1, localShare)));
    const words = new Uint32Array(n);
    const branches = new Uint8Array(n);
    const remote: Promise<ScanReply | null> = this.inWorker(index.tables, vocabulary, descriptors, angles, split, n).catch(() => null);
    const first = vocabulary.quantize(descriptors.subarray(0, split * WORDS));
    words.set(first.words);
    branches.set(first.branches);
    const local = scanPostings(index.tables, words, descriptors, angles, 0, split);
    const reply = await remote;
    let rest: Scan;
    if (reply) {
      words.set(reply.words, split);
      branches.set(reply.branches, split);
      rest = reply.scan;
    } else {
      const second = vocabulary.quantize(descriptors.subarray(split * WORDS));
      words.set(second.words, split);
      branches.set(second.branches, split);
      rest = scanPostings(index.tables, words, descriptors, angles, split, n);
    }
    return { ...index.finish([local, rest], limit, accept), words, branches };
  }

  private async inWorker(tables: ScanTables, vocabulary: Vocabulary, descriptors: Uint32Array, angles: Uint8Array | undefined, from: number, to: number): Promise<ScanReply> {
    if (this.sentTables !== tables) {
      const tablesId = this.tablesId + 1;
      if (!this.worker.post({ type: 'tables', tablesId, tables } satisfies ScanRequest)) throw new Error('scan worker unavailable');
      this.sentTables = tables;
      this.tablesId = tablesId;
    }
    if (this.sentVocabulary !== vocabulary) {
      const vocabularyId = this.vocabularyId + 1;
      if (!this.worker.post({ type: 'vocabulary', vocabularyId, bytes: vocabulary.serialize() } satisfies ScanRequest)) throw new Error('scan worker unavailable');
      this.sentVocabulary = vocabulary;
      this.vocabularyId = vocabularyId;
    }
    return this.worker.request({ type: 'scan', tablesId: this.tablesId, vocabularyId: this.vocabularyId, descriptors, angles, from, to });
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
