/**
 * Worker thread of ScanWorker: scans the postings of some of a query's keypoints (scanPostings)
 * over the index tables the main thread shares with it (SharedArrayBuffers, never copied).
 */
import { parentPort } from 'node:worker_threads';
import { scanPostings, type ScanTables } from './hamming-index.js';
import type { ScanRequest } from './scan-worker.js';

const port = parentPort!;
let tables: { id: number; tables: ScanTables } | null = null;

port.on('message', (req: ScanRequest) => {
  if (req.type === 'tables') {
    tables = { id: req.tablesId, tables: req.tables };
    return;
  }
  try {
    if (!tables || tables.id !== req.tablesId) throw new Error(`scan worker has index ${tables?.id ?? 'none'}, asked for ${req.tablesId}`);
    const scan = scanPostings(tables.tables, req.words, req.descriptors, req.from, req.to);
    port.postMessage({ id: req.id, scan }, [scan.scores.buffer as ArrayBuffer, scan.postings.buffer as ArrayBuffer, scan.queries.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
  }
});
