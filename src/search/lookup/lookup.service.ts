import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CatalogStore, LocalFeatureRow } from '../../catalog/catalog-store.js';
import type { MediaStore } from '../../catalog/media-store.js';
import { concatFeatures, decodeLocalFeatures, keyedFeatures, DESCRIPTOR_BYTES, extractLocalFeatures, FORMAT_VERSION, LOCAL_FEATURES_IDENTITY, localFeaturesVersion, type LocalFeatureOptions, type LocalFeatures } from '../../features/local/local-features.js';
import { rotationOf, type Homography } from '../../features/local/geometry.js';
import { OrbLevelsWorker } from '../../features/local/orb-levels.js';
import { ANALYSIS_MAX_SIDE } from '../../features/image-embedder.js';
import { decodeImage } from '../../imaging/index.js';
import { noiseImage } from '../../imaging/noise.js';
import { findBackdrop, hasCleanBackdrop } from '../../imaging/backdrop.js';
import { DEFAULT_LINE_OPTIONS, LineIndex, nativeLine, NO_LINE_TEMPLATES, templatesId, type CollageSource, type LineMatch, type LineOptions, type LineProduct } from './lines.js';
import { LineCalibrations, type TemplatedImage } from './line-calibration.js';
import { cropImage, fractionToPixels, type FractionBox } from '../../imaging/subject.js';
import { isColourless } from '../../imaging/colourless.js';
import { opponentChannel, type OpponentChannel } from '../../imaging/opponent.js';
import type { GrayImage, ImageLimits, RgbImage } from '../../imaging/types.js';
import { colourFit, DEFAULT_COLOUR_OPTIONS, type ColourOptions } from './colour.js';
import { appearanceAgreement, closerPlacement, DEFAULT_APPEARANCE_OPTIONS, type AppearanceOptions } from './appearance.js';
import { mapPool } from '../../ingest/map-pool.js';
import { CatalogAnalysisWorker, MIN_BACKDROP_SHARE } from './catalog-analysis.js';
import { FlatIndex, FlatWorker, type FlatOptions, type FlatProduct } from './flat.js';
import { asWords } from './hamming.js';
import { DEFAULT_HAMMING_OPTIONS, HammingIndex, type HammingOptions, type IndexedImage } from './hamming-index.js';
import { DEFAULT_LAYOUT_OPTIONS, layoutFit, layoutUnder, type LayoutOptions } from './layouts.js';
import { DEFAULT_OUTLINE_OPTIONS, type OutlineOptions } from './outlines.js';
import { DEFAULT_SHAPE_OPTIONS, type ShapeOptions } from './shapes.js';
import { ScanWorker, type QuantizedQuery } from './scan-worker.js';
import { DEFAULT_SPATIAL_OPTIONS, SpatialReranker, type SpatialOptions, type SpatialScore } from './spatial-rerank.js';
import { agreeingFirst, appearanceEvidence, belowExact, byEvidence, closerVariantFirst, colourEvidence, geometricEvidence, keptColourEvidence, mainSubjectFirst, placementEvidence, rankFlat, suggestLines, templateFirst, withoutAmbiguousClaim, type LocalMatch } from './evidence.js';
import { DEFAULT_FEATURE_TEMPLATE_OPTIONS, photoFeatures, templateScore, type FeatureTemplateOptions } from './feature-templates.js';
import { FeatureMapModel } from '../../features/onnx/feature-maps.js';
import { DEFAULT_VERIFY_OPTIONS, verifyCandidate, type QuantizedFeatures, type VerifyOptions } from './verify.js';
import { Vocabulary, type VocabularyOptions } from './vocabulary.js';

export interface LookupOptions {
  limits: ImageLimits;
  /** Where the vocabulary file lives (in the data directory). */
  vocabularyPath: string;
  /** Keypoints per catalog image / per query photo. */
  catalogKeypoints: number;
  queryKeypoints: number;
  /** How query keypoints are detected (FAST threshold, grid-adapted selection). */
  queryDetection: Omit<LocalFeatureOptions, 'maxKeypoints'>;
  /** How catalog keypoints are detected. */
  catalogDetection: Omit<LocalFeatureOptions, 'maxKeypoints'>;
  /**
   * Keypoints detected on the catalog image as it is (not softened), stored after the
   * `catalogKeypoints` of the softened one: a photo with little blur keeps the corners the softened
   * copy loses. 0: none.
   */
  sharpKeypoints: number;
  /**
   * Keypoints of the softened catalog image with its plain backdrop (imaging/backdrop.ts: white, a
   * grey sweep, a black studio) painted each grey of `backdropLevels` (unlike the backdrop's own
   * grey; white stands in for one that is: backdropGreys), stored after the others. An ORB descriptor compares
   * pixels around its keypoint, so the keypoints on a product's outline describe the backdrop as
   * much as the product: the catalogue shows the product on white, a shopper's photo on a table,
   * among clutter, or with the clutter showing through a drawing. 0: none; images with less than
   * MIN_BACKDROP_SHARE of backdrop get none.
   */
  backdropKeypoints: number;
  backdropLevels: number[];
  /**
   * Keypoints of opponent-colour channels (imaging/opponent.ts): per channel, `catalog` keypoints of
   * the softened catalogue image and `query` keypoints of the photo (and of each part of it looked
   * at again), stored and matched with the luma keypoints. Empty: none.
   */
  colourKeypoints: { channels: OpponentChannel[]; catalog: number; query: number };
  /**
   * Queries on two cores: a worker thread quantises half of the query's keypoints and scans their
   * postings (scan-worker.ts), and, without the native ORB addon, detects the upper ORB pyramid
   * levels (orb-levels.ts), while this thread does the rest; when nothing on the whole photo is
   * exact, another worker thread looks for the flat products (flat.ts) while this one looks at the
   * photo's parts again.
   */
  parallelQuery: boolean;
  /** Longest side catalog images / query photos are analysed at. */
  catalogSide: number;
  querySide: number;
  /**
   * Most of the index's candidates the spatial check re-ranks (spatial-rerank.ts), in a coarse
   * pass: a tenth of the catalogue images, at least RERANK_FLOOR, at most this.
   */
  rerankTop: number;
  /** How many of them (best coarse scores first) get the full spatial check. */
  refineTop: number;
  /** How many of the re-ranked candidates get descriptor matching and RANSAC (verify.ts). */
  verifyTop: number;
  /**
   * When no candidate reached an exact match: the index's first candidates (Hamming-embedding
   * score) are verified on the whole photo whatever their spatial score, and weakly placed
   * candidates are verified again without their footprint.
   */
  indexTop: number;
  /**
   * When the whole photo's best match has less evidence than `belowEvidence`, and the shopper gave
   * no box: boxes of `side` (a share of the photo's width and height) at its centre and four corners
   * are looked at again, one after the other until one holds an exact match; side 0 turns this off.
   * Their matches re-rank but never claim an exact match. A small product among clutter
   * gets the query's keypoints to itself, and other objects' correspondences no longer crowd its
   * own out of the ranking. Each box has its own, smaller budget (keypoints, index candidates for
   * the spatial check, verified candidates, and the second look's).
   */
  windows: PassBudget & { side: number; belowEvidence: number };
  /**
   * Largest in-plane rotation (degrees) of the product in a shopper's photo that counts as
   * plausible; 180 accepts any. The spatial check and the verification's RANSAC place products
   * within it only, and a verified match whose refined placement turns further keeps
   * ROTATED_SHARE of its evidence.
   */
  maxRotation: number;
  /**
   * Largest difference (degrees) between the ORB orientations of a query keypoint and of the
   * catalog keypoint it matches, for the correspondence to count in the index scan and in
   * descriptor matching (weak geometric consistency): the product's turn plus the noise of ORB's
   * orientation in a blurred photo. 180 counts every angle. Default: maxRotation + ORIENTATION_NOISE.
   */
  maxTurn?: number;
  /** Inliers from which a verified candidate counts as the exact product (see calibrate()). */
  exactInliers: number;
  /** Evidence beyond doubt: verification stops at candidates with half the spatial support or less. */
  confidentEvidence: number;
  vocabulary: Partial<VocabularyOptions>;
  hamming: HammingOptions;
  spatial: SpatialOptions;
  verify: VerifyOptions;
  /** Pixel-level check of the matches that would be exact (appearance.ts). */
  appearance: AppearanceOptions;
  /** Colour check of every verified match (colour.ts). */
  colour: ColourOptions;
  /**
   * Lookup of flat rectangular products by their colour layout (layouts.ts), when the keypoints
   * found nothing exact; `minFit` above 1 turns it off. Tuning sets (seeds 3 and 4, 300 photos
   * each), lookup recall@1 / @10 without and with it: 0.950 / 0.967 → 0.957 / 0.977 and 0.913 /
   * 0.943 → 0.927 / 0.953 at 1k (284 layouts), 0.927 / 0.943 → 0.933 / 0.957 and 0.890 / 0.910 →
   * 0.907 / 0.923 at 10k (1,145 layouts); lookup mean +3–6 ms. minFit 0.6 or 0.7 instead of 0.5
   * (seed 3): the same within a photo.
   */
  layouts: LayoutOptions;
  /**
   * Lookup of flat drawings by their shape and colours (shapes.ts), when nothing is exact after the
   * layouts; `minFit` above 1 turns it off. Tuning sets (seeds 3 and 4, 300 photos each), lookup
   * recall@1 / @10 without and with it: 0.963 / 0.977 → 0.970 / 0.987 and 0.927 / 0.953 → 0.937 /
   * 0.970 at 1k (952 shapes, index +1.8 MB); 0.930 / 0.947 → 0.947 / 0.967 and 0.900 / 0.927 →
   * 0.900 / 0.943 at 10k (9,594 shapes, +20 MB; the catalogue re-analysed from its display copies),
   * exact claims unchanged, lookup mean +30 ms and p95 +120 ms at 10k (p50 unchanged: photos
   * with an exact match never get here). minFit 0.5 or 20 more placements refined: the same;
   * minFit 0.7: −1 to −2 photos at recall@10. With the regions grown across gradients too
   * (format 9): 0.973 / 0.987 and 0.940 / 0.973 at 1k, 0.947 / 0.967 and 0.900 / 0.947 at 10k, the
   * shape match +20 ms at 10k.
   */
  shapes: ShapeOptions;
  /**
   * Lookup of coloured line drawings by their strokes (outlines.ts), when nothing is exact after
   * the shapes; `minFit` above 1 turns it off. Tuning sets (seeds 3 and 4, 300 photos each),
   * lookup recall@1 / @10 without and with it at 1k (15 drawings, freshly ingested): 0.973 / 0.987
   * → 0.977 / 0.990 and 0.957 / 0.977 → 0.963 / 0.983 (the three red outlined arrows, no photo
   * lower), exact claims unchanged; at 10k (39 drawings, the catalogue re-analysed from its display
   * copies) 0.947 / 0.967 → 0.950 / 0.970 and 0.930 / 0.953 → 0.937 / 0.960, the same arrows
   * (and photo for photo the same with the 5 drawings of packed strokes left out, 34 drawings).
   * Lookup mean +20 ms at 1k, +60 ms at 10k (two runs sharing the two cores); photos with an exact
   * match never get here. The coarse level's scores hardly tell the right drawing (0.47–0.67) from
   * the others (median 0.50, 99th percentile 0.67), so it keeps KEEP placements for the finer ones.
   */
  outlines: OutlineOptions;
  /**
   * Lookup of products by their edges (lines.ts: LINE-2D templates of every catalogue product on a
   * plain backdrop, made at ingest when the native addon is built), when nothing is exact on the
   * whole photo; null turns it off (no templates are made, none are looked for).
   */
  lines: LineOptions | null;
  /**
   * The first place on a photo where nothing is exact, chosen among the first matches by their CNN
   * feature-map templates as well (feature-templates.ts); null turns it off. Needs the display
   * copies of the catalogue images (the media store).
   */
  templates: FeatureTemplateOptions | null;
}

