/**
 * Dot products of a few query vectors against a whole catalog matrix, in WebAssembly SIMD.
 *
 * Why not usearch's native `exactSearch`: measured here at ~390 ns per 784-d dot (its distance
 * loop does not vectorise for this call path, and it sorts/copies 60k keys per query), i.e. ~4 min
 * for the raw-pixel row alone; plain JS loops were ~3× slower still. This 4-query × 2-row f32x4
 * kernel is exact float32 arithmetic (only the summation order differs from a scalar loop), needs
 * no dependency, and runs in any worker thread.
 *
 * The module is assembled by hand below (no wat2wasm at build time); it exports one function
 *   dots4(base, rows, queries, dim4, out)
 * which, for catalog rows r < rows (rows even; each `dim4` floats, dim4 a multiple of 4) and the 4 query rows
 * stored contiguously at `queries`, writes out[r*4 + j] = dot(base_r, query_j).
 */

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function str(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s, 'utf8')];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

// Opcodes used.
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32c = (v: number) => [0x41, ...uleb(v)]; // only small non-negative constants are used (sleb == uleb below 64)
const I32_ADD = 0x6a, I32_SHL = 0x74, I32_LT_U = 0x49, I32_GE_U = 0x4f, F32_ADD = 0x92;
const v128Load = [0xfd, 0x00, 0x04, 0x00]; // align 2^4, offset 0
const F32X4_ADD = [0xfd, 0xe4, 0x01];
const F32X4_MUL = [0xfd, 0xe6, 0x01];
const v128Zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const lane = (l: number) => [0xfd, 0x1f, l];
const f32Store = (offset: number) => [0x38, 0x02, ...uleb(offset)];

// Locals: params 0 base, 1 rows, 2 q0, 3 dim4, 4 out; i32 5 r, 6 k, 7 rowPtr, 8 rowBytes, 9 q1, 10 q2, 11 q3,
// 12 o, 13 row2Ptr; v128 14..21 acc (query j, row h) at 14 + 4h + j, 22 x0, 23 x1.
const P_BASE = 0, P_ROWS = 1, P_Q0 = 2, P_DIM = 3, P_OUT = 4;
const L_R = 5, L_K = 6, L_ROW = 7, L_ROWBYTES = 8, L_O = 12, L_ROW2 = 13;
const L_Q = [P_Q0, 9, 10, 11] as const;
const accOf = (j: number, h: number) => 14 + 4 * h + j;
const L_X = [22, 23] as const;

/** Two catalog rows × four queries per step (8 accumulators): each loaded vector feeds 4 or 2 products. */
function dots4Body(): number[] {
  const code: number[] = [];
  const emit = (...parts: (number | number[])[]) => {
    for (const p of parts) if (Array.isArray(p)) code.push(...p); else code.push(p);
  };
  emit(get(P_DIM), i32c(2), I32_SHL, set(L_ROWBYTES));
  for (let j = 1; j < 4; j++) emit(get(L_Q[j - 1]!), get(L_ROWBYTES), I32_ADD, set(L_Q[j]!));
  emit(get(P_BASE), set(L_ROW), i32c(0), set(L_R), get(P_OUT), set(L_O));
  emit(0x02, 0x40); // block $exit
  emit(0x03, 0x40); //   loop $rows (rows is even)
  emit(get(L_R), get(P_ROWS), I32_GE_U, 0x0d, 1); // br_if $exit
  emit(get(L_ROW), get(L_ROWBYTES), I32_ADD, set(L_ROW2));
  for (let h = 0; h < 2; h++) for (let j = 0; j < 4; j++) emit(v128Zero, set(accOf(j, h)));
  emit(i32c(0), set(L_K));
  emit(0x03, 0x40); //     loop $k (do-while: dim4 ≥ 4)
  emit(get(L_ROW), get(L_K), I32_ADD, v128Load, set(L_X[0]));
  emit(get(L_ROW2), get(L_K), I32_ADD, v128Load, set(L_X[1]));
  for (let j = 0; j < 4; j++) {
    emit(get(L_Q[j]!), get(L_K), I32_ADD, v128Load); // each query vector is loaded once for both rows
    emit(tee(24));
    emit(get(L_X[0]), F32X4_MUL, get(accOf(j, 0)), F32X4_ADD, set(accOf(j, 0)));
    emit(get(24), get(L_X[1]), F32X4_MUL, get(accOf(j, 1)), F32X4_ADD, set(accOf(j, 1)));
  }
  emit(get(L_K), i32c(16), I32_ADD, tee(L_K), get(L_ROWBYTES), I32_LT_U, 0x0d, 0); // br_if $k
  emit(0x0b); //     end $k
  for (let h = 0; h < 2; h++) {
    for (let j = 0; j < 4; j++) {
      const acc = accOf(j, h);
      emit(get(L_O), get(acc), lane(0), get(acc), lane(1), F32_ADD, get(acc), lane(2), F32_ADD, get(acc), lane(3), F32_ADD, f32Store(16 * h + 4 * j));
    }
  }
  emit(get(L_O), i32c(32), I32_ADD, set(L_O));
  emit(get(L_ROW2), get(L_ROWBYTES), I32_ADD, set(L_ROW));
  emit(get(L_R), i32c(2), I32_ADD, set(L_R));
  emit(0x0c, 0); //     br $rows
  emit(0x0b, 0x0b); // end loop, end block
  emit(0x0b); // end func
  const locals = [2, ...uleb(9), I32, ...uleb(11), V128];
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

let compiled: WebAssembly.Module | undefined;

function dotModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]),
    ...section(2, [1, ...str('env'), ...str('mem'), 0x02, 0x00, 0x01]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...str('dots4'), 0x00, 0]),
    ...section(10, [1, ...dots4Body()]),
  ];
  compiled = new WebAssembly.Module(new Uint8Array(bytes));
  return compiled;
}

