/**
 * How product lookup weighs and orders what it found in a photo (LookupService.lookup): the
 * evidence of a verified keypoint match after its coverage, pixel, colour and placement checks; the
 * evidence of flat matches (colour layouts, shapes, coloured strokes); the edge templates'
 * suggestions; and the rules that reorder the first places (a closer variant, pixels that agree
 * better, the photo's main subject) or withdraw an exact claim. They work on the matches alone (the
 * pixel checks some rules consult are passed in as functions), so they can be tested without a
 * catalogue; the tuning behind the constants is in their comments and in bench/lookup/README.md.
 */
import type { Homography } from '../../features/local/geometry.js';
import { boxOverlap, inCrop, type FractionBox } from '../../imaging/subject.js';
import { CHANCE_EVIDENCE } from './calibration.js';
import type { FlatMatches, FlatOptions } from './flat.js';
import type { LineMatch } from './lines.js';

/** Geometric evidence that a catalog image is in the query photo. */
export interface LocalMatch {
  key: number;
  inliers: number;
  /** Share of the catalog image's area explained by inliers (see Verification.coverage). */
  coverage: number;
  /**
   * Share of the product's footprint whose pixels agree with the warped catalog image (see
   * appearanceAgreement); set for matches with enough inliers to be exact, when the catalog's
   * display copy is available.
   */
  agreement?: number;
  /** The content cells' gradient correlations behind `agreement` (diagnostics). */
  correlations?: number[];
  /** Share of the photo's colour variance over the product its catalog colours explain (colour.ts). */
  colour?: number;
  /** Share of the product's samples whose colour in the photo is its catalog colour under other light (colour.ts). */
  colourKept?: number;
  /** Share of a flat rectangle's colour variance in the photo the product's colour layout explains (layouts.ts). */
  layout?: number;
  /** Share of the photo's colour variance at the placed product's points its shape's colours explain (shapes.ts). */
  shape?: number;
  /** Share of the placed line drawing's stroke points on its colour in the photo, less that of the points beside them (outlines.ts). */
  outline?: number;
  /**
   * Set on the products the edge templates place in the photo (lines.ts: the share of a template's
   * gradient orientations the photo shows there, LINE-2D similarity / 100): suggestions listed
   * beside the ranked products, not evidence.
   */
  edges?: number;
  /** With `edges`: how far the placement rises above the product's templates' chance (LineMatch.score), which orders the suggestions. */
  edgeScore?: number;
  /**
   * inliers × min(1, coverage / FULL_COVERAGE), then the pixel check (appearanceEvidence) and the
   * colour check (colourEvidence): the evidence that ranks and calibrates; ≥ exactInliers is an exact match.
   */
  evidence: number;
  /** tf-idf cosine of the visual words (candidate generation score). */
  bovw: number;
  /** Matched region in the query photo, as fractions (0..1) of the full query image. */
  box?: FractionBox;
  /**
   * Where the keypoints placed the catalog image: the homography from its feature frame (of that
   * size) to the full query image's pixels. Unset for a flat match (see closerVariantFirst).
   */
  placement?: { homography: Homography; frame: { width: number; height: number } };
}

/**
 * Coverage from which a match counts as the whole product: inliers in half the catalog image's
 * occupied grid cells. Below it, inliers are discounted proportionally, so a shared logo or part
 * cannot make another product an "exact match".
 */
const FULL_COVERAGE = 0.5;
/**
 * Evidence multiplier from the pixel-level agreement (appearance.ts): 1 from FULL_AGREEMENT up, 0
 * at or below NO_AGREEMENT, linear between, so a match with many inliers needs less of the ramp.
 * Steep on purpose: a shared part (the comb and scissors of one barber sign on another) brings
 * many inliers and still agrees in over half of the cells. Tuning set (seed 2, 100 photos + 20
 * distractors, 8×8 grid): right matches with ≥ 20 inliers agree in 0.77–1.00 of their cells
 * except 4 of 55 (0.33–0.65, products under other clip art); wrong ones that would have been
 * exact (a shared part, the same barber sign) in 0.28–0.49.
 */