export const DEFAULT_LOOKUP_OPTIONS: Omit<LookupOptions, 'limits' | 'vocabularyPath'> = {
  catalogKeypoints: 500,
  // Tuning set (seed 2): 1,000 → 2,500 query keypoints raised candidate recall@100 from 0.59 to 0.70
  // (clutter takes most of the strongest corners). Soft word assignment (beam 3), a 4,096-word
  // vocabulary and 800 px queries did not help and were dropped.
  queryKeypoints: 3000,
  // Test set (300 photos, seed 1, cleaned clutter): detecting 8,000 corners at FAST 7 and keeping
  // 3,000 spread over an 8×8 grid raised recall@1 0.538 → 0.586 and recall@10 0.575 → 0.628 over
  // the 2,500 strongest at FAST 12 (tuning set, true image verified directly: evidence ≥ 20 for
  // 0.625 of photos instead of 0.575). The clutter's strong corners no longer crowd out the product.
  queryDetection: { fastThreshold: 7, spread: { detect: 8000, grid: 8 } },
  // Tuning set (60 photos verified directly against the true image): catalog images softened by
  // σ = 1 px reach evidence ≥ 8 for 0.78–0.80 of photos instead of 0.77 (σ 1.5: 0.77, σ 2: 0.75).
  catalogDetection: { blurSigma: 1 },
  // Tuning set (seed 3, 300 photos): recall@1 / @10 0.913 / 0.943 → 0.933 / 0.950 at 1k (vocabulary
  // seeds 1–3: 0.919 → 0.931 on average), 0.890 / 0.910 → 0.903 / 0.920 at 10k, exact claims right /
  // wrong 192 / 0 → 196 / 1, for 1.6× the postings (index memory) and lookup p50 39 → 51 ms at 10k.
  // The same 500 keypoints unsoftened alone: 0.921 on average at 1k (seeds 1–3); 800 softened:
  // 0.917 with two tuning distractors exact; 400 softened + 200: 0.930 / 0.953 at 1k, 0.897 / 0.923
  // at 10k.
  sharpKeypoints: 300,
  // Lookup level, recall@1 / @10, tuning set (seed 3) and test set (seed 1), 300 photos each:
  // without → with: 1k 0.933 / 0.950 → 0.947 / 0.970 and 0.880 / 0.900 → 0.927 / 0.950; 10k 0.903 /
  // 0.920 → 0.917 / 0.933 and 0.853 / 0.873 → 0.893 / 0.913; postings 1.5×, 10k p50 47–51 → 57–64 ms.
  // At 1k (tuning / test recall@1): one grey of 300 (48: 0.943 / 0.907; 128: 0.933 / 0.917; 0: 0.950
  // / 0.890), both at 300 (0.957 / 0.907; 10k 0.917 / 0.893), 48 at 500 (0.950 / 0.913), or only the
  // keypoints unlike the softened image's (0.957 / 0.900): the same within the vocabulary's noise.
  backdropKeypoints: 200,
  backdropLevels: [48, 128],
  // Tuning sets (seeds 3 and 4, 300 photos each), lookup recall@1 / @10 without → with the
  // yellow–blue keypoints (300 per catalogue image, 1,000 per photo; 500 per photo the same within
  // a photo: 0.973 / 0.990, 0.960 / 0.990, 0.960 / 0.987, 0.930 / 0.980, for p50 −5 to −10 ms and
  // mean −20 ms at 10k, hence 500): 1k 0.977 / 0.990 → 0.977 /
  // 0.993 and 0.963 / 0.983 → 0.960 / 0.993; 10k 0.963 / 0.977 → 0.957 / 0.987 and 0.930 / 0.963 →
  // 0.933 / 0.970; right exact claims 222 → 235, 211 → 219, 221 → 231, 213 → 217. Found: gold rings,
  // a map, confetti, a checkerboard, a wine glass (yellow on white is one luma). Lost, at recall@1:
  // flat drawings (shapes, layouts) outranked by a match with a few more colour inliers. Lookup p50
  // +15–20 ms, index +25%. Both channels (300 + 300, 1,000 + 1,000): 0.973 / 0.983 and 0.953 /
  // 0.990 at 1k; 500 per catalogue image: 0.970 / 0.990 and 0.970 / 0.987; 1,500 per photo: 0.980 /
  // 0.993 and 0.950 / 0.987. A separate look on the channel only when nothing is exact: 0.973 / 0.990 and 0.943 /
  // 0.990. Unkeyed descriptors (a luma keypoint may match a channel's): 0.970 / 0.993 and 0.970 /
  // 0.997, the same within the vocabulary's noise; keyed, such chance matches cannot happen.
  colourKeypoints: { channels: ['yellow-blue'], catalog: 300, query: 500 },
  parallelQuery: true,
  // Same size as the global features' decode, so ingest can hand over the pixels it already has.
  catalogSide: ANALYSIS_MAX_SIDE,
  querySide: 640,
  // Tuning set (seed 2, 100 photos, 1k catalog): the true image was among the first 30 of a tf-idf
  // inverted file for 0.62 of photos, among its first 300 for 0.82; re-ranking those 300 by
  // spatially consistent correspondences put it among the first 30 for 0.70 (first: 0.41 → 0.59).
  // Tuning set (seed 3, first 100 photos, 10k catalog), candidates from the Hamming-embedding
  // index (hamming-index.ts) instead of tf-idf: lookup recall@1 0.59 → 0.72, recall@10 0.60 → 0.79
  // at p50 ~210 ms; its first 500 instead of 300, or verifying 50 instead of 30, gain ≤ 0.01.
  // Session 16 (tuning sets at 10k, same data): the first 1,000 instead of 300 claim 3 and 4 more
  // right exact matches (218 → 221, 209 → 213 of 300), recall@10 +1 photo on seed 4, no other
  // recall change, distractors' claims the same, lookup p50 +9 to +12 ms; at 1k no change for
  // +5 ms (test set: +9 ms), hence a tenth of the catalogue, at least 300 (RERANK_FLOOR).
  rerankTop: 1000,
  // Session 19 (tuning sets seeds 3, 4, 7, 8 at 10k): a product its index words rank low but that
  // verifies well when allowed alone (32 inliers, exact) was left out of the verified 30. Refining
  // 200 and verifying 60 (and in the photo's parts 300 / 100 / 30 instead of 150 / 50 / 15, below):
  // recall@1 +0, +3, +1, +3 of 300 at 10k, recall@10 +0, +2, 0, +4; at 1k recall@1 unchanged,
  // recall@10 +0, +1, +2, 0. Lookup p50 +8% at 10k, +15% at 1k. The whole photo's half alone: recall@1
  // +0, +0, +0, +3 at 10k; the parts' half alone (seed 8): +1, recall@10 +3.
  refineTop: 200,
  verifyTop: 60,
  // Tuning set (seed 3, 300 photos): a flat drawing (a flag, a sign, a cup) has few keypoints and
  // its word-level correspondences are few, so the spatial ranking loses it (27 of 69 failures at
  // 1k: the index ranked the true image high, the coarse spatial pass beyond 100) or places it on
  // the clutter, where the footprint hides it. A second look at the index's first 25 and at weakly
  // placed candidates, only when nothing was exact: recall@1 0.770 → 0.807 at 1k, 0.713 → 0.763 at
  // 10k (recall@10 0.777 → 0.817), lookup p50 +7 ms at 10k. With the colour check (colour.ts)
  // telling a true flat drawing from chance, more of the index's candidates pay: its first 50
  // instead of 25, recall@1 0.780 → 0.790 at 10k (recall@10 0.827 → 0.837), lookup p50 +3 ms; the
  // first 100 gained nothing more at 10k for +10 ms, and found a clutter icon's catalog twin in
  // one distractor photo (test set, 10k).
  indexTop: 50,
  // Tuning set (seed 3, 300 photos; the product's true box known): lookup restricted to that box
  // reached recall@1 0.897 at 1k against 0.840 on the whole photo, and to a box of twice its side
  // still 0.877: the clutter's correspondences, not the keypoints, lose those products. Boxes of
  // 0.65 at the centre and the corners: recall@1 0.790 → 0.840, recall@10 0.837 → 0.897 at 10k
  // (0.840 → 0.873 / 0.887 → 0.907 at 1k); the centre alone 0.810 / 0.857; sides 0.55 and 0.75
  // less. Each box's budget (2,000 keypoints, 150 index candidates, 15 verified + 10) costs 0.003
  // recall@1 against the whole photo's and ~20% less time; lookup mean 130 → 207 ms at 10k
  // (photos without an exact match: p50 109 → 122, p95 179 → 426). Nearly all of the gain is
  // on photos whose best match had evidence below 12 (14 of 15 photos at 10k, 9 of 10 at 1k), and
  // only those are looked at again (0.18 of photos instead of 0.39 at 10k): recall@1 0.837, @10
  // 0.890 at 10k, lookup p50 105 → 109 ms, p95 175 → 385; at 1k 0.870 / 0.907, p95 128 → 306.
  // With the backdrop keypoints (session 13) every match has more inliers, and wrong best matches
  // of 12–19 kept lost products from a second look: below 20 (nothing exact) instead of 12, tuning
  // set recall@1 / @10 0.917 / 0.933 → 0.930 / 0.943 at 10k (lookup mean 91 → 112 ms, p50 59 → 57,
  // p95 235 → 277), 0.947 / 0.970 → 0.947 / 0.973 at 1k; 16: 0.927 / 0.940 at 10k.
  windows: { side: 0.65, belowEvidence: 20, keypoints: 2000, rerankTop: 300, refineTop: 100, verifyTop: 30, indexTop: 10 },
  // The shopper photo turns the product by up to ±30°; a wrong candidate's placement is
  // turned anywhere (0.66 of verified wrong matches beyond 60°, 0.98 of right ones within 30°).
  // Tuning set (seed 3, 300 photos): recall@1 0.867 → 0.897, recall@10 0.907 → 0.923 at 1k; 0.837 →
  // 0.867 / 0.890 → 0.893 at 10k, wrong exact claims 3 → 1, lookup p50 116 → 101 ms (fewer
  // placements to count). 35–50° within 0.003 of each other at 1k; the discount alone (without
  // restricting the placements) 0.897 / 0.923, the restriction alone 0.873 / 0.913.
  maxRotation: 45,
  // Tuning set: distractor photos and wrong candidates mostly stay ≤ 11 inliers; a few near-duplicate
  // drawings among the clip art reach more (see bench/lookup/README.md).
  exactInliers: 20,
  confidentEvidence: 40,
  vocabulary: {},
  hamming: DEFAULT_HAMMING_OPTIONS,
  spatial: DEFAULT_SPATIAL_OPTIONS,
  // A shopper's photo taken at an angle: the similarity grown into a homography (geometry.ts,
  // growToHomography). Tuning photos tilted 0–35° (seeds 3 and 4, the generator's --tilt 35): see
  // bench/lookup/README.md, session 33. 8 inliers: below it a grown model would fit chance matches.
  verify: { ...DEFAULT_VERIFY_OPTIONS, perspective: { minInliers: 8 } },
  appearance: DEFAULT_APPEARANCE_OPTIONS,
  colour: DEFAULT_COLOUR_OPTIONS,
  layouts: DEFAULT_LAYOUT_OPTIONS,
  shapes: DEFAULT_SHAPE_OPTIONS,
  outlines: DEFAULT_OUTLINE_OPTIONS,
  lines: DEFAULT_LINE_OPTIONS,
  templates: DEFAULT_FEATURE_TEMPLATE_OPTIONS,
};

