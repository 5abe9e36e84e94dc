import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import { writeAtomically } from '../index/atomic-file.js';

/*
 * A model fitted on the catalog lives in a folder of the data directory as two files:
 *   <name>.json   the manifest: what it applies to, shapes, the weights' sha256, how it was made
 *   <name>.bin    float32 arrays, little-endian, one after the other in a fixed order
 * The weights are written first and the manifest last, each atomically; the manifest names the
 * checksum, so a torn or edited weights file is detected on load. The trained projection
 * (shoplens train) and the catalog adaptation (shoplens adapt) are both kept this way.
 */

export const identitySchema = z.object({
  name: z.string(),
  version: z.string(),
  dimensions: z.number().int().positive(),
  metric: z.enum(['cosine', 'euclidean']),
  preprocessing: z.string(),
});

export interface WeightsFolder {
  dir: string;
  manifestFile: string;
  weightsFile: string;
  /** Error for a folder that exists but cannot be used (code and advice differ per model kind). */
  corrupt: (why: string, cause?: unknown) => AppError;
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The arrays as one little-endian float32 buffer; lengths checked against `expected`. */
function encodeArrays(arrays: Float32Array[], expected: number[]): Buffer {
  arrays.forEach((a, i) => {
    if (a.length !== expected[i]) throw new AppError('INVALID_PARAMETER', `model array ${i} has ${a.length} values, expected ${expected[i]}`);
  });
  const out = Buffer.alloc(expected.reduce((s, n) => s + n, 0) * 4);
  let offset = 0;
  for (const a of arrays) for (const v of a) offset = out.writeFloatLE(v, offset);
  return out;
}

/** Writes weights then manifest (with the weights' sha256 added); returns the manifest written. */
export async function saveWeightsFolder<M extends { sha256: string }>(
  folder: WeightsFolder, arrays: Float32Array[], expected: number[], manifest: Omit<M, 'sha256'>,
): Promise<M> {
  await mkdir(folder.dir, { recursive: true });
  const weights = encodeArrays(arrays, expected);
  const written = { ...manifest, sha256: sha256Of(weights) } as M;
  await writeAtomically(path.join(folder.dir, folder.weightsFile), (tmp) => writeFile(tmp, weights));
  await writeAtomically(path.join(folder.dir, folder.manifestFile), (tmp) => writeFile(tmp, JSON.stringify(written, null, 2) + '\n', 'utf8'));
  return written;
}

/**
 * Reads a folder written by saveWeightsFolder: null when there is no manifest; folder.corrupt(...)
 * when the manifest is invalid or the weights do not match its checksum or the shapes it implies.
 */
export async function loadWeightsFolder<M extends { sha256: string }>(
  folder: WeightsFolder, schema: z.ZodType<M>, lengthsOf: (manifest: M) => number[],
): Promise<{ manifest: M; arrays: Float32Array[] } | null> {
  let text: string;
  try {
    text = await readFile(path.join(folder.dir, folder.manifestFile), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw folder.corrupt('cannot read the manifest', err);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw folder.corrupt('the manifest is not JSON', err);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw folder.corrupt(`invalid manifest: ${parsed.error.message}`);
  const manifest = parsed.data;
  let weights: Buffer;
  try {
    weights = await readFile(path.join(folder.dir, folder.weightsFile));
  } catch (err) {
    throw folder.corrupt('cannot read the weights', err);
  }
  if (sha256Of(weights) !== manifest.sha256) throw folder.corrupt('the weights do not match the manifest checksum');
  const lengths = lengthsOf(manifest);
  if (weights.length !== lengths.reduce((s, n) => s + n, 0) * 4) throw folder.corrupt('the weights do not match the manifest shapes');
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const n of lengths) {
    // Copy out of the file buffer (aligned, and endianness-explicit).
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++, offset += 4) a[i] = weights.readFloatLE(offset);
    arrays.push(a);
  }
  return { manifest, arrays };
}

/** Removes the folder's model (manifest first: without it the weights are ignored); true when there was one. */
export async function removeWeightsFolder(folder: WeightsFolder): Promise<boolean> {
  const manifest = path.join(folder.dir, folder.manifestFile);
  const had = await readFile(manifest).then(() => true, () => false);
  await rm(manifest, { force: true });
  await rm(path.join(folder.dir, folder.weightsFile), { force: true });
  return had;
}