export function appearanceFactor(agreement: number): number {
  return Math.max(0, Math.min(1, (agreement - NO_AGREEMENT) / (FULL_AGREEMENT - NO_AGREEMENT)));
}
const FULL_AGREEMENT = 0.8;
const NO_AGREEMENT = 0.55;
/**
 * Agreement below which the pixels contradict the match. Tuning sets (seed 3, 150 photos, and
 * seed 2, 100 photos + 20 distractors, 10k catalog): right matches agree in ≥ 0.59 of their cells
 * (3 of 55 below 0.7), wrong ones with ≥ 20 inliers — a clutter sign sharing the comb and scissors
 * of a catalog one, another rendering of the same pictogram — in 0.49–0.68 for 8 of 17.
 */
const CONTRADICTED_AGREEMENT = 0.7;

/**
 * Evidence of a match after its pixel check. Unconfirmed pixels take the exact claim away, not the
 * rank: the match stays the best non-exact candidate it was (just under the threshold) unless the
 * discount leaves less. Contradicting pixels (below CONTRADICTED_AGREEMENT) leave only the
 * discounted evidence, so a product sharing a part no longer outranks a weaker but true match
 * (tuning sets: lookup recall@1 177 → 180 of 250, wrong exact claims 5 → 3, right ones 137 → 136).
 */
export function appearanceEvidence(evidence: number, agreement: number, exactInliers: number): number {
  const discounted = evidence * appearanceFactor(agreement);
  if (agreement < CONTRADICTED_AGREEMENT) return Math.min(discounted, exactInliers - 1);
  return Math.max(discounted, Math.min(evidence, exactInliers - 1));
}
/**
 * Evidence of a match after its colour check (colour.ts): COLOUR_WEIGHT per unit of explained
 * colour variance above COLOUR_CHANCE is added. It re-ranks, it never makes an exact claim: below
 * exactInliers the sum stays below it. Tuning set (seed 3, 300 photos, 1k catalog; verified
 * matches with their colour fit): the true product explains a median 0.60 of the photo's colour
 * variance where its evidence is below 8, a wrong one 0.03 (0.36 at the 99th percentile). Lookup
 * recall@1 0.813 → 0.840 at 1k, 0.763 → 0.780 at 10k (re-scored offline, weights 15–30 and chance
 * levels 0.2–0.3 were within 0.01 of each other).
 */
export function colourEvidence(evidence: number, explained: number, exactInliers: number): number {
  const sum = evidence + COLOUR_WEIGHT * Math.max(0, explained - COLOUR_CHANCE);
  return evidence >= exactInliers ? sum : belowExact(sum, exactInliers);
}

/**
 * Evidence that may rank but not claim: it keeps its order but never reaches exactInliers (past
 * exactInliers − 1 it is squashed into the last unit).
 */
export function belowExact(evidence: number, exactInliers: number): number {
  const top = exactInliers - 1;
  return evidence <= top ? evidence : top + 0.99 * (1 - Math.exp(-(evidence - top) / 5));
}
const COLOUR_WEIGHT = 20;
const COLOUR_CHANCE = 0.3;


/**
 * Inliers of a rival that make an exact claim ambiguous, as a share of the claim's own (see
 * withoutAmbiguousClaim).
 */
const RIVAL_SHARE = 0.9;

/** Overlap (intersection over the smaller box) from which two matches lie on the same object in the photo. */
const SAME_PLACE = 0.5;