const VOCAB_META = 'lookup.vocabulary';

/**
 * Degrees ORB's orientation of a keypoint may differ from the product's turn (LookupOptions.maxTurn).
 * Tuning set (seed 3, 300 photos), keypoints turned by at most 45° + 15° in the index scan and in
 * descriptor matching, against any turn: recall@1 0.897 → 0.913, recall@10 0.920 → 0.943 at 1k
 * (exact claims right / wrong 191 / 2 → 198 / 1); 0.867 → 0.890 and 0.893 → 0.910 at 10k (181 / 1
 * → 193 / 1), lookup p50 45 → 38 ms (fewer descriptor comparisons). 45° in all: 0.910 / 0.937 at
 * 1k, 0.880 / 0.917 at 10k; 75°: 0.917 / 0.937 and 0.880 / 0.900. Turned pairs dropped after
 * matching instead of kept out of the ratio test: 0.913 / 0.937 at 1k and 9 fewer right exact
 * claims; that check alone (index scan at any turn): 0.907 / 0.927; the index scan's alone: 0.900 /
 * 0.923.
 */
const ORIENTATION_NOISE = 15;

/** A homography into a region of the photo whose corner is at (x, y), into the whole photo. */
function shifted(h: Homography, x: number, y: number): Homography {
  return Float64Array.from([h[0]! + x * h[6]!, h[1]! + x * h[7]!, h[2]! + x * h[8]!, h[3]! + y * h[6]!, h[4]! + y * h[7]!, h[5]! + y * h[8]!, h[6]!, h[7]!, h[8]!]);
}

