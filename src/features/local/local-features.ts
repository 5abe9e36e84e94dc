import { AppError } from '../../domain/errors.js';
import type { RegionShape, TurnedRect } from '../../imaging/flat-regions.js';
import type { GrayImage, RgbImage } from '../../imaging/types.js';
import type { OpponentChannel } from '../../imaging/opponent.js';
import { loadOpenCv, nativeOrb, type Cv } from './opencv.js';

/** Bytes per ORB descriptor (256 bits). */
export const DESCRIPTOR_BYTES = 32;

/**
 * Keypoints and binary descriptors of one image. Coordinates are in the pixels of the image that
 * was analysed (`width`×`height`), so a box or homography can be scaled back by the caller.
 */
export interface LocalFeatures {
  width: number;
  height: number;
  count: number;
  /** x0, y0, x1, y1, … (length 2·count). */
  xy: Float32Array;
  /** count × DESCRIPTOR_BYTES, row-major. */
  descriptors: Uint8Array;
  /**
   * ORB's orientation per keypoint in 256ths of a turn (ANGLE_STEPS), for the weak geometric
   * consistency of lookup: a correspondence between a query and a catalog keypoint turns the
   * product by the difference of their angles. Absent in features of older analyses.
   */
  angles?: Uint8Array;
  /**
   * A small colour copy of the analysed image (catalog images: longest side COLOUR_SIDE), for the
   * colour check of a match (search/lookup/colour.ts). Absent in features of older analyses.
   */
  colours?: RgbImage;
  /**
   * The colour layout of the product's rectangle (search/lookup/layouts.ts), for catalogue images
   * whose product fills a rectangle on a plain backdrop (a flag, a card). Absent otherwise, and in
   * features of older analyses.
   */
  layout?: {
    aspect: number;
    colours: Uint8Array;
    /** The product's rectangle in the analysed image. */
    rect: TurnedRect;
  };
  /**
   * The product's shape (search/lookup/shapes.ts), for catalogue images of a product of more than
   * one colour on a plain backdrop, in the frame of the image scaled to 320 px: its longest side,
   * its colours at ~200 points and its largest flat regions. Absent otherwise, and in features of
   * older analyses.
   */
  shape?: {
    extent: number;
    /** x, y pairs. */
    points: Uint16Array;
    /** RGB per point. */
    colours: Uint8Array;
    anchors: (Omit<RegionShape, 'id'> & {
      points: Uint16Array;
      /** 1 for a region grown across gradients, 2 for an outlined shape's inside (shapes.ts); absent for a flat one. */
      level?: number;
    })[];
  };
  /**
   * The product's strokes (search/lookup/outlines.ts), for catalogue images of a coloured line
   * drawing on a plain backdrop: their colour, the drawing's longest side (px, at the 200-px frame
   * the strokes were found in), points on them and points beside them, as int8 x, y pairs in 1/200
   * of that side from the drawing's centre. Absent otherwise, and in features of older analyses.
   */
  outline?: {
    colour: [number, number, number];
    extent: number;
    strokes: Int8Array;
    halo: Int8Array;
  };
  /**
   * The product's LINE-2D templates (search/lookup/lines.ts: its gradient orientations at a few
   * sizes and turns), an opaque blob of the native addon's, for catalogue images of a product on a
   * plain backdrop when the addon is built; a blob of no templates (NO_LINE_TEMPLATES) for other
   * images then. Absent when the addon was not built, and in features of older analyses.
   */
  line?: Uint8Array;
}

/** Steps of a full turn in LocalFeatures.angles (one byte per keypoint). */
export const ANGLE_STEPS = 256;

/** Degrees → LocalFeatures.angles steps (wrapped into one turn). */
export function angleStep(degrees: number): number {
  return Math.round((degrees / 360) * ANGLE_STEPS) & (ANGLE_STEPS - 1);
}

/** A largest turn in degrees as ANGLE_STEPS, or −1 for no check (180 or more, or none given). */
export function turnSteps(degrees: number | undefined): number {
  return degrees === undefined || degrees >= 180 ? -1 : Math.floor((degrees / 360) * ANGLE_STEPS);
}

/** Whether two angles (ANGLE_STEPS) differ by at most `turn` steps, either way round. */
export function withinTurn(a: number, b: number, turn: number): boolean {
  const d = (a - b) & (ANGLE_STEPS - 1);
  return d <= turn || d >= ANGLE_STEPS - turn;
}