const PAGE = 65536;
/** Catalog rows per cache block and the bytes of queries kept hot with them (sized for a 512 KB L2). */
const BLOCK_BYTES = 128 * 1024;
const QUERY_BLOCK_BYTES = 256 * 1024;

/** Rounds a dimension up to the kernel's lane multiple. */
export function paddedDimension(dim: number): number {
  return Math.ceil(dim / 4) * 4;
}

/**
 * Holds a catalog matrix in WebAssembly memory and computes, for a batch of queries, the dot
 * product with every catalog row (cosine similarity when both sides are L2-normalised). The
 * catalog is walked in cache-sized blocks, each block meeting every query of the batch while it is
 * hot: one pass over 4 queries at a time would be memory-bound (measured ~2.5× slower at 784-d).
 */
export class DotKernel {
  readonly rows: number;
  readonly dim: number;
  /** Most queries one similarities() call takes. */
  readonly maxBatch: number;
  private readonly dim4: number;
  private readonly memory: WebAssembly.Memory;
  private readonly dots4: (base: number, rows: number, q: number, dim4: number, out: number) => void;
  private readonly queryPtr: number;
  private readonly outPtr: number;
  private readonly blockRows: number;
  /** rows rounded up to even (the kernel takes rows in pairs; the extra row is zeros). */
  private readonly rowsPadded: number;

  /** `catalog` is rows × dim floats, row-major. */
  constructor(catalog: Float32Array, dim: number) {
    if (dim < 1 || catalog.length % dim !== 0) throw new RangeError(`catalog length ${catalog.length} is not a multiple of dim ${dim}`);
    this.rows = catalog.length / dim;
    this.dim = dim;
    this.dim4 = paddedDimension(dim);
    const rowBytes = this.dim4 * 4;
    this.rowsPadded = this.rows + (this.rows & 1);
    this.blockRows = Math.max(2, Math.floor(BLOCK_BYTES / rowBytes / 2) * 2);
    this.maxBatch = Math.max(4, Math.floor(QUERY_BLOCK_BYTES / rowBytes / 4) * 4);
    const baseBytes = this.rowsPadded * rowBytes;
    const queryBytes = this.maxBatch * rowBytes;
    const outBytes = this.rowsPadded * this.maxBatch * 4;
    const pages = Math.ceil((baseBytes + queryBytes + outBytes) / PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages });
    const instance = new WebAssembly.Instance(dotModule(), { env: { mem: this.memory } });
    this.dots4 = instance.exports['dots4'] as typeof this.dots4;
    this.queryPtr = baseBytes;
    this.outPtr = baseBytes + queryBytes;
    const base = new Float32Array(this.memory.buffer, 0, this.rows * this.dim4);
    if (this.dim4 === dim) base.set(catalog);
    else for (let r = 0; r < this.rows; r++) base.set(catalog.subarray(r * dim, (r + 1) * dim), r * this.dim4);
  }

  /**
   * Similarities of `count` (1..maxBatch) queries, given as count × dim floats, against every
   * catalog row: one Float32Array of `rows` values per query (fresh arrays, owned by the caller).
   */
  similarities(queries: Float32Array, count: number): Float32Array[] {
    if (count < 1 || count > this.maxBatch || queries.length < count * this.dim) {
      throw new RangeError(`similarities takes 1 to ${this.maxBatch} queries of ${this.dim} floats`);
    }
    const groups = Math.ceil(count / 4);
    const rowBytes = this.dim4 * 4;
    const q = new Float32Array(this.memory.buffer, this.queryPtr, groups * 4 * this.dim4);
    q.fill(0);
    for (let j = 0; j < count; j++) q.set(queries.subarray(j * this.dim, (j + 1) * this.dim), j * this.dim4);
    // Output for query group g: rowsPadded × 4 floats at outPtr + g·rowsPadded·16.
    const rows = this.rowsPadded;
    for (let start = 0; start < rows; start += this.blockRows) {
      const n = Math.min(this.blockRows, rows - start);
      for (let g = 0; g < groups; g++) {
        this.dots4(start * rowBytes, n, this.queryPtr + g * 4 * rowBytes, this.dim4, this.outPtr + (g * rows + start) * 16);
      }
    }
    const out = new Float32Array(this.memory.buffer, this.outPtr, groups * rows * 4);
    const result: Float32Array[] = [];
    for (let j = 0; j < count; j++) {
      const sims = new Float32Array(this.rows);
      const g = j >> 2;
      for (let r = 0, o = g * rows * 4 + (j & 3); r < this.rows; r++, o += 4) sims[r] = out[o]!;
      result.push(sims);
    }
    return result;
  }
}