/** Least inliers and evidence of another image at the first match's place, as a share of the first's, for the variant check (closerVariantFirst). */
const VARIANT_SHARE = 0.75;
/**
 * How much better (closerPlacement's mean cell score) the other image must fit the photo there.
 * Tuning sets (seeds 3, 4, 7, 8; 300 photos each): at 1k recall@1 +1, +1, 0, +1 and wrong exact
 * claims 4 → 2 (a darker red Canada, a smiley with its tongue out); at 10k 0, 0, 0, +1 and one wrong
 * claim fewer (a plain circle for a circle with a cross; with VARIANT_FIT). 0.03: +2, +1, −1, +1 at 1k; an 8 × 8
 * grid scores a variant's small extra part (a tongue, an arrow) within 0.02–0.04, so a finer grid
 * (16 × 16, 0.08) was tried too: +0, +1, 0, +1.
 */
const VARIANT_MARGIN = 0.05;
/**
 * Least score of the closer image itself: two images that both fit the place poorly (a chance
 * placement, 0.13 against 0.19 on a 10k tuning photo that lost its right answer so) are no variants
 * to choose between.
 */
const VARIANT_FIT = 0.5;

/** Matches after the first that the agreement and main-subject checks (agreeingFirst, mainSubjectFirst) compare with it. */
const RIVALS_TOP = 9;
/** Least evidence of a match the agreement check compares with the first, as a share of the first's. */
const AGREEING_SHARE = 0.5;
/**
 * How much more of its footprint's cells must agree (appearanceAgreement) for it to come first,
 * and the least agreement it must have itself. Tuning sets (seeds 3, 4, 7, 8; 300 photos each),
 * offline on the top 10 with every agreement computed: below exact, right matches agree in a
 * median 0.85 of their cells, wrong ones in 0.23 (seed 3, 1k); margins 0.3 with shares 0.3–0.7
 * gained 2 photos at 1k and 2 at 10k and lost none, margin 0.2 one more at 1k and one lost at 10k.
 * In the lookup itself: recall@1 +1 at 1k (seed 8), +2 at 10k (seeds 3 and 4), none lost, exact
 * claims unchanged; lookup p50 89 → 92 ms at 10k (seed 7). Folding the agreement into every
 * match's evidence instead (a factor or a bonus) lost about as many photos as it gained: a right
 * match may agree little (a drawing whose inside shows the clutter), and flat matches have no
 * agreement to weigh against.
 */
const AGREEING_MARGIN = 0.3;
const AGREEING_FIT = 0.5;

/**
 * Least evidence of the first match and of a rival elsewhere in the photo for the main-subject
 * check (mainSubjectFirst), the rival's least share of the first's evidence, how much larger its
 * box must be, and the most their boxes may overlap (intersection over the smaller box).
 * Tuning sets (seeds 3, 4, 7, 8; 300 photos each), offline on the final top 10: least evidence
 * 12–15, shares 0.5–0.7, 1.5 times the area and overlap 0.2 gained 2 photos at 1k and 2 at 10k
 * and lost none, and 2 and 2 on a fresh seed 9; 1.3 times the area or overlap 0.35 lost 1–3.
 * In the lookup itself (after the claims are judged, so the first's evidence is what it claims):
 * recall@1 +4 of 1,500 at 1k and +4 at 10k (seeds 7, 8 and two on 9), none lost, one wrong exact
 * claim fewer (seed 9, 1k), right ones unchanged.
 */
const SUBJECT_EVIDENCE = 15;
const SUBJECT_SHARE = 0.7;
const SUBJECT_AREA = 1.5;
const SUBJECT_OVERLAP = 0.2;

/** Pixel agreement that confirms a match beyond doubt (right matches: most at 0.9–1.0). */
const CLEAR_AGREEMENT = 0.9;

/** Inliers discounted by coverage (LocalMatch.evidence before its rounding and the pixel and colour checks). */
export function geometricEvidence(m: { inliers: number; coverage: number }): number {
  return m.inliers * Math.min(1, m.coverage / FULL_COVERAGE);
}

/** Matches best first: by evidence, then by the candidate generation's score. */
export function byEvidence(a: LocalMatch, b: LocalMatch): number {
  return b.evidence - a.evidence || b.bovw - a.bovw;
}