/** Longest side of the colour copy stored with a catalog image's features. */
export const COLOUR_SIDE = 48;

export interface LocalFeatureOptions {
  /** Most keypoints kept (strongest first). */
  maxKeypoints: number;
  /** FAST corner threshold; lower finds corners in blurred or low-contrast photos. */
  fastThreshold?: number;
  /**
   * Grid-adapted selection: detect up to `detect` keypoints, then keep `maxKeypoints` spread over a
   * `grid`×`grid` layout (the strongest of each cell first, then the strongest left over). In a
   * cluttered photo the strongest corners sit on the clutter; a small, blurred product still keeps
   * its share.
   */
  spread?: { detect: number; grid: number };
  /**
   * Gaussian blur (σ in pixels) before detection. For catalog images: a shopper's photo is never as
   * sharp as the catalog's artwork (phone optics, motion, JPEG), and descriptors of a softened
   * catalog image match a blurred photo of the product more often.
   */
  blurSigma?: number;
}

/** Identity of the local features: stored with a vocabulary so features from another setup are never mixed. */
export const LOCAL_FEATURES_IDENTITY = 'orb-32B@2/scale1.2x8/fast12/catalog-blur1+sharp+backdrop+keyed-yellow-blue';

/** Converts RGB to luma (BT.601), the input ORB expects. */
export function toLuma(img: RgbImage | GrayImage): GrayImage {
  if (img.channels === 1) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = (d[j]! * 77 + d[j + 1]! * 150 + d[j + 2]! * 29) >> 8;
  return { data: out, width: img.width, height: img.height, channels: 1 };
}

/** ORB keypoints + descriptors (OpenCV). Images with no corners yield count 0, never an error. */
export async function extractLocalFeatures(img: RgbImage | GrayImage, options: LocalFeatureOptions): Promise<LocalFeatures> {
  if (tooSmallForOrb(img)) return noFeatures(img);
  const gray = toLuma(img);
  const fast = detectNative(gray, options);
  if (fast) return selectKeypoints(fast, gray, options);
  const { cv } = await loadOpenCv();
  return selectKeypoints(detectLevels(cv, gray, options, ALL_LEVELS), gray, options);
}

/**
 * ORB finds keypoints only 31 px (its edge threshold) inside the image, and its pyramid cannot
 * shrink an image of a pixel or two: a smaller image (a shopper's thumbnail, a catalogue icon) has
 * no keypoints, and is not an error.
 */
export const MIN_ORB_SIDE = 2 * 31 + 1;

export function tooSmallForOrb(img: { width: number; height: number }): boolean {
  return Math.min(img.width, img.height) < MIN_ORB_SIDE;
}

/** Local features without a keypoint. */
export function noFeatures(img: { width: number; height: number }): LocalFeatures {
  return { width: img.width, height: img.height, count: 0, xy: new Float32Array(0), descriptors: new Uint8Array(0), angles: new Uint8Array(0) };
}

/**
 * All levels of ORB from the native addon, or null without it. Same ORB parameters and blur as
 * detectLevels: the keypoints are the WASM build's, and all but ~3% of the descriptors are
 * bit-identical (most of the rest differ in 1 bit: rounding in the blurred level images). With
 * `threads` 2 the addon detects levels 2–7 on a second thread, as orb-levels.ts does for WASM.
 */
export function detectNative(gray: GrayImage, options: LocalFeatureOptions, threads = 2): RawKeypoints | null {
  const orb = nativeOrb();
  if (!orb) return null;
  const total = Math.max(options.maxKeypoints, options.spread?.detect ?? 0);
  return orb.orbDetect(gray.data, gray.width, gray.height, total, PYRAMID.scaleFactor, PYRAMID.levels, options.fastThreshold ?? 12, options.blurSigma ?? 0, threads);
}

/** ORB's image pyramid: scale factor between levels and number of levels. */
export const PYRAMID = { scaleFactor: 1.2, levels: 8 } as const;
/** A contiguous range of pyramid levels. */
export interface LevelRange {
  first: number;
  count: number;
}
const ALL_LEVELS: LevelRange = { first: 0, count: PYRAMID.levels };

