import { RequestWorker } from '../../workers/request-worker.js';
import { scanPostings, type Candidate, type CandidateMatches, type HammingIndex, type Scan, type ScanTables } from './hamming-index.js';

/** @internal Messages between ScanWorker and scan.worker.ts. */
export type ScanRequest =
  | { type: 'tables'; tablesId: number; tables: ScanTables }
  | { type: 'scan'; id: number; tablesId: number; words: Uint32Array; descriptors: Uint32Array; from: number; to: number };

/**
 * Candidate generation on two cores: a worker thread scans the postings of the second half of a
 * query's keypoints (split by postings to read, not by count) while the calling thread scans the
 * first half; the index tables are shared memory, sent to the worker once per index. The results
 * are those of HammingIndex.query, in the same order. If the worker fails, its half is scanned here.
 */
export class ScanWorker {
  private readonly worker = new RequestWorker<Omit<Extract<ScanRequest, { type: 'scan' }>, 'id'>, { scan: Scan }>(import.meta.url, 'scan.worker');
  private sent: ScanTables | null = null;
  private tablesId = 0;

  async query(index: HammingIndex, words: Uint32Array, descriptors: Uint32Array, limit: number, accept?: (key: number) => boolean): Promise<{ candidates: Candidate[]; matches: CandidateMatches }> {
    const split = halfOfWork(index.work(words));
    const remote = this.scanInWorker(index.tables, words, descriptors, split)
      .catch(() => scanPostings(index.tables, words, descriptors, split, words.length));
    const local = scanPostings(index.tables, words, descriptors, 0, split);
    return index.finish([local, await remote], limit, accept);
  }

  private async scanInWorker(tables: ScanTables, words: Uint32Array, descriptors: Uint32Array, from: number): Promise<Scan> {
    if (this.sent !== tables) {
      const tablesId = this.tablesId + 1;
      const msg: ScanRequest = { type: 'tables', tablesId, tables };
      if (!this.worker.post(msg)) throw new Error('scan worker unavailable');
      this.sent = tables;
      this.tablesId = tablesId;
    }
    return (await this.worker.request({ type: 'scan', tablesId: this.tablesId, words, descriptors, from, to: words.length })).scan;
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}

/** The first index from which the remaining work is at most half of the total. */
function halfOfWork(work: Float64Array): number {
  let total = 0;
  for (const w of work) total += w;
  let done = 0;
  for (let i = 0; i < work.length; i++) {
    if (done >= total / 2) return i;
    done += work[i]!;
  }
  return work.length;
}