/** A box given as fractions of the whole photo, as fractions of the shopper's crop (the inverse of inCrop). */
function inFrame(box: FractionBox, crop: FractionBox | undefined): FractionBox {
  return crop ? { x: (box.x - crop.x) / crop.width, y: (box.y - crop.y) / crop.height, width: box.width / crop.width, height: box.height / crop.height } : box;
}

/** Share of its evidence a verified match keeps when it turns the product beyond maxRotation. */
const ROTATED_SHARE = 0.25;

/** Fewer descriptors than this make a vocabulary of noise: lookup stays off until the catalog grows. */
const MIN_TRAINING_DESCRIPTORS = 5_000;

/**
 * Progress of LookupService.update, image by image: `checking` reads every image's stored keypoints
 * (and re-analyses those of an older analysis, minutes for thousands of images), `vocabulary`
 * trains one (0 of 1, then 1 of 1), `calibrating` scores new edge templates in collages (collage by
 * collage), `quantising` gives the images their visual words.
 */
export interface LookupProgress {
  step: 'checking' | 'vocabulary' | 'calibrating' | 'quantising';
  done: number;
  total: number;
}

/** What LookupService.update did after an ingest. */
export interface LookupUpdate {
  /** A vocabulary was trained (first time, or the catalog doubled since). */
  trained: boolean;
  /** Images whose visual words were (re)computed. */
  quantised: number;
  /** Words of the vocabulary in use; 0 while there is none (lookup not ready). */
  words: number;
  /** Images re-analysed from an older local-features format. */
  reanalysed: number;
  /** Images whose edge templates were calibrated (line-calibration.ts): new or changed templates. */
  calibrated: number;
  /** Keypoint descriptors the catalog holds, and how many a vocabulary needs. */
  descriptors: number;
  needed: number;
}

/**
 * Product lookup from local features: ORB descriptors per catalog image (stored by content hash),
 * a vocabulary tree + Hamming-embedding inverted file for candidates, re-ranked by spatially
 * consistent matches, then ratio-test matching and RANSAC on the best of them. The index is derived
 * data, rebuilt from the store when its version moves.
 */
export class LookupService {
  private vocabulary: Vocabulary | null = null;
  private index: HammingIndex | null = null;
  /** Colour layouts of the flat rectangular products, shapes of the flat drawings, strokes of the coloured line drawings; rebuilt with the index. */
  private flat = new FlatIndex();
  /** LINE-2D templates of the catalogue's products (lines.ts); rebuilt with the index. */
  private lines = new LineIndex();
  /** What each product's edge templates score where it is not (line-calibration.ts); loaded by open(). */
  private lineCalibrations: LineCalibrations | null = null;
  private readonly reranker: SpatialReranker;
  private readonly verifyOptions: VerifyOptions;
  private readonly flatOptions: FlatOptions;
  private readonly orb = new OrbLevelsWorker();
  private readonly scan = new ScanWorker();
  private readonly flatWorker = new FlatWorker();
  /** The feature-map model of the templates, created on the first photo that needs it; null when it failed. */
  private featureMaps: Promise<FeatureMapModel | null> | null = null;
  /** Photos whose first place the templates chose (whether or not it changed), for reports and tests. */
  templateChoices = 0;
  private readonly analysis = new CatalogAnalysisWorker();
  private indexVersion = -1;
  private readonly options: LookupOptions;

  /** `media` holds the catalog images' display copies the pixel-level check compares (without it, no check). */
  constructor(private readonly store: CatalogStore, options: Partial<LookupOptions> & Pick<LookupOptions, 'limits' | 'vocabularyPath'>, private readonly media?: MediaStore) {
    this.options = { ...DEFAULT_LOOKUP_OPTIONS, ...options };
    this.reranker = new SpatialReranker({ ...this.options.spatial, maxRotation: this.options.maxRotation });
    this.verifyOptions = { ...this.options.verify, maxRotation: this.options.maxRotation, maxTurn: this.maxTurn };
    const { layouts, shapes, outlines, maxRotation } = this.options;
    this.flatOptions = { layouts, shapes, outlines, maxRotation };
  }

  /**
   * Encoded local features of a catalog image, for CatalogStore.putLocalFeatures. Takes the encoded
   * bytes, or pixels already decoded with a longest side of at most `catalogSide` (no second decode).
   */
  async analyseCatalogImage(source: Buffer | RgbImage): Promise<Buffer> {
    const image = Buffer.isBuffer(source)
      ? await decodeImage(source, this.options.limits, { maxSide: this.options.catalogSide })
      : source;
    return this.analysis.analyse(image, this.options);
  }

  /** Loads the stored vocabulary if its identity matches the store's record, and the edge templates' calibrations. */
  async open(): Promise<void> {
    if (this.options.lines) this.lineCalibrations = await LineCalibrations.open(this.lineCalibrationPath, this.options.lines);
    const identity = await this.store.getMeta(VOCAB_META);
    if (!identity) return;
    try {
      const v = Vocabulary.deserialize(await readFile(this.options.vocabularyPath));
      if (v.identity === identity && v.featuresIdentity === LOCAL_FEATURES_IDENTITY) this.vocabulary = v;
    } catch {
      this.vocabulary = null; // missing or corrupt: the next ingest trains a new one
    }
  }

  get ready(): boolean {
    return this.vocabulary !== null;
  }