/** Keypoints of some pyramid levels before selection: positions in level-0 pixels, Harris responses, descriptors. */
export interface RawKeypoints {
  count: number;
  xy: Float32Array;
  response: Float32Array;
  /** ORB orientation in degrees (absent from a native addon built before it was returned). */
  angle?: Float32Array;
  descriptors: Uint8Array;
}

/** ORB's float32 arithmetic (OpenCV computes level sizes and shares in float). */
const f32 = Math.fround;
/** cvRound: round half to even. */
function cvRound(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
/** OpenCV ORB's scale of pyramid level l (float, from the float scale factor). */
function levelScale(l: number): number {
  return f32(f32(PYRAMID.scaleFactor) ** l);
}

/** How many of `total` keypoints ORB allots to each pyramid level (OpenCV's ORB_Impl, float arithmetic). */
export function keypointsPerLevel(total: number): number[] {
  const factor = f32(1 / f32(PYRAMID.scaleFactor));
  let desired = f32(f32(total * f32(1 - factor)) / f32(1 - f32(factor ** PYRAMID.levels)));
  const out: number[] = [];
  let sum = 0;
  for (let l = 0; l < PYRAMID.levels - 1; l++) {
    out.push(cvRound(desired));
    sum += out[l]!;
    desired = f32(desired * factor);
  }
  out.push(Math.max(total - sum, 0));
  return out;
}

/**
 * ORB on the pyramid levels of `range` only, with the keypoints of one ORB run over all levels:
 * each level is resized from the one below to ORB's own size for it and detected alone with ORB's
 * share of keypoints for it, so the levels of one image can be detected in two threads and merged
 * (orb-levels.ts). All levels at once is the single ORB run.
 */
export function detectLevels(cv: Cv, gray: GrayImage, options: LocalFeatureOptions, range: LevelRange): RawKeypoints {
  const total = Math.max(options.maxKeypoints, options.spread?.detect ?? 0);
  const all = range.first === 0 && range.count === PYRAMID.levels;
  const perLevel = all ? [] : keypointsPerLevel(total);
  const parts: RawKeypoints[] = [];
  let mat = new cv.Mat(gray.height, gray.width, cv.CV_8UC1);
  try {
    mat.data.set(gray.data);
    if (options.blurSigma) cv.GaussianBlur(mat, mat, new cv.Size(0, 0), options.blurSigma, options.blurSigma, cv.BORDER_REPLICATE);
    if (all) return detectOnce(cv, mat, options, total, PYRAMID.levels, 1);
    for (let l = 0; l < range.first + range.count; l++) {
      if (l > 0) {
        const next = new cv.Mat();
        const scale = levelScale(l);
        cv.resize(mat, next, new cv.Size(cvRound(f32(gray.width / scale)), cvRound(f32(gray.height / scale))), 0, 0, cv.INTER_LINEAR_EXACT);
        mat.delete();
        mat = next;
      }
      if (l >= range.first && perLevel[l]! > 0) parts.push(detectOnce(cv, mat, options, perLevel[l]!, 1, levelScale(l)));
    }
  } finally {
    mat.delete();
  }
  return mergeKeypoints(parts);
}

/** One ORB run of `levels` levels on `mat` (the caller's, left as it is); positions multiplied by `toLevel0`. */
function detectOnce(cv: Cv, mat: Cv, options: LocalFeatureOptions, detect: number, levels: number, toLevel0: number): RawKeypoints {
  const mask = new cv.Mat();
  const kps = new cv.KeyPointVector();
  const desc = new cv.Mat();
  // ORB(nfeatures, scaleFactor, nlevels, edgeThreshold, firstLevel, WTA_K, scoreType, patchSize, fastThreshold)
  const orb = new cv.ORB(detect, PYRAMID.scaleFactor, levels, 31, 0, 2, cv.ORB_HARRIS_SCORE, 31, options.fastThreshold ?? 12);
  try {
    orb.detectAndCompute(mat, mask, kps, desc);
    const count = desc.rows as number;
    if (count > 0 && (desc.cols !== DESCRIPTOR_BYTES || kps.size() !== count)) {
      throw new AppError('INTERNAL_ERROR', `unexpected ORB output: ${kps.size()} keypoints, ${desc.rows}×${desc.cols} descriptors`);
    }
    const xy = new Float32Array(count * 2);
    const response = new Float32Array(count);
    const angle = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const kp = kps.get(i);
      xy[2 * i] = kp.pt.x * toLevel0;
      xy[2 * i + 1] = kp.pt.y * toLevel0;
      response[i] = kp.response;
      angle[i] = kp.angle;
    }
    return { count, xy, response, angle, descriptors: count > 0 ? new Uint8Array(desc.data as Uint8Array) : new Uint8Array(0) };
  } finally {
    orb.delete();
    desc.delete();
    kps.delete();
    mask.delete();
  }
}

