import { seededRandom } from '../../src/eval/random.js';
import type { Rgb } from './flags.js';

/**
 * Flat drawings that are not rectangles, as colour functions of (u, v) in [0, 1]² (null where the
 * background shows through), for flagImage: smooth outlines and few corners, like the lookup
 * benchmark's CDs, clocks and arrows.
 */

const radius = (u: number, v: number): number => Math.hypot(u - 0.5, v - 0.5);

/** A disc of two rings around a hole (a CD): outer ring `outer`, inner ring `inner`. */
export function disc(outer: Rgb, inner: Rgb): (u: number, v: number) => Rgb | null {
  return (u, v) => {
    const r = radius(u, v);
    return r >= 0.48 || r < 0.1 ? null : r >= 0.3 ? outer : inner;
  };
}

/** An arrow pointing right: a shaft with a dark stripe, and a triangular head. */
export function arrow(fill: Rgb, stripe: Rgb): (u: number, v: number) => Rgb | null {
  return (u, v) => {
    if (u > 0.05 && u < 0.6 && Math.abs(v - 0.5) < 0.12) return Math.abs(v - 0.5) < 0.04 ? stripe : fill;
    if (u >= 0.6 && u < 0.95 && Math.abs(v - 0.5) < (0.95 - u) * 1.1) return fill;
    return null;
  };
}

/** A pear: a tall oval with a lighter patch and a stem. */
export function pear(body: Rgb, light: Rgb, stem: Rgb): (u: number, v: number) => Rgb | null {
  return (u, v) => {
    if (Math.abs(u - 0.5) < 0.03 && v > 0.05 && v < 0.2) return stem;
    const e = ((u - 0.5) / 0.32) ** 2 + ((v - 0.58) / 0.4) ** 2;
    if (e >= 1) return null;
    return ((u - 0.4) / 0.1) ** 2 + ((v - 0.45) / 0.15) ** 2 < 1 ? light : body;
  };
}

/** An arrow like `arrow`, filled with a gradient from `from` (tail) to `to` (head), inside `outline` when given. */
export function gradientArrow(from: Rgb, to: Rgb, outline?: Rgb): (u: number, v: number) => Rgb | null {
  const inShape = (u: number, v: number, inset: number): boolean =>
    (u > 0.05 + inset && u < 0.6 && Math.abs(v - 0.5) < 0.12 - inset) || (u >= 0.6 - inset && u < 0.95 - 1.5 * inset && Math.abs(v - 0.5) < (0.95 - u) * 1.1 - inset);
  return (u, v) => {
    if (!inShape(u, v, 0)) return null;
    if (outline && !inShape(u, v, 0.02)) return outline;
    const t = Math.min(1, Math.max(0, (u - 0.05) / 0.9));
    return [from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t, from[2] + (to[2] - from[2]) * t];
  };
}

/** The arrow's shape (as `arrow`), drawn as its outline only: a stroke `width` wide (of the drawing's side) in `stroke`, the inside showing through. */
export function outlinedArrow(stroke: Rgb, width = 0.015): (u: number, v: number) => Rgb | null {
  const inShape = (u: number, v: number, inset: number): boolean =>
    (u > 0.05 + inset && u < 0.6 && Math.abs(v - 0.5) < 0.12 - inset) || (u >= 0.6 - inset && u < 0.95 - 1.5 * inset && Math.abs(v - 0.5) < (0.95 - u) * 1.1 - inset);
  return (u, v) => (inShape(u, v, 0) && !inShape(u, v, width) ? stroke : null);
}

/** A ring: a circle's outline `width` wide in `stroke`. */
export function ring(stroke: Rgb, width = 0.015): (u: number, v: number) => Rgb | null {
  return (u, v) => {
    const r = radius(u, v);
    return r < 0.48 && r >= 0.48 - width ? stroke : null;
  };
}

/** Part of outlinedArrow: its strokes right of u = `from` only (the head and the shaft's end), a drawing of its own. */
export function arrowHeadOutline(stroke: Rgb, from = 0.45, width = 0.015): (u: number, v: number) => Rgb | null {
  const whole = outlinedArrow(stroke, width);
  return (u, v) => (u >= from ? whole(u, v) : null);
}

/**
 * A label (a rounded square of `paper`) printed with small marks in `mark` (squares, triangles and
 * bars at places drawn from `seed`). Marks of the paper's luma (a yellow on grey) have their
 * corners on the yellow–blue channel only.
 */
export function printedLabel(mark: Rgb, paper: Rgb, seed: number): (u: number, v: number) => Rgb | null {
  const r = seededRandom(seed);
  const marks = Array.from({ length: 14 }, () => ({ x: 0.12 + r() * 0.66, y: 0.12 + r() * 0.66, s: 0.05 + r() * 0.08, kind: Math.floor(r() * 3) }));
  return (u, v) => {
    const dx = Math.max(0, Math.abs(u - 0.5) - 0.4), dy = Math.max(0, Math.abs(v - 0.5) - 0.4);
    if (Math.hypot(dx, dy) > 0.06) return null;
    for (const m of marks) {
      const a = (u - m.x) / m.s, b = (v - m.y) / m.s;
      if (a < 0 || a >= 1 || b < 0 || b >= 1) continue;
      if (m.kind === 0 || (m.kind === 1 && a < b) || (m.kind === 2 && b > 0.3 && b < 0.6)) return mark;
    }
    return paper;
  };
}
