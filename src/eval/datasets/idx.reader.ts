import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { AppError } from '../../domain/errors.js';

/**
 * Reader for the IDX format used by MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
 * a 4-byte magic `0x00 0x00 <type> <ndims>`, ndims big-endian uint32 sizes, then the data.
 * Only unsigned bytes (type 0x08) are supported: that is what every (Fashion-)MNIST file holds.
 */
export interface IdxArray {
  /** Sizes of each dimension, outermost first: [count] for labels, [count, rows, cols] for images. */
  shape: number[];
  data: Uint8Array;
}

const IDX_UBYTE = 0x08;
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Parses an IDX buffer, gunzipping it first when it starts with the gzip magic. */
export function parseIdx(buffer: Uint8Array, source = 'IDX data'): IdxArray {
  let bytes = buffer;
  if (bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new AppError('INVALID_PARAMETER', `${source}: gzip stream is corrupt`, { cause: err, details: { source } });
    }
  }
  const corrupt = (why: string) => new AppError('INVALID_PARAMETER', `${source}: ${why}`, { details: { source } });
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw corrupt('not an IDX file (bad magic number)');
  if (bytes[2] !== IDX_UBYTE) throw corrupt(`unsupported IDX element type 0x${bytes[2]!.toString(16)} (only unsigned bytes)`);
  const ndims = bytes[3]!;
  if (ndims < 1) throw corrupt('IDX file declares no dimensions');
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) throw corrupt('truncated IDX header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    shape.push(size);
    count *= size;
  }
  if (bytes.length - headerBytes !== count) {
    throw corrupt(`expected ${count} data bytes for shape [${shape.join(', ')}], found ${bytes.length - headerBytes}`);
  }
  return { shape, data: bytes.subarray(headerBytes, headerBytes + count) };
}

/** Reads and parses one IDX file (gzip'd or not). */
export async function readIdxFile(file: string): Promise<IdxArray> {
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (err) {
    throw new AppError('DATASET_NOT_FOUND', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err, details: { file } });
  }
  return parseIdx(buffer, file);
}