/** The kept keypoints of a detection: all of them, or `maxKeypoints` spread over the image (options.spread). */
export function selectKeypoints(raw: RawKeypoints, gray: { width: number; height: number }, options: LocalFeatureOptions): LocalFeatures {
  const { width, height } = gray;
  // ORB itself keeps at most the number asked for (detectLevels): without a spread, all of them.
  if (raw.count <= options.maxKeypoints || !options.spread) {
    return { width, height, count: raw.count, xy: raw.xy, descriptors: raw.descriptors, ...(raw.angle ? { angles: Uint8Array.from(raw.angle, angleStep) } : {}) };
  }
  return pick(raw, spreadOut(raw.xy, raw.response, width, height, options.maxKeypoints, options.spread.grid), width, height);
}

function pick(raw: RawKeypoints, keep: number[], width: number, height: number): LocalFeatures {
  const xy = new Float32Array(keep.length * 2);
  const descriptors = new Uint8Array(keep.length * DESCRIPTOR_BYTES);
  const angles = raw.angle ? new Uint8Array(keep.length) : undefined;
  keep.forEach((k, i) => {
    xy[2 * i] = raw.xy[2 * k]!;
    xy[2 * i + 1] = raw.xy[2 * k + 1]!;
    descriptors.set(raw.descriptors.subarray(k * DESCRIPTOR_BYTES, (k + 1) * DESCRIPTOR_BYTES), i * DESCRIPTOR_BYTES);
    if (angles) angles[i] = angleStep(raw.angle![k]!);
  });
  return { width, height, count: keep.length, xy, descriptors, ...(angles ? { angles } : {}) };
}

/**
 * The features of an opponent-colour channel (imaging/opponent.ts) with every descriptor XORed with
 * the channel's key: two descriptors of one channel keep their Hamming distance, while a luma
 * descriptor and a channel's are as far apart as random bits (128 of 256 on average), so keypoints
 * only ever match keypoints of their own channel, through the same vocabulary and index.
 */
export function keyedFeatures(f: LocalFeatures, channel: OpponentChannel): LocalFeatures {
  const key = channelKey(channel);
  const descriptors = f.descriptors.slice();
  for (let i = 0; i < descriptors.length; i++) descriptors[i]! ^= key[i % DESCRIPTOR_BYTES]!;
  return { ...f, descriptors };
}