  /**
   * After an ingest: trains the vocabulary when there is none (or the catalog has since grown
   * 2×), then quantises every image whose words are missing or from another vocabulary.
   */
  async update(onProgress?: (progress: LookupProgress) => void): Promise<LookupUpdate> {
    let trained = false;
    // Images with stored features (for progress only: an image's content may be stored once for two rows).
    const images = onProgress ? (await this.store.stats()).images : 0;
    const report = (step: LookupProgress['step'], done: number, total = images): void => onProgress?.({ step, done: Math.min(done, total), total });
    // One pass: the descriptor count (vocabulary training) and the rows of an older analysis.
    let total = 0;
    let reanalysed = 0;
    let seen = 0;
    // Edge templates are looked for where they never were (analysed before the addon was built).
    const edges = this.options.lines !== null && nativeLine() !== null;
    if (edges) this.lineCalibrations ??= await LineCalibrations.open(this.lineCalibrationPath, this.options.lines!);
    // And the images with edge templates, for their calibration.
    const templated: TemplatedImage[] = [];
    const noteTemplates = (sha256: string, f: LocalFeatures): void => {
      if (!edges || !f.line || f.line.length <= NO_LINE_TEMPLATES.length) return;
      const id = templatesId(f.line);
      templated.push({ sha256, id, ...(this.lineCalibrations?.has(id) ? {} : { line: Uint8Array.from(f.line) }) });
    };
    for await (const batch of this.store.iterateLocalFeatures()) {
      report('checking', seen);
      const older: { sha256: string; f: LocalFeatures }[] = [];
      for (const r of batch) {
        const f = decodeLocalFeatures(r.features);
        total += f.count;
        if (localFeaturesVersion(r.features) !== FORMAT_VERSION || (edges && !f.line)) older.push({ sha256: r.sha256, f });
        else noteTemplates(r.sha256, f);
      }
      // Rewritten in place, two at a time (CatalogAnalysisWorker): the iteration pages by content
      // hash, which a rewrite keeps, and only one batch of stored features is held at a time.
      let done = seen + batch.length - older.length;
      await mapPool(older, 2, async ({ sha256, f }) => {
        const fresh = await this.reanalyse(sha256);
        if (fresh !== null) {
          total += fresh.count - f.count;
          reanalysed++;
        }
        // (an image that cannot be re-analysed keeps its features, and its templates their calibration)
        noteTemplates(sha256, fresh ?? f);
        if (++done % 20 === 0) report('checking', done);
      });
      seen += batch.length;
    }
    report('checking', seen);
    const trainedOn = Number((await this.store.getMeta(`${VOCAB_META}.descriptors`)) ?? 0);
    if ((!this.vocabulary || total >= 2 * trainedOn) && total >= MIN_TRAINING_DESCRIPTORS) {
      report('vocabulary', 0, 1);
      const all = new Uint8Array(total * 32);
      let o = 0;
      for await (const batch of this.store.iterateLocalFeatures()) for (const r of batch) {
        const f = decodeLocalFeatures(r.features);
        all.set(f.descriptors, o);
        o += f.descriptors.length;
      }
      const v = Vocabulary.train(asWords(all), LOCAL_FEATURES_IDENTITY, this.options.vocabulary);
      const tmp = `${this.options.vocabularyPath}.tmp`;
      await writeFile(tmp, v.serialize());
      await rename(tmp, this.options.vocabularyPath);
      await this.store.setMeta(VOCAB_META, v.identity);
      await this.store.setMeta(`${VOCAB_META}.descriptors`, String(total));
      this.vocabulary = v;
      this.indexVersion = -1;
      trained = true;
      report('vocabulary', 1, 1);
    }
    const calibrated = edges && this.lineCalibrations ? await this.lineCalibrations.update(templated, () => this.collageSources(templated), this.options.lines!, (done, all) => report('calibrating', done, all)) : 0;
    const v = this.vocabulary;
    if (!v) return { trained, quantised: 0, words: 0, reanalysed, calibrated, descriptors: total, needed: MIN_TRAINING_DESCRIPTORS };
    let quantised = 0;
    let pending: { sha256: string; words: Buffer }[] = [];
    seen = 0;
    for await (const batch of this.store.iterateLocalFeatures()) {
      report('quantising', seen);
      seen += batch.length;
      for (const r of batch) {
        if (r.vocabulary === v.identity && r.words) continue;
        const f = decodeLocalFeatures(r.features);
        const { words } = v.quantize(asWords(f.descriptors));
        pending.push({ sha256: r.sha256, words: Buffer.from(words.buffer, words.byteOffset, words.byteLength) });
      }
      if (pending.length > 0) {
        await this.store.setLocalWords(pending, v.identity);
        quantised += pending.length;
        pending = [];
      }
    }
    report('quantising', seen);
    if (quantised > 0) this.indexVersion = -1;
    return { trained, quantised, words: v.words, reanalysed, calibrated, descriptors: total, needed: MIN_TRAINING_DESCRIPTORS };
  }

  private get lineCalibrationPath(): string {
    return path.join(path.dirname(this.options.vocabularyPath), 'lookup-edge-calibration.json');
  }

  /**
   * Catalogue products for the edge calibration's collages: up to `calibration.sources` of the
   * templated images, spread over them by content hash, from their display copies (at most 256 px),
   * each cut out of its plain backdrop. None without the display copies.
   */
  private async collageSources(images: readonly TemplatedImage[]): Promise<CollageSource[]> {
    if (!this.media || !this.options.lines) return [];
    const sorted = [...new Set(images.map((i) => i.sha256))].sort();
    const want = Math.min(sorted.length, this.options.lines.calibration.sources);
    const chosen = Array.from({ length: want }, (_, i) => sorted[Math.floor((i * sorted.length) / want)]!);
    const sources = await mapPool(chosen, 2, async (sha256): Promise<CollageSource | null> => {
      try {
        const image = await decodeImage(await readFile(this.media!.pathFor(sha256)), this.options.limits, { maxSide: 256 });
        const backdrop = findBackdrop(image);
        if (backdrop.share < MIN_BACKDROP_SHARE) return null;
        return { image, mask: backdrop.mask.map((b) => (b ? 0 : 255)) };
      } catch {
        return null; // no display copy, or an unreadable one
      }
    });
    return sources.filter((x): x is CollageSource => x !== null);
  }

  /**
   * Features stored by an older analysis (another FORMAT_VERSION) are re-analysed from the image's
   * display copy (≤ 512 px, the catalog analysis size), so an upgraded catalog does not mix two
   * kinds of descriptors, and every image gains its keypoints' angles (version 4), which the stored
   * positions alone cannot give back (ORB measures them at the keypoint's pyramid level). The
   * display copy's keypoints are a little worse than the ingest's (tuning set seed 3 at 1k, recall@1
   * 0.790 against 0.813, session 9); only a new data directory analyses the originals again. Returns the
   * new features, or null when the image has no readable display copy (it keeps its old
   * features, and the index then checks no angles).
   */
  private async reanalyse(sha256: string): Promise<LocalFeatures | null> {
    if (!this.media) return null;
    let features: Buffer;
    try {
      features = await this.analyseCatalogImage(await readFile(this.media.pathFor(sha256)));
    } catch {
      return null; // no display copy, or an unreadable one
    }
    await this.store.putLocalFeatures([{ sha256, features }]);
    return decodeLocalFeatures(features);
  }

  /** Rebuilds the inverted file when the catalog changed since it was built. */
  async refresh(): Promise<void> {
    const v = this.vocabulary;
    if (!v) return;
    const version = await this.store.getVersion();
    if (this.index && version === this.indexVersion) return;
    const images: IndexedImage[] = [];
    const flat: FlatProduct[] = [];
    const lines: LineProduct[] = [];
    for await (const batch of this.store.iterateLocalWords(v.identity)) {
      for (const r of batch) {
        const f = decodeLocalFeatures(r.features);
        if (f.layout || f.shape || f.outline) flat.push({ key: r.key, ...(f.layout ? { layout: f.layout } : {}), ...(f.shape ? { shape: f.shape } : {}), ...(f.outline ? { outline: f.outline } : {}) });
        if (f.line && this.options.lines) lines.push({ key: r.key, line: f.line, calibration: this.lineCalibrations?.of(f.line) });
        images.push({ key: r.key, words: wordsOf(r.words), xy: f.xy, descriptors: f.descriptors, ...(f.angles ? { angles: f.angles } : {}) });
      }
    }
    this.index = new HammingIndex(v.words, images, { ...this.options.hamming, maxTurn: this.maxTurn });
    this.flat = new FlatIndex(flat);
    this.lines = new LineIndex(lines, this.options.lines ?? undefined);
    this.indexVersion = version;
  }

  /**
   * Memory held by the index (postings with descriptors and positions, the colour layouts, the
   * shapes and the line drawings, and the flat products' copy in their worker thread), in bytes, for reports.
   */
  get indexMemoryBytes(): number {
    return (this.index?.memoryBytes ?? 0) + this.flat.memoryBytes + this.flatWorker.memoryBytes + this.lines.memoryBytes;
  }

  /** Catalogue products with LINE-2D templates in the index. */
  get lineCount(): number {
    return this.lines.size;
  }

  /** Catalogue images with a coloured line drawing in the index. */
  get outlineCount(): number {
    return this.flat.outlines.size;
  }

  /** Catalogue images with a product shape in the index. */
  get shapeCount(): number {
    return this.flat.shapes.size;
  }

  /** Catalogue images with a colour layout (flat rectangular products) in the index. */
  get layoutCount(): number {
    return this.flat.layouts.size;
  }