/**
 * The first match (`ranked` best first), or another catalog image placed at the same place of the
 * photo (SAME_PLACE) with at least VARIANT_SHARE of its inliers and evidence whose pixels fit the
 * photo there clearly better (`fit`: closerPlacement of the first (a) and the other (b); by
 * VARIANT_MARGIN, and at least VARIANT_FIT): that one takes the first's rank and evidence, the
 * first takes the other's (inFirstPlace). Two drawings of one product line (a smiley with and
 * without its tongue out) share most keypoints, so inliers rank them by chance; where they differ,
 * the photo shows one. An exact claim taken over is judged by the new first's own pixels
 * (`agreement`, kept on the match for withoutAmbiguousClaim): below exact its pixel check was never
 * made, and without it the claim was withdrawn as unconfirmed (a tuning photo's right product lost
 * its exact claim so).
 */
export async function closerVariantFirst(
  ranked: LocalMatch[],
  fit: (first: LocalMatch, m: LocalMatch) => Promise<{ a: number; b: number } | null>,
  agreement: (m: LocalMatch) => Promise<number | null>,
  exactInliers: number,
): Promise<LocalMatch[]> {
  const first = ranked[0];
  if (!first?.placement || !first.box) return ranked;
  const rivals = ranked.slice(1).filter((m) => m.placement && m.box && m.inliers >= VARIANT_SHARE * first.inliers && m.evidence >= VARIANT_SHARE * first.evidence && boxOverlap(first.box!, m.box) >= SAME_PLACE);
  let closer: LocalMatch | null = null;
  let gain = VARIANT_MARGIN;
  for (const m of rivals) {
    const f = await fit(first, m);
    if (f && f.b >= VARIANT_FIT && f.b - f.a >= gain) [closer, gain] = [m, f.b - f.a];
  }
  if (!closer) return ranked;
  if (first.evidence >= exactInliers && closer.agreement === undefined) {
    const a = await agreement(closer);
    if (a !== null) closer = { ...closer, agreement: a };
  }
  return inFirstPlace(ranked, closer);
}

/**
 * `ranked` (best first), or when its first match is a keypoint match below exact, another keypoint
 * match among the next RIVALS_TOP with at least AGREEING_SHARE of its evidence whose pixels agree
 * with the photo clearly better (`agreement`: appearanceAgreement at its placement; by
 * AGREEING_MARGIN, and at least AGREEING_FIT) in its place (inFirstPlace). Below exact, inliers and
 * colour rank a handful of chance correspondences on a clutter drawing (a swimming sign under a
 * sailing ship) like the few a product keeps; the warped catalog image looks like the photo at the
 * product's place only.
 */
export async function agreeingFirst(ranked: LocalMatch[], agreement: (m: LocalMatch) => Promise<number | null>, exactInliers: number): Promise<LocalMatch[]> {
  const first = ranked[0];
  if (!first?.placement || first.evidence >= exactInliers) return ranked;
  const own = await agreement(first);
  if (own === null) return ranked;
  let closer: LocalMatch | null = null;
  let best = Math.max(own + AGREEING_MARGIN, AGREEING_FIT);
  for (const m of ranked.slice(1, 1 + RIVALS_TOP)) {
    if (!m.placement || m.evidence < Math.max(CHANCE_EVIDENCE, AGREEING_SHARE * first.evidence)) continue;
    const a = await agreement(m);
    if (a !== null && a >= best) [closer, best] = [m, a];
  }
  return closer ? inFirstPlace(ranked, closer) : ranked;
}

/**
 * `ranked` (best first), or when the photo holds two catalog products firmly matched at different
 * places (both with at least SUBJECT_EVIDENCE, the other with SUBJECT_SHARE of the first's, boxes
 * overlapping at most SUBJECT_OVERLAP), the one whose box is SUBJECT_AREA times larger first
 * (inFirstPlace; the largest such among the next RIVALS_TOP). A shopper photographs the product
 * they look for, large in the frame; the other is something lying beside it (a sign or a flag
 * among the clutter that copies a catalog drawing). It claims "exact" only on its own evidence:
 * the first's exact claim is not handed over, and below exact no match claims.
 */