/** DESCRIPTOR_BYTES of fixed pseudo-random bits per channel (xorshift32 from a per-channel seed). */
export function channelKey(channel: OpponentChannel): Uint8Array {
  let s = channel === 'yellow-blue' ? 0x9e3779b9 : 0x85ebca6b;
  const out = new Uint8Array(DESCRIPTOR_BYTES);
  for (let i = 0; i < DESCRIPTOR_BYTES; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

/** The keypoints of two detections on the same image (`a`'s first), e.g. at two blur levels. */
export function concatFeatures(a: LocalFeatures, b: LocalFeatures): LocalFeatures {
  if (a.width !== b.width || a.height !== b.height) throw new AppError('INVALID_PARAMETER', 'local features of different image sizes cannot be joined');
  const count = a.count + b.count;
  const xy = new Float32Array(2 * count);
  xy.set(a.xy.subarray(0, 2 * a.count));
  xy.set(b.xy.subarray(0, 2 * b.count), 2 * a.count);
  const descriptors = new Uint8Array(count * DESCRIPTOR_BYTES);
  descriptors.set(a.descriptors.subarray(0, a.count * DESCRIPTOR_BYTES));
  descriptors.set(b.descriptors.subarray(0, b.count * DESCRIPTOR_BYTES), a.count * DESCRIPTOR_BYTES);
  const out: LocalFeatures = { width: a.width, height: a.height, count, xy, descriptors };
  if (a.angles && b.angles) {
    out.angles = new Uint8Array(count);
    out.angles.set(a.angles.subarray(0, a.count));
    out.angles.set(b.angles.subarray(0, b.count), a.count);
  }
  return out;
}

/** Concatenation of the keypoints of several level ranges of one image. */
export function mergeKeypoints(parts: readonly RawKeypoints[]): RawKeypoints {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const withAngles = parts.every((p) => p.angle);
  const out: RawKeypoints = { count, xy: new Float32Array(2 * count), response: new Float32Array(count), descriptors: new Uint8Array(count * DESCRIPTOR_BYTES), ...(withAngles ? { angle: new Float32Array(count) } : {}) };
  let o = 0;
  for (const p of parts) {
    out.xy.set(p.xy, 2 * o);
    out.response.set(p.response, o);
    if (withAngles) out.angle!.set(p.angle!, o);
    out.descriptors.set(p.descriptors, o * DESCRIPTOR_BYTES);
    o += p.count;
  }
  return out;
}

/** Indices of `n` keypoints: up to n/cells of the strongest per grid cell, then the strongest of the rest. */
export function spreadOut(xy: Float32Array, response: Float32Array, width: number, height: number, n: number, grid: number): number[] {
  const order = Array.from(response.keys()).sort((a, b) => response[b]! - response[a]!);
  const perCell = Math.ceil(n / (grid * grid));
  const used = new Uint32Array(grid * grid);
  const taken = new Uint8Array(response.length);
  const keep: number[] = [];
  for (const i of order) {
    if (keep.length >= n) break;
    const c = Math.min(grid - 1, Math.floor((xy[2 * i]! / width) * grid)) * grid + Math.min(grid - 1, Math.floor((xy[2 * i + 1]! / height) * grid));
    if (used[c]! < perCell) { used[c]!++; taken[i] = 1; keep.push(i); }
  }
  for (const i of order) {
    if (keep.length >= n) break;
    if (!taken[i]) keep.push(i);
  }
  return keep;
}

const MAGIC = 0x4c46; // "LF"
/**
 * The version says how the catalog image was analysed. 1: sharp; 2: softened by σ = 1 px
 * (LookupOptions.catalogDetection); 3: as 2, plus the colour copy (LocalFeatures.colours) after the
 * descriptors; 4: as 3, plus the keypoints' angles (LocalFeatures.angles) between the descriptors
 * and the colour copy, and the unsoftened image's keypoints after the softened one's
 * (LookupOptions.sharpKeypoints); 5: as 4, plus the keypoints of the image on grey backdrops
 * (LookupOptions.backdropKeypoints), same layout; 6: as 5, for plain backdrops of any colour, not
 * only white; 7: as 6, plus the product rectangle's colour layout (LocalFeatures.layout) after the
 * colour copy; 8: as 7, plus the product's shape (LocalFeatures.shape) after the layout; 9: as 8,
 * plus anchors grown across gradients, each anchor with its level; 10: as 9, plus the product's
 * strokes (LocalFeatures.outline) after the shape; 11: as 10, plus the yellow–blue channel's
 * keypoints (LookupOptions.colourKeypoints, descriptors keyed: keyedFeatures) after the backdrop
 * ones, same layout; 12: as 11, plus an outlined shape's inside as an anchor of level 2 (shapes.ts),
 * same layout; 13: as 12, plus the product's LINE-2D templates (LocalFeatures.line) after the
 * strokes. Features of an older analysis still decode, and
 * LookupService.update() re-analyses them from the display copy.
 */
export const FORMAT_VERSION = 13;
const READABLE_VERSIONS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
const HEADER_BYTES = 10;
/** A layout's aspect ratio and rectangle: six float32. */
const LAYOUT_HEADER = 24;
/** Coordinates are stored as uint16 in 1/4 pixel: 0.25 px precision up to 16,383 px. */
const XY_SCALE = 4;

/**
 * Compact binary form for the catalog store: 10-byte header (magic, version, count, width, height),
 * then per keypoint x, y as uint16 quarter-pixels, then the descriptors, then one byte of angle
 * per keypoint — 37 bytes per keypoint instead of ~60 for float coordinates plus size/angle — then
 * the colour copy's width and height (one byte each, 0 without one) and its RGB bytes (≤ 6.9 KB at
 * 48 px), then the layout's cell count (one byte, 0 without one), its aspect ratio and its
 * rectangle (centre, sides, turn: six float32) and its RGB bytes, then the shape's point count
 * (uint16, 0 without one), its extent (float32), points (uint16 pairs) and colours (RGB), its anchor
 * count (one byte) and per anchor six float32 (area, centre, axis, elongation, spread), its colour
 * (three bytes), a point count (uint16), its level (one byte; not in version 8) and the points,
 * then the strokes' point count (uint16, 0 without them), their halo's point count (uint16), their
 * colour (three bytes), the drawing's longest side (uint8) and both sets of int8 pairs, then the
 * LINE-2D templates' byte count (uint32, 0 without them) and their bytes. Little-endian whatever the host.
 */
export function encodeLocalFeatures(f: LocalFeatures): Buffer {
  const c = f.colours;
  if (c && (c.width > 255 || c.height > 255)) throw new AppError('INVALID_PARAMETER', 'the colour copy of local features is at most 255 px per side');
  if (!f.angles || f.angles.length < f.count) throw new AppError('INVALID_PARAMETER', 'local features to store need an angle per keypoint');
  const colourBytes = 2 + (c ? c.width * c.height * 3 : 0);
  const cells = f.layout ? f.layout.colours.length / 3 : 0;
  if (cells > 255 || !Number.isInteger(cells)) throw new AppError('INVALID_PARAMETER', 'the colour layout of local features has at most 255 RGB cells');
  const layoutBytes = 1 + (cells > 0 ? LAYOUT_HEADER + cells * 3 : 0);
  const sBytes = shapeBytes(f.shape);
  const oBytes = outlineBytes(f.outline);
  const line = f.line ?? new Uint8Array(0);
  const out = Buffer.alloc(HEADER_BYTES + f.count * (4 + DESCRIPTOR_BYTES + 1) + colourBytes + layoutBytes + sBytes + oBytes + 4 + line.length);
  out.writeUInt16LE(MAGIC, 0);
  out.writeUInt16LE(FORMAT_VERSION, 2);
  out.writeUInt16LE(f.count, 4);
  out.writeUInt16LE(f.width, 6);
  out.writeUInt16LE(f.height, 8);
  let o = HEADER_BYTES;
  for (let i = 0; i < f.count * 2; i++, o += 2) out.writeUInt16LE(Math.min(65535, Math.max(0, Math.round(f.xy[i]! * XY_SCALE))), o);
  out.set(f.descriptors.subarray(0, f.count * DESCRIPTOR_BYTES), o);
  o += f.count * DESCRIPTOR_BYTES;
  out.set(f.angles.subarray(0, f.count), o);
  o += f.count;
  out[o] = c?.width ?? 0;
  out[o + 1] = c?.height ?? 0;
  if (c) out.set(c.data.subarray(0, c.width * c.height * 3), o + 2);
  o += colourBytes;
  out[o] = cells;
  if (f.layout && cells > 0) {
    const { aspect, rect } = f.layout;
    [aspect, rect.cx, rect.cy, rect.width, rect.height, rect.angle].forEach((v, i) => out.writeFloatLE(v, o + 1 + 4 * i));
    out.set(f.layout.colours, o + 1 + LAYOUT_HEADER);
  }
  writeShape(out, o + layoutBytes, f.shape);
  writeOutline(out, o + layoutBytes + sBytes, f.outline);
  o += layoutBytes + sBytes + oBytes;
  out.writeUInt32LE(line.length, o);
  out.set(line, o + 4);
  return out;
}

function outlineBytes(outline: LocalFeatures['outline']): number {
  if (!outline || outline.strokes.length === 0) return 2;
  if (outline.strokes.length / 2 > 65535 || outline.halo.length / 2 > 65535 || outline.strokes.length % 2 || outline.halo.length % 2) {
    throw new AppError('INVALID_PARAMETER', 'the outline of local features has at most 65,535 stroke and halo points (x, y pairs)');
  }
  if (!Number.isInteger(outline.extent) || outline.extent < 1 || outline.extent > 255) throw new AppError('INVALID_PARAMETER', "the outline of local features needs the drawing's longest side, 1–255 px");
  return 2 + 2 + 3 + 1 + outline.strokes.length + outline.halo.length;
}

function writeOutline(out: Buffer, o: number, outline: LocalFeatures['outline']): void {
  if (!outline || outline.strokes.length === 0) {
    out.writeUInt16LE(0, o);
    return;
  }
  out.writeUInt16LE(outline.strokes.length / 2, o);
  out.writeUInt16LE(outline.halo.length / 2, o + 2);
  outline.colour.forEach((v, i) => { out[o + 4 + i] = Math.max(0, Math.min(255, Math.round(v))); });
  out[o + 7] = outline.extent;
  out.set(new Uint8Array(outline.strokes.buffer, outline.strokes.byteOffset, outline.strokes.length), o + 8);
  out.set(new Uint8Array(outline.halo.buffer, outline.halo.byteOffset, outline.halo.length), o + 8 + outline.strokes.length);
}

/** The outline section from `o` (null without one) and where it ends; null when the blob is too short for it. */
function readOutline(b: Buffer, o: number): { outline: LocalFeatures['outline'] | null; end: number } | null {
  if (b.length < o + 2) return null;
  const strokes = b.readUInt16LE(o);
  if (strokes === 0) return { outline: null, end: o + 2 };
  if (b.length < o + 8) return null;
  const halo = b.readUInt16LE(o + 2);
  const end = o + 8 + 2 * strokes + 2 * halo;
  if (b.length < end) return null;
  const int8s = (at: number, n: number): Int8Array => Int8Array.from(new Int8Array(b.buffer, b.byteOffset + at, n));
  return { outline: { colour: [b[o + 4]!, b[o + 5]!, b[o + 6]!], extent: b[o + 7]!, strokes: int8s(o + 8, 2 * strokes), halo: int8s(o + 8 + 2 * strokes, 2 * halo) }, end };
}

/** A shape's anchor: six float32, its colour (three bytes), a point count (uint16) and its level (one byte; version 8: none). */
const ANCHOR_HEADER = 30;
const ANCHOR_FIELDS = ['area', 'cx', 'cy', 'theta', 'elongation', 'spread'] as const;

function shapeBytes(shape: LocalFeatures['shape']): number {
  if (!shape || shape.points.length === 0) return 2;
  if (shape.points.length / 2 > 65535 || shape.anchors.length > 255 || shape.colours.length !== (shape.points.length / 2) * 3) {
    throw new AppError('INVALID_PARAMETER', 'the shape of local features has at most 65,535 points with one colour each and 255 anchors');
  }
  return 2 + 4 + shape.points.length * 2 + shape.colours.length + 1 + shape.anchors.reduce((n, a) => n + ANCHOR_HEADER + a.points.length * 2, 0);
}

function writeShape(out: Buffer, o: number, shape: LocalFeatures['shape']): void {
  if (!shape || shape.points.length === 0) {
    out.writeUInt16LE(0, o);
    return;
  }
  out.writeUInt16LE(shape.points.length / 2, o);
  out.writeFloatLE(shape.extent, o + 2);
  o += 6;
  for (const v of shape.points) { out.writeUInt16LE(v, o); o += 2; }
  out.set(shape.colours, o);
  o += shape.colours.length;
  out[o++] = shape.anchors.length;
  for (const a of shape.anchors) {
    ANCHOR_FIELDS.forEach((k, i) => out.writeFloatLE(a[k], o + 4 * i));
    a.colour.forEach((v, i) => { out[o + 24 + i] = Math.max(0, Math.min(255, Math.round(v))); });
    out.writeUInt16LE(a.points.length / 2, o + 27);
    out[o + 29] = a.level ?? 0;
    o += ANCHOR_HEADER;
    for (const v of a.points) { out.writeUInt16LE(v, o); o += 2; }
  }
}

/** The shape section from `o` (null without one) and where it ends; null when the blob is too short for it. */
function readShape(b: Buffer, o: number, version: number): { shape: LocalFeatures['shape'] | null; end: number } | null {
  const header = version >= 9 ? ANCHOR_HEADER : ANCHOR_HEADER - 1;
  const u16s = (at: number, n: number): Uint16Array => Uint16Array.from({ length: n }, (_, i) => b.readUInt16LE(at + 2 * i));
  if (b.length < o + 2) return null;
  const count = b.readUInt16LE(o);
  if (count === 0) return { shape: null, end: o + 2 };
  if (b.length < o + 6 + count * 5 + 1) return null;
  const extent = b.readFloatLE(o + 2);
  o += 6;
  const points = u16s(o, count * 2);
  o += count * 4;
  const colours = Uint8Array.from(b.subarray(o, o + count * 3));
  o += count * 3;
  const anchorCount = b[o++]!;
  const anchors: NonNullable<LocalFeatures['shape']>['anchors'] = [];
  for (let i = 0; i < anchorCount; i++) {
    if (b.length < o + header) return null;
    const [area, cx, cy, theta, elongation, spread] = ANCHOR_FIELDS.map((_, k) => b.readFloatLE(o + 4 * k)) as [number, number, number, number, number, number];
    const colour: [number, number, number] = [b[o + 24]!, b[o + 25]!, b[o + 26]!];
    const n = b.readUInt16LE(o + 27);
    const level = version >= 9 ? b[o + 29]! : 0;
    o += header;
    if (b.length < o + n * 4) return null;
    anchors.push({ area, cx, cy, theta, elongation, spread, colour, points: u16s(o, n * 2), ...(level ? { level } : {}) });
    o += n * 4;
  }
  return { shape: { extent, points, colours, anchors }, end: o };
}

/** The analysis version a stored blob was written with (FORMAT_VERSION at the time), or null if it is not one. */
export function localFeaturesVersion(blob: Uint8Array): number | null {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  return b.length >= HEADER_BYTES && b.readUInt16LE(0) === MAGIC ? b.readUInt16LE(2) : null;
}

export function decodeLocalFeatures(blob: Uint8Array): LocalFeatures {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < HEADER_BYTES || b.readUInt16LE(0) !== MAGIC || !READABLE_VERSIONS.has(b.readUInt16LE(2))) {
    throw new AppError('STORE_ERROR', 'local features blob has an unknown format');
  }
  const count = b.readUInt16LE(4);
  const version = b.readUInt16LE(2);
  const withAngles = version >= 4;
  const body = HEADER_BYTES + count * (4 + DESCRIPTOR_BYTES + (withAngles ? 1 : 0));
  const withColours = version >= 3;
  const cw = withColours && b.length >= body + 2 ? b[body]! : 0, ch = withColours && b.length >= body + 2 ? b[body + 1]! : 0;
  const coloursEnd = body + (withColours ? 2 + cw * ch * 3 : 0);
  const cells = version >= 7 && b.length > coloursEnd ? b[coloursEnd]! : 0;
  const layoutEnd = coloursEnd + (version >= 7 ? 1 + (cells > 0 ? LAYOUT_HEADER + cells * 3 : 0) : 0);
  const shape = version >= 8 ? readShape(b, layoutEnd, version) : { shape: null, end: layoutEnd };
  const outline = !shape ? null : version >= 10 ? readOutline(b, shape.end) : { outline: null, end: shape.end };
  const lineBytes = outline && version >= 13 && b.length >= outline.end + 4 ? b.readUInt32LE(outline.end) : 0;
  const expected = outline ? outline.end + (version >= 13 ? 4 + lineBytes : 0) : shape ? shape.end + 2 : layoutEnd + 2;
  if (!shape || !outline || b.length !== expected) {
    throw new AppError('STORE_ERROR', `local features blob has ${b.length} bytes, expected ${expected}`);
  }
  const xy = new Float32Array(count * 2);
  let o = HEADER_BYTES;
  for (let i = 0; i < count * 2; i++, o += 2) xy[i] = b.readUInt16LE(o) / XY_SCALE;
  const descriptors = new Uint8Array(count * DESCRIPTOR_BYTES);
  descriptors.set(b.subarray(o, o + count * DESCRIPTOR_BYTES));
  o += count * DESCRIPTOR_BYTES;
  const features: LocalFeatures = { width: b.readUInt16LE(6), height: b.readUInt16LE(8), count, xy, descriptors };
  if (withAngles) features.angles = Uint8Array.from(b.subarray(o, o + count));
  if (cw > 0 && ch > 0) features.colours = { data: Buffer.from(b.subarray(body + 2, coloursEnd)), width: cw, height: ch, channels: 3 };
  if (cells > 0) {
    const [aspect, cx, cy, width, height, angle] = [0, 1, 2, 3, 4, 5].map((i) => b.readFloatLE(coloursEnd + 1 + 4 * i)) as [number, number, number, number, number, number];
    features.layout = { aspect, rect: { cx, cy, width, height, angle }, colours: Uint8Array.from(b.subarray(coloursEnd + 1 + LAYOUT_HEADER, layoutEnd)) };
  }
  if (shape.shape) features.shape = shape.shape;
  if (outline.outline) features.outline = outline.outline;
  if (lineBytes > 0) features.line = Uint8Array.from(b.subarray(outline.end + 4, expected));
  return features;
}