  /**
   * Local-feature lookup of a query photo: candidates from the inverted file, verified by
   * homography. `crop` (fractions of the image) restricts the analysis to the shopper's box.
   * Without a box, and when the whole photo's best match is weak, parts of the photo are looked at
   * again (LookupOptions.windows). Returns matches for verified candidates, best first; empty when
   * lookup is not ready.
   */
  async lookup(image: RgbImage, crop: FractionBox | undefined, accept?: (key: number) => boolean): Promise<LocalMatch[]> {
    const v = this.vocabulary;
    if (!v) return [];
    await this.refresh();
    const index = this.index;
    if (!index || index.size === 0) return [];
    const pass: QueryPass = { vocabulary: v, index, image, frame: crop, accept, colourless: isColourless(image), decoded: new Map(), rows: new Map(), pixels: new Map() };
    const o = this.options;
    const rerankTop = Math.min(o.rerankTop, Math.max(RERANK_FLOOR, Math.ceil(RERANK_SHARE * index.size)));
    const whole: PassBudget = { keypoints: o.queryKeypoints, rerankTop, refineTop: o.refineTop, verifyTop: o.verifyTop, indexTop: o.indexTop };
    const found = await this.finishPass(pass, await this.startPass(pass, crop, whole, 0.5), whole);
    const best = (matches: Map<number, LocalMatch>): number => Math.max(0, ...[...matches.values()].map((m) => m.evidence));
    // Nothing exact on the whole photo: flat products are looked for (the parts of the photo looked
    // at again rank, they never claim). In the worker thread, beside those parts' keypoints.
    const flatOptions = this.flatOptions;
    const nothingExact = best(found) < o.exactInliers;
    const wantFlat = nothingExact && this.flat.searchable(flatOptions);
    const edges = nothingExact && o.lines !== null && this.lines.size > 0;
    const region = crop ? cropImage(image, fractionToPixels(crop, image.width, image.height)) : image;
    // A product shot (a clean backdrop) is ranked by its global features below exact (search.service).
    // Asked only of a photo where nothing is exact.
    let shot: boolean | undefined;
    const productShot = (): boolean => (shot ??= hasCleanBackdrop(region));
    // And the products' edges (LINE-2D), on libuv's threads beside both, in a shopper's photo: edge
    // suggestions would put other products' silhouettes among a product shot's look-alikes
    // (Fashion-MNIST category queries: nDCG@10 0.820 → 0.694 with them).
    const wantLines = edges && !productShot();
    const flat = wantFlat && o.parallelQuery ? this.flatWorker.match(this.flat, region, flatOptions, accept) : null;
    // A failure of the addon costs the edges' ranks, not the lookup.
    const lines = wantLines ? this.lines.match(region, o.lines!, accept).catch(() => [] as LineMatch[]) : null;
    if (!crop && o.windows.side > 0 && o.windows.side < 1 && best(found) < Math.min(o.windows.belowEvidence, o.exactInliers)) {
      // Pipelined: the worker thread scans the next box's postings while this thread verifies the
      // candidates of the current one.
      const windows = photoWindows(o.windows.side);
      let next: Promise<StartedPass | null> | null = this.startPass(pass, windows[0], o.windows, 0);
      try {
        for (let w = 0; next; w++) {
          const current = await next;
          next = w + 1 < windows.length ? this.startPass(pass, windows[w + 1], o.windows, 0) : null;
          const more = await this.finishPass(pass, current, o.windows);
          // A part of the photo ranks, it does not claim: five more looks are five more chances for
          // a clutter object sharing a part with a catalog product (a test-set distractor photo's
          // barber sign: 64 inliers in a box, pixels agreeing 0.70, where right matches agreed 0.71–0.91).
          for (const m of more.values()) {
            const ranked = { ...m, evidence: belowExact(m.evidence, o.exactInliers) };
            if (ranked.evidence > (found.get(m.key)?.evidence ?? -1)) found.set(m.key, ranked);
          }
          // A part of the photo that holds an exact match has found the product.
          if (best(more) >= o.exactInliers) break;
        }
      } finally {
        // A box started ahead and no longer needed finishes unread; its failure must not surface as
        // an unhandled rejection.
        void next?.then((p) => p?.scan.catch(() => undefined), () => undefined);
        // Likewise the flat products' matching when a box failed.
        void flat?.catch(() => undefined);
      }
    }
    if (wantFlat) rankFlat(await (flat ?? this.flat.match(region, flatOptions, accept)), flatOptions, crop, found);
    if (lines) suggestLines(await lines, crop, found);
    const ranked = [...found.values()].sort(byEvidence);
    const closer = await closerVariantFirst(ranked, (first, m) => this.placementFit(pass, first, m), (m) => this.agreementOf(pass, m), o.exactInliers);
    const claimed = withoutAmbiguousClaim(await agreeingFirst(closer, (m) => this.agreementOf(pass, m), o.exactInliers), o.exactInliers);
    // A main subject exact on its own evidence has its claim judged in turn.
    const ordered = withoutAmbiguousClaim(mainSubjectFirst(claimed, o.exactInliers), o.exactInliers);
    return this.templatesFirst(pass, ordered, region, productShot);
  }

  /**
   * `ranked`, or on a photo (`region`: the photo or the shopper's box of it) where nothing is exact,
   * with the first place chosen by the templates too (templateFirst). Not in a product shot: a first
   * place chosen there would change nothing in the search's ranking, and cost ~0.2 s (Fashion-MNIST
   * category queries: lookup p50 74 → 312 ms with it). A catalogue image without a display copy is
   * not scored; a failure of the model costs the re-ordering, not the lookup.
   */
  private async templatesFirst(pass: QueryPass, ranked: LocalMatch[], region: RgbImage, productShot: () => boolean): Promise<LocalMatch[]> {
    const o = this.options.templates;
    if (!o || !this.media || ranked.length < 2 || ranked[0]!.evidence >= this.options.exactInliers || productShot()) return ranked;
    this.featureMaps ??= FeatureMapModel.create().catch(() => null);
    const model = await this.featureMaps;
    if (!model) return ranked;
    const first = ranked.slice(0, o.candidates);
    const rows = await this.storedRows(pass, first.map((m) => m.key));
    try {
      const photo = await photoFeatures(model, region, o);
      const scores: (number | null)[] = [];
      for (const m of first) {
        const row = rows.get(m.key);
        const pixels = row ? await this.catalogPixels(pass, row.sha256) : null;
        scores.push(pixels ? await templateScore(model, photo, pixels, o) : null);
      }
      this.templateChoices++;
      return templateFirst(ranked, scores, o.weight, this.options.exactInliers);
    } catch {
      return ranked;
    }
  }

  /** closerPlacement of a rival match against the first at their places in the photo, or null when either display copy is missing. */
  private async placementFit(pass: QueryPass, first: LocalMatch, m: LocalMatch): Promise<{ a: number; b: number } | null> {
    const own = await this.matchPixels(pass, first), other = await this.matchPixels(pass, m);
    return own && other && first.placement && m.placement ? closerPlacement(pass.image, { catalog: own, ...first.placement }, { catalog: other, ...m.placement }, this.options.appearance) : null;
  }

  /** A keypoint match's pixel agreement with the photo (appearanceAgreement at its placement), or null when it cannot be judged. */
  private async agreementOf(pass: QueryPass, m: LocalMatch): Promise<number | null> {
    if (m.agreement !== undefined) return m.agreement;
    const pixels = await this.matchPixels(pass, m);
    const a = pixels && m.placement ? await appearanceAgreement(pass.image, pixels, m.placement.homography, m.placement.frame, this.options.appearance) : null;
    return a?.agreement ?? null;
  }

  /** The display copy of a match's catalog image (catalogPixels), or null (none, or no media store). */
  private async matchPixels(pass: QueryPass, m: LocalMatch): Promise<RgbImage | null> {
    const row = pass.rows.get(m.key);
    return row && this.media ? this.catalogPixels(pass, row.sha256) : null;
  }