export function mainSubjectFirst(ranked: LocalMatch[], exactInliers: number): LocalMatch[] {
  const first = ranked[0];
  if (!first?.box || first.evidence < SUBJECT_EVIDENCE) return ranked;
  const area = (b: FractionBox): number => b.width * b.height;
  let subject: LocalMatch | null = null;
  for (const m of ranked.slice(1, 1 + RIVALS_TOP)) {
    if (!m.box || m.evidence < Math.max(SUBJECT_EVIDENCE, SUBJECT_SHARE * first.evidence)) continue;
    if (area(m.box) < SUBJECT_AREA * area(first.box) || boxOverlap(first.box, m.box) > SUBJECT_OVERLAP) continue;
    if (!subject || area(m.box) > area(subject.box!)) subject = m;
  }
  if (!subject) return ranked;
  if (subject.evidence >= exactInliers) return inFirstPlace(ranked, subject);
  // Below exact, every match ranks as before but none claims.
  const capped = ranked.map((m) => ({ ...m, evidence: belowExact(m.evidence, exactInliers) }));
  return inFirstPlace(capped, capped.find((m) => m.key === subject!.key)!);
}

/**
 * `ranked` (best first) on a photo where no match is exact: the first place goes to the match among
 * the first `scores.length` with the most evidence + `weight` × its template score
 * (feature-templates.ts; null: not scored, it keeps its rank) (inFirstPlace). Below exact, a few
 * inliers or a shape's fit on a clutter drawing rank like the product's own weak evidence; the
 * product's feature map, slid over the photo's, tells which of them the photo shows.
 */
export function templateFirst(ranked: LocalMatch[], scores: readonly (number | null)[], weight: number, exactInliers: number): LocalMatch[] {
  const first = ranked[0];
  if (!first || first.evidence >= exactInliers || scores[0] === null || scores[0] === undefined) return ranked;
  let best = first, top = first.evidence + weight * scores[0];
  scores.forEach((s, i) => {
    const m = ranked[i];
    if (i > 0 && m && s !== null && m.evidence + weight * s > top) [best, top] = [m, m.evidence + weight * s];
  });
  return best === first ? ranked : inFirstPlace(ranked, best);
}

/** `ranked` with `closer` (a match of it, or a copy: matched by key) first at the first's evidence, and the first ranked by the evidence `closer` had. */
function inFirstPlace(ranked: LocalMatch[], closer: LocalMatch): LocalMatch[] {
  const first = ranked[0]!;
  const rest = ranked.filter((m) => m.key !== first.key && m.key !== closer.key);
  return [{ ...closer, evidence: first.evidence }, ...[{ ...first, evidence: closer.evidence }, ...rest].sort(byEvidence)];
}

/**
 * An exact claim (matches best first) whose own pixels are not beyond doubt (agreement below
 * CLEAR_AGREEMENT) is withdrawn when another catalog image fits the same place in the photo with
 * nearly as many inliers (RIVAL_SHARE): that support comes from a part the two drawings share (the
 * Union Jack and blue field of two ensign flags that differ only in their badge), and either claim
 * rests on the pixels of the rest alone. Inliers, not evidence: at one place both explain the same
 * keypoints of the photo, while the coverage discount measures each catalogue image, whose share
 * in the shared part differs. The next match is then judged the same way.
 * Tuning sets (seed 3, 300 photos; seeds 3 and 5, 220 distractor photos; 1k catalogue): the claim
 * on an ensign flag in a distractor photo (pixels agreeing 0.75) is withdrawn, no right claim is.
 * With the backdrop keypoints (session 13), a test distractor's ensign claim (26 inliers over 0.43
 * of the flag, pixels agreeing 0.81) had rivals of 26–28 inliers over 0.29–0.36 of theirs: coverage-
 * discounted evidence let it stand, inliers withdraw it; the tuning sets' claims are the same either way.
 */
