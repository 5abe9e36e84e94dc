/**
 * Feature vectors are stored as BLOBs of Float32 little-endian values, whatever the host's
 * byte order, so a catalog file can move between machines.
 */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A Buffer viewing (little-endian hosts) or holding (big-endian hosts) the vector's bytes. */
export function vectorToBlob(vector: Float32Array): Buffer {
  if (HOST_IS_LITTLE_ENDIAN) {
    // A view is enough: the SQLite driver copies bound blobs.
    return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
  }
  const out = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) out.writeFloatLE(vector[i]!, i * 4);
  return out;
}

/**
 * Always copies: a Buffer returned by the driver may start at any byteOffset inside a shared
 * pool, and a Float32Array view needs 4-byte alignment (and must not alias pooled memory).
 */
export function blobToVector(blob: Uint8Array): Float32Array {
  if (blob.byteLength % 4 !== 0) {
    throw new Error(`vector blob length ${blob.byteLength} is not a multiple of 4`);
  }
  const out = new Float32Array(blob.byteLength / 4);
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(blob);
  } else {
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}