  /**
   * The first half of a pass of lookup() over the photo or a box of it: keypoints, and the index
   * scan under way (`localShare` of it on this thread, the rest in the scan worker). Null when the
   * region has no keypoints.
   */
  private async startPass(pass: QueryPass, crop: FractionBox | undefined, budget: PassBudget, localShare: number): Promise<StartedPass | null> {
    const { vocabulary: v, index, image, accept } = pass;
    const region = crop ? cropImage(image, fractionToPixels(crop, image.width, image.height)) : image;
    const detection = { ...this.options.queryDetection, maxKeypoints: budget.keypoints };
    const extract = (img: RgbImage | GrayImage, d: LocalFeatureOptions): Promise<LocalFeatures> => (this.options.parallelQuery ? this.orb.extract(img, d) : extractLocalFeatures(img, d));
    let features = await extract(region, detection);
    // The photo's colour keypoints, in the same share of the budget as its luma ones (a part of the
    // photo looked at again has fewer).
    const colour = this.options.colourKeypoints;
    const colourBudget = Math.round((colour.query * budget.keypoints) / this.options.queryKeypoints);
    if (colourBudget > 0) {
      for (const ch of colour.channels) features = concatFeatures(features, keyedFeatures(await extract(opponentChannel(region, ch), { ...detection, maxKeypoints: colourBudget }), ch));
    }
    if (features.count === 0) return null;
    const descriptors = asWords(features.descriptors);
    const scan = this.options.parallelQuery
      ? this.scan.query(index, v, descriptors, features.angles, budget.rerankTop, accept, localShare)
      : Promise.resolve().then(() => {
        const q = v.quantize(descriptors);
        return { ...q, ...index.query(q.words, descriptors, features.angles, budget.rerankTop, accept) };
      });
    return { crop, region, features, scan };
  }

  /** The second half of a pass: candidates ranked by spatial consistency and verified. */
  private async finishPass(pass: QueryPass, started: StartedPass | null, budget: PassBudget): Promise<Map<number, LocalMatch>> {
    if (!started) return new Map();
    const { vocabulary: v, image } = pass;
    const { crop, region, features } = started;
    const reranker = this.reranker;
    const offsetX = crop ? Math.floor(crop.x * image.width) : 0;
    const offsetY = crop ? Math.floor(crop.y * image.height) : 0;
    const side = Math.max(features.width, features.height);
    const bySpatial = (a: { spatial: SpatialScore; score: number }, b: { spatial: SpatialScore; score: number }): number =>
      b.spatial.inliers - a.spatial.inliers || b.score - a.score;
    const { candidates: found, matches, words, branches } = await started.scan;
    const query: QuantizedFeatures = { features, words, branches };
    const candidates = found
      .map((c, i) => ({ ...c, i, spatial: reranker.score(matches, i, features.xy, side, true) }))
      .sort(bySpatial)
      .slice(0, budget.refineTop)
      .map((c) => ({ ...c, spatial: reranker.score(matches, c.i, features.xy, side) }))
      .sort(bySpatial)
      .slice(0, budget.verifyTop);
    const verifyOptions = this.verifyOptions;
    // A candidate's stored features, decoded once per query (the second look and the photo's parts
    // may verify it again).
    const decoded = pass.decoded;
    const catalogFeatures = (key: number, row: LocalFeatureRow): QuantizedFeatures => {
      let f = decoded.get(key);
      if (!f) {
        const words = wordsOf(row.words!);
        decoded.set(key, (f = { features: decodeLocalFeatures(row.features), words, branches: branchesOf(v, words) }));
      }
      return f;
    };
    const verifyOne = async (c: (typeof candidates)[number], row: LocalFeatureRow, footprint: boolean): Promise<LocalMatch & { restricted: boolean }> => {
      const candidate = catalogFeatures(c.key, row);
      const cf = candidate.features;
      const q = footprint ? withinFootprint(query, cf, c.spatial) : query;
      const res = await verifyCandidate(q, candidate, verifyOptions);
      const box = res.box
        ? { x: (res.box.x + offsetX) / image.width, y: (res.box.y + offsetY) / image.height, width: res.box.width / image.width, height: res.box.height / image.height }
        : undefined;
      // Rounded now: the exact claim is made on the rounded evidence, so the pixel check must see it too.
      let evidence = Math.round(geometricEvidence(res));
      let agreement: number | undefined;
      let correlations: number[] | undefined;
      // Only where the claim is at stake: a match with enough inliers to be exact must also look like
      // the whole product inside its footprint.
      if (evidence >= this.options.exactInliers && res.homography && this.media) {
        const pixels = await this.catalogPixels(pass, row.sha256);
        const a = pixels ? await appearanceAgreement(region, pixels, res.homography, cf, this.options.appearance) : null;
        if (a) {
          agreement = a.agreement;
          correlations = a.correlations;
          evidence = appearanceEvidence(evidence, a.agreement, this.options.exactInliers);
        }
      }
      // A photo without colour has nothing for the colour check to weigh: its fit would only say
      // that two grey silhouettes on black overlap (Fashion-MNIST: 0.6–0.9 explained for nearly any
      // other garment). bench/lookup/README.md, session 22.
      const colour = !pass.colourless && res.homography && cf.colours ? colourFit(region, cf.colours, res.homography, cf, this.options.colour) : null;
      if (colour) {
        // A flat rectangular product is also read on its layout's grid under the match (one gain for
        // all channels): the affine colour map lets one tricolour explain another (Mali's stripes
        // under Guinea's), the layout does not. The lower of the two counts. Tuning sets (seeds 3
        // and 4): lookup recall@1 0.957 → 0.963 and 0.927 → 0.927 at 1k, 0.933 → 0.940 and 0.907 →
        // 0.907 at 10k, no photo lost.
        const under = res.homography && cf.layout ? layoutUnder(region, cf.layout.rect, res.homography) : null;
        const explained = under ? Math.min(colour.explained, layoutFit(under, cf.layout!.colours)) : colour.explained;
        evidence = keptColourEvidence(colourEvidence(evidence, explained, this.options.exactInliers), colour.kept, this.options.exactInliers);
      }
      if (res.homography && rotationOf(res.homography) > this.options.maxRotation) evidence *= ROTATED_SHARE;
      if (box && evidence < this.options.exactInliers) evidence = placementEvidence(evidence, inFrame(box, pass.frame));
      return {
        key: c.key, inliers: res.inliers, coverage: res.coverage, evidence, bovw: c.score, restricted: q !== query,
        ...(res.homography ? { placement: { homography: shifted(res.homography, offsetX, offsetY), frame: { width: cf.width, height: cf.height } } } : {}),
        ...(agreement !== undefined ? { agreement, correlations } : {}), ...(colour ? { colour: colour.explained, colourKept: colour.kept } : {}), ...(box ? { box } : {}),
      };
    };
    const stored = await this.storedRows(pass, candidates.map((c) => c.key));
    const found1 = new Map<number, LocalMatch & { restricted: boolean }>();
    let bestEvidence = 0;
    for (const c of candidates) {
      // Candidates come in spatial order: once one is verified well beyond doubt, the rest (half its
      // spatial support or less) can only be other products sharing a part, not a better answer.
      if (bestEvidence >= this.options.confidentEvidence && c.spatial.inliers * 2 <= candidates[0]!.spatial.inliers) break;
      const row = stored.get(c.key);
      if (!row?.words) continue;
      const m = await verifyOne(c, row, true);
      bestEvidence = Math.max(bestEvidence, m.evidence);
      found1.set(c.key, m);
    }
    // A second look when nothing reached an exact match: a flat drawing has few keypoints, so its
    // few word-level correspondences can place it wrongly (the footprint then hides it) or leave it
    // out of the spatial ranking although the index ranked it high.
    if (bestEvidence < this.options.exactInliers && budget.indexTop > 0) {
      const again = candidates.filter((c) => found1.get(c.key)?.restricted && c.spatial.inliers < SURE_PLACEMENT);
      const chosen = new Set(candidates.map((c) => c.i));
      const extra = found.slice(0, budget.indexTop).map((c, i) => ({ ...c, i, spatial: { inliers: 0 } as SpatialScore })).filter((c) => !chosen.has(c.i));
      const rows = await this.storedRows(pass, extra.map((c) => c.key));
      for (const c of [...again, ...extra]) {
        const row = stored.get(c.key) ?? rows.get(c.key);
        if (!row?.words) continue;
        const m = await verifyOne(c, row, false);
        if (m.evidence > (found1.get(c.key)?.evidence ?? -1)) found1.set(c.key, m);
      }
    }
    return new Map([...found1.values()].map(({ restricted: _, ...m }) => [m.key, m]));
  }