export function withoutAmbiguousClaim(matches: LocalMatch[], exactInliers: number): LocalMatch[] {
  let out = matches;
  for (;;) {
    const first = out[0];
    if (!first || first.evidence < exactInliers || !first.box || (first.agreement ?? 0) >= CLEAR_AGREEMENT) return out;
    const rival = out.slice(1).some((m) => m.box && m.inliers >= RIVAL_SHARE * first.inliers && boxOverlap(first.box!, m.box) >= SAME_PLACE);
    if (!rival) return out;
    out = [{ ...first, evidence: belowExact(first.evidence, exactInliers) }, ...out.slice(1)].sort(byEvidence);
  }
}

/**
 * Evidence of a colour-layout match (layouts.ts): LAYOUT_EVIDENCE at the least fit that ranks, up
 * to LAYOUT_EVIDENCE + LAYOUT_RANGE at a perfect one, below exactInliers (20) either way — a layout
 * has no keypoints for the pixel check. Tuning set (seed 3, 300 photos, 1k catalogue; dumped
 * lookup matches and layouts combined offline, the larger evidence per product): recall@1 0.943 →
 * 0.953, recall@10 0.970 → 0.980, and no photo lost, for base evidence 10–14 (6–8: 0.950).
 */
export function layoutEvidence(fit: number, minFit: number): number {
  return LAYOUT_EVIDENCE + LAYOUT_RANGE * Math.max(0, Math.min(1, (fit - minFit) / Math.max(1e-9, 1 - minFit)));
}
const LAYOUT_EVIDENCE = 10;
const LAYOUT_RANGE = 8;

/**
 * Evidence of a shape match (shapes.ts): SHAPE_EVIDENCE at the least fit that ranks, plus
 * SHAPE_GAIN per unit of fit above it, below exactInliers either way. Lower than a layout's: a
 * drawing's shape fits by chance more often than a rectangle's layout, so a shape match outranks
 * chance keypoint matches, not a verified product.
 */
export function shapeEvidence(fit: number, minFit: number): number {
  return Math.min(SHAPE_EVIDENCE + SHAPE_GAIN * Math.max(0, fit - minFit), LAYOUT_EVIDENCE);
}
const SHAPE_EVIDENCE = 4;
const SHAPE_GAIN = 20;

/**
 * Evidence of a line drawing's strokes in the photo (outlines.ts): as a layout's, from
 * LAYOUT_EVIDENCE at the least fit that ranks to LAYOUT_EVIDENCE + LAYOUT_RANGE at a full fit. A
 * coloured stroke drawing's fit is as specific as a rectangle's layout: on the tuning sets the
 * products' own drawings fit 0.77–1.0, other drawings at most 0.77.
 */
export function outlineEvidence(fit: number, minFit: number): number {
  return layoutEvidence(fit, minFit);
}

/**
 * Evidence of a match below exactInliers by the size of its placed product: a place of the photo
 * (or the shopper's box) with a side below PLACED_SIDE of it keeps that share of its evidence. A
 * shopper frames the product they look for; a small place holds few pixels and is often a clutter
 * object, so a colour fit or a few inliers there are likelier by chance. Exact matches keep theirs.
 * Flat matches (a layout or a shape; session 17): on the verified matches of the tuning sets (seeds
 * 3 and 4, 1k and 10k) the right placements' sides (√ of the box's share of the photo) start at
 * 0.31 (5th percentile; median 0.50), those of wrong matches ranked above the right one at 0.11
 * (median 0.31–0.40). Lookup recall@1 / @10 with keptColourEvidence below (same data): 1k seed 3
 * 0.973 / 0.987 unchanged, seed 4 0.940 / 0.973 → 0.953 / 0.973; 10k seed 3 0.947 / 0.967
 * unchanged, seed 4 0.900 / 0.947 → 0.923 / 0.947; no photo ranked lower. Offline on the same
 * matches: this alone gains 6 photos at recall@1, keptColourEvidence alone 3, together 10 (of 1,200).
 * Keypoint matches (session 19): a few inliers on a small clutter drawing, lifted by its colour fit
 * (a washing-machine icon of 0.01 of the photo at 18 over a speech bubble of 0.13 at 14).
 */
