/**
 * Worker thread of CatalogAnalysisWorker: the local features of one catalog image
 * (analyseCatalogImage), encoded, so an ingest analyses two images at a time on two cores.
 */
import { parentPort } from 'node:worker_threads';
import { encodeLocalFeatures } from '../../features/local/local-features.js';
import { useNativeOrb } from '../../features/local/opencv.js';
import { analyseCatalogImage, type CatalogAnalysisRequest } from './catalog-analysis.js';

const port = parentPort!;
port.on('message', (req: CatalogAnalysisRequest) => {
  useNativeOrb(req.nativeOrb);
  const data = Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength);
  analyseCatalogImage({ data, width: req.width, height: req.height, channels: 3 }, req.options).then((features) => {
    const encoded = new Uint8Array(encodeLocalFeatures(features));
    port.postMessage({ id: req.id, encoded }, [encoded.buffer]);
  }).catch((err: unknown) => {
    port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
  });
});