  /** Stored local features of candidates, read once per query. */
  private async storedRows(pass: QueryPass, keys: number[]): Promise<Map<number, LocalFeatureRow>> {
    const missing = keys.filter((k) => !pass.rows.has(k));
    if (missing.length > 0) for (const [k, row] of await this.store.getLocalFeatures(missing)) pass.rows.set(k, row);
    const out = new Map<number, LocalFeatureRow>();
    for (const k of keys) {
      const row = pass.rows.get(k);
      if (row) out.set(k, row);
    }
    return out;
  }

  /** The catalog image's display copy at the catalog analysis size, or null when it is missing; decoded once per query. */
  private catalogPixels(pass: QueryPass, sha256: string): Promise<RgbImage | null> {
    let pixels = pass.pixels.get(sha256);
    if (!pixels) pass.pixels.set(sha256, (pixels = this.readCatalogPixels(sha256)));
    return pixels;
  }

  /** catalogPixels, uncached. */
  private async readCatalogPixels(sha256: string): Promise<RgbImage | null> {
    try {
      return await decodeImage(await readFile(this.media!.pathFor(sha256)), this.options.limits, { maxSide: this.options.catalogSide });
    } catch {
      return null; // no display copy (or unreadable): the match keeps its geometric evidence
    }
  }

  /** LookupOptions.maxTurn, or the product's largest turn plus ORB's orientation noise. */
  get maxTurn(): number {
    return this.options.maxTurn ?? Math.min(180, this.options.maxRotation + ORIENTATION_NOISE);
  }

  get exactInliers(): number {
    return this.options.exactInliers;
  }

  get catalogSide(): number {
    return this.options.catalogSide;
  }

  get querySide(): number {
    return this.options.querySide;
  }

  /**
   * Builds the index and starts the query workers ahead of the first shopper (`shoplens serve` calls
   * it after listening): otherwise the first search pays for both (8.3 s at 10,000 catalog images).
   * Resolves with the milliseconds it took, or null when lookup is not ready (no vocabulary yet).
   */
  async warmUp(): Promise<number | null> {
    if (!this.vocabulary) return null;
    const started = performance.now();
    // A small noise image runs every stage once: the index build (refresh), both threads' ORB, the
    // shared postings scan.
    await this.lookup(noiseImage(160, 120), undefined);
    return performance.now() - started;
  }

  /** Stops the worker threads of queries and catalog analysis (later work is all done on this thread). */
  async close(): Promise<void> {
    const maps = await this.featureMaps;
    await Promise.all([this.orb.close(), this.scan.close(), this.analysis.close(), this.flatWorker.close(), maps?.close()]);
  }
}

/** What one pass of a lookup may spend (see LookupOptions: queryKeypoints, rerankTop, indexTop). */
interface PassBudget {
  keypoints: number;
  rerankTop: number;
  refineTop: number;
  verifyTop: number;
  indexTop: number;
}

/** A pass whose keypoints are detected and whose index scan is under way (LookupService.startPass). */
interface StartedPass {
  crop: FractionBox | undefined;
  region: RgbImage;
  features: LocalFeatures;
  scan: Promise<QuantizedQuery>;
}

/** What the passes of one lookup share: the query, and candidates' stored rows and decoded features. */
interface QueryPass {
  vocabulary: Vocabulary;
  index: HammingIndex;
  image: RgbImage;
  /** The shopper's box, if any: the frame a placement's size is measured in (placementEvidence). */
  frame: FractionBox | undefined;
  accept: ((key: number) => boolean) | undefined;
  /** The photo has no colour (isColourless): its matches get no colour check. */
  colourless: boolean;
  decoded: Map<number, QuantizedFeatures>;
  rows: Map<number, LocalFeatureRow>;
  /** Catalog display copies decoded for the pixel checks, by content hash (the variant check reads them again). */
  pixels: Map<string, Promise<RgbImage | null>>;
}

/** Boxes of side `side` (fractions of the photo) at its centre and its four corners. */
export function photoWindows(side: number): FractionBox[] {
  const far = 1 - side;
  return [[far / 2, far / 2], [0, 0], [far, 0], [0, far], [far, far]].map(([x, y]) => ({ x: x!, y: y!, width: side, height: side }));
}

/** The fewest index candidates the whole photo's spatial check re-ranks, and its share of the catalogue (LookupOptions.rerankTop). */
const RERANK_FLOOR = 300;
const RERANK_SHARE = 0.1;
/** Word-level support from which the spatial model is trusted to place the product (tuning set). */
const PLACED_SUPPORT = 6;
/**
 * Word-level support from which a placement is not second-guessed when nothing was exact (tuning
 * set seed 3 at 10k: re-verifying only weaker placements on the whole photo kept recall@1 and cost
 * 9 ms less at p50).
 */
const SURE_PLACEMENT = 12;
/** Margin around the predicted footprint, as a share of its longest side. */
const FOOTPRINT_MARGIN = 0.2;

/**
 * The query keypoints near where the spatial check placed the catalog image's keypoint area (its
 * similarity, plus a margin), so descriptor matching skips the clutter elsewhere in the photo —
 * 3–5× fewer comparisons. Without a trusted placement, all of them.
 */
function withinFootprint(query: QuantizedFeatures, catalog: LocalFeatures, spatial: SpatialScore): QuantizedFeatures {
  const m = spatial.similarity;
  if (!m || spatial.inliers < PLACED_SUPPORT || catalog.count === 0) return query;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let j = 0; j < catalog.count; j++) {
    const x = catalog.xy[2 * j]!, y = catalog.xy[2 * j + 1]!;
    const px = m.a * x - m.b * y + m.tx, py = m.b * x + m.a * y + m.ty;
    if (px < x0) x0 = px; if (px > x1) x1 = px; if (py < y0) y0 = py; if (py > y1) y1 = py;
  }
  const pad = FOOTPRINT_MARGIN * Math.max(x1 - x0, y1 - y0);
  x0 -= pad; y0 -= pad; x1 += pad; y1 += pad;
  const f = query.features;
  const keep: number[] = [];
  for (let i = 0; i < f.count; i++) {
    const x = f.xy[2 * i]!, y = f.xy[2 * i + 1]!;
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) keep.push(i);
  }
  if (keep.length === f.count) return query;
  const xy = new Float32Array(2 * keep.length);
  const descriptors = new Uint8Array(keep.length * DESCRIPTOR_BYTES);
  const words = new Uint32Array(keep.length);
  const branches = new Uint8Array(keep.length);
  const angles = f.angles ? new Uint8Array(keep.length) : undefined;
  keep.forEach((i, k) => {
    if (angles) angles[k] = f.angles![i]!;
    xy[2 * k] = f.xy[2 * i]!;
    xy[2 * k + 1] = f.xy[2 * i + 1]!;
    descriptors.set(f.descriptors.subarray(i * DESCRIPTOR_BYTES, (i + 1) * DESCRIPTOR_BYTES), k * DESCRIPTOR_BYTES);
    words[k] = query.words[i]!;
    branches[k] = query.branches[i]!;
  });
  return { features: { width: f.width, height: f.height, count: keep.length, xy, descriptors, ...(angles ? { angles } : {}) }, words, branches };
}

function wordsOf(blob: Buffer): Uint32Array {
  const out = new Uint32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

function branchesOf(v: Vocabulary, words: Uint32Array): Uint8Array {
  const b = new Uint8Array(words.length);
  for (let i = 0; i < words.length; i++) b[i] = v.branchOf(words[i]!);
  return b;
}
