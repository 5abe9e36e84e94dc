/**
 * Worker thread of OrbLevelsWorker: ORB on some pyramid levels of a grayscale image
 * (detectLevels), so a query's upper levels are detected while the main thread does the lower ones.
 */
import { parentPort } from 'node:worker_threads';
import { detectLevels } from './local-features.js';
import type { OrbLevelsRequest } from './orb-levels.js';
import { loadOpenCv } from './opencv.js';

const port = parentPort!;
port.on('message', (req: OrbLevelsRequest) => {
  loadOpenCv().then(({ cv }) => {
    const raw = detectLevels(cv, { data: req.data, width: req.width, height: req.height, channels: 1 }, req.options, req.range);
    port.postMessage({ id: req.id, raw }, [raw.xy.buffer as ArrayBuffer, raw.response.buffer as ArrayBuffer, raw.descriptors.buffer as ArrayBuffer, ...(raw.angle ? [raw.angle.buffer as ArrayBuffer] : [])]);
  }).catch((err: unknown) => {
    port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
  });
});
