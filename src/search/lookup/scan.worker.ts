/**
 * Worker thread of ScanWorker: quantises some of a query's keypoints with the vocabulary it was
 * sent once, and scans their postings (scanPostings) over the index tables the main thread shares
 * with it (SharedArrayBuffers, never copied).
 */
import { parentPort } from 'node:worker_threads';
import { WORDS } from './hamming.js';
import { scanPostings, type ScanTables } from './hamming-index.js';
import type { ScanRequest } from './scan-worker.js';
import { Vocabulary } from './vocabulary.js';

const port = parentPort!;
let tables: { id: number; tables: ScanTables } | null = null;
let vocabulary: { id: number; vocabulary: Vocabulary } | null = null;

port.on('message', (req: ScanRequest) => {
  if (req.type === 'tables') {
    tables = { id: req.tablesId, tables: req.tables };
    return;
  }
  if (req.type === 'vocabulary') {
    vocabulary = { id: req.vocabularyId, vocabulary: Vocabulary.deserialize(Buffer.from(req.bytes.buffer, req.bytes.byteOffset, req.bytes.byteLength)) };
    return;
  }
  try {
    if (!tables || tables.id !== req.tablesId) throw new Error(`scan worker has index ${tables?.id ?? 'none'}, asked for ${req.tablesId}`);
    if (!vocabulary || vocabulary.id !== req.vocabularyId) throw new Error(`scan worker has vocabulary ${vocabulary?.id ?? 'none'}, asked for ${req.vocabularyId}`);
    const { words, branches } = vocabulary.vocabulary.quantize(req.descriptors.subarray(req.from * WORDS, req.to * WORDS));
    // scanPostings reads words by keypoint index: this half's words at their places.
    const all = new Uint32Array(req.to);
    all.set(words, req.from);
    const scan = scanPostings(tables.tables, all, req.descriptors, req.angles, req.from, req.to);
    port.postMessage({ id: req.id, words, branches, scan }, [words.buffer as ArrayBuffer, branches.buffer as ArrayBuffer, scan.scores.buffer as ArrayBuffer, scan.postings.buffer as ArrayBuffer, scan.queries.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
  }
});