export function placementEvidence(evidence: number, box: FractionBox): number {
  return evidence * Math.min(1, Math.sqrt(Math.max(0, box.width * box.height)) / PLACED_SIDE);
}
const PLACED_SIDE = 0.3;

/**
 * Evidence of a verified match below exactInliers whose colours in the photo are mostly not the
 * catalogue's under any light (ColourFit.kept < KEPT_LEAST): a recoloured copy of the drawing among
 * the clutter (a purple scissors-and-comb sign against the catalogue's black one), which one affine
 * colour map explains as well as the product itself, since two colours always are. Right matches
 * keep ≥ 0.71 of their samples (5th percentile, tuning sets), wrong ones a median 0.27.
 */
export function keptColourEvidence(evidence: number, kept: number, exactInliers: number): number {
  return evidence < exactInliers && kept < KEPT_LEAST ? evidence * KEPT_SHARE : evidence;
}
const KEPT_LEAST = 0.6;
const KEPT_SHARE = 0.8;

/**
 * The flat products found in the photo (or the shopper's box) among `found`: rectangles by their
 * colour layout, drawings by their shape, coloured line drawings by their strokes. Each ranks a
 * product, it never claims one (layoutEvidence, shapeEvidence, outlineEvidence); where the
 * keypoints found the product, the larger evidence stands.
 */
export function rankFlat(matches: FlatMatches, o: FlatOptions, crop: FractionBox | undefined, found: Map<number, LocalMatch>): void {
  const rank = (key: number, fit: number, box: FractionBox, fitEvidence: number, by: 'layout' | 'shape' | 'outline'): void => {
    const evidence = placementEvidence(fitEvidence, box);
    const known = found.get(key);
    if (known && known.evidence >= evidence) return;
    // The placement that ranks the product is where it is, whatever box weaker keypoints had.
    const placed = crop ? inCrop(box, crop) : box;
    const { placement: _, ...keypoints } = known ?? { key, inliers: 0, coverage: 0, bovw: 0 };
    found.set(key, { ...keypoints, box: placed, evidence, [by]: fit });
  };
  for (const m of matches.layouts) rank(m.key, m.fit, m.box, layoutEvidence(m.fit, o.layouts.minFit), 'layout');
  for (const m of matches.shapes) rank(m.key, m.fit, m.box, shapeEvidence(m.fit, o.shapes.minFit), 'shape');
  for (const m of matches.outlines) rank(m.key, m.fit, m.box, outlineEvidence(m.fit, o.outlines.minFit), 'outline');
}

/**
 * Products placed by their edges (lines.ts) become suggestions, not evidence: the edge similarity
 * (`edges`) and calibrated score (`edgeScore`, which orders them) are set on the product's match,
 * or the product is added with no evidence at its place. A template of gradient orientations fits
 * clutter too often to rank by (tuning sets: the right product is first by similarity in 57 of 517
 * photos without an exact match; wrong firsts score a median 93.8 against the right ones' 95.6;
 * calibrated, the right product is first in about a third of them, and promoting LINE's first
 * hit still loses about as many photos as it gains), so the search lists these products beside
 * the ranked ones (withEdgeSuggestions) rather than among them.
 */
export function suggestLines(matches: readonly LineMatch[], crop: FractionBox | undefined, found: Map<number, LocalMatch>): void {
  for (const m of matches) {
    const edges = m.similarity / 100;
    const known = found.get(m.key);
    const box = known?.box ?? (crop ? inCrop(m.box, crop) : m.box);
    found.set(m.key, { ...(known ?? { key: m.key, inliers: 0, coverage: 0, bovw: 0, evidence: 0 }), edges, edgeScore: m.score, box });
  }
}
