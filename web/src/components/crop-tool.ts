import type { FractionBox } from '../api.js';
import { h } from '../dom.js';

/** Smaller drags are taps or slips, not a selection (fraction of the image side). */
const MIN_CROP_SIDE = 0.04;

export interface CropTool {
  /** The element to place where the preview image was. */
  element: HTMLElement;
  /** Shows (or hides, with null) where a result was found in the photo. */
  showMatch(box: FractionBox | null): void;
  /** Draws the main subject the search described, of the photo or of the shopper's box (null: none). */
  showSubject(box: FractionBox | null): void;
  /** Draws the current crop (null: none). */
  setCrop(crop: FractionBox | null): void;
}

export interface CropToolOptions {
  src: string;
  alt: string;
  crop: FractionBox | null;
  /** Called when the shopper finishes drawing a selection. */
  onCrop: (crop: FractionBox) => void;
  /** Called when the image cannot be shown. */
  onError?: () => void;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

function place(el: HTMLElement, box: FractionBox): void {
  el.style.left = `${box.x * 100}%`;
  el.style.top = `${box.y * 100}%`;
  el.style.width = `${box.width * 100}%`;
  el.style.height = `${box.height * 100}%`;
}

/**
 * The query preview with a crop tool: drag a rectangle on the photo (mouse, pen or touch — pointer
 * events with capture, so a finger leaving the image still ends the drag) to search only that part.
 * Fractions of the displayed image are fractions of the photo: the preview keeps its aspect ratio.
 */
export function cropTool(options: CropToolOptions): CropTool {
  const img = h('img', { class: 'preview-img', src: options.src, alt: options.alt, draggable: 'false' });
  const cropRect = h('div', { class: 'crop-rect', 'data-testid': 'crop-rect', hidden: true });
  const matchRect = h('div', { class: 'match-box', 'data-testid': 'match-box', hidden: true, 'aria-hidden': 'true' });
  const subjectRect = h('div', { class: 'subject-box', 'data-testid': 'subject-box', hidden: true, 'aria-hidden': 'true' });
  const stage = h(
    'div',
    {
      class: 'crop-stage',
      'data-testid': 'crop-stage',
      title: 'Drag on the photo to search only part of it',
    },
    img,
    subjectRect,
    matchRect,
    cropRect,
  );
  img.addEventListener('error', () => options.onError?.());

  let start: { x: number; y: number } | null = null;
  let pointerId: number | null = null;
  let draft: FractionBox | null = null;

  function at(e: PointerEvent): { x: number; y: number } {
    const r = img.getBoundingClientRect();
    return { x: clamp01((e.clientX - r.left) / Math.max(1, r.width)), y: clamp01((e.clientY - r.top) / Math.max(1, r.height)) };
  }

  stage.addEventListener('pointerdown', (e) => {
    if (pointerId !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    e.stopPropagation();
    pointerId = e.pointerId;
    stage.setPointerCapture(e.pointerId);
    start = at(e);
    draft = null;
  });
  stage.addEventListener('pointermove', (e) => {
    if (e.pointerId !== pointerId || !start) return;
    const p = at(e);
    draft = { x: Math.min(start.x, p.x), y: Math.min(start.y, p.y), width: Math.abs(p.x - start.x), height: Math.abs(p.y - start.y) };
    cropRect.hidden = false;
    cropRect.classList.add('drafting');
    place(cropRect, draft);
  });
  const finish = (e: PointerEvent, cancelled: boolean) => {
    if (e.pointerId !== pointerId) return;
    pointerId = null;
    start = null;
    cropRect.classList.remove('drafting');
    const d = draft;
    draft = null;
    if (!cancelled && d && d.width >= MIN_CROP_SIDE && d.height >= MIN_CROP_SIDE) {
      options.onCrop({ x: d.x, y: d.y, width: Math.min(d.width, 1 - d.x), height: Math.min(d.height, 1 - d.y) });
    } else {
      api.setCrop(current);
    }
  };
  stage.addEventListener('pointerup', (e) => finish(e, false));
  stage.addEventListener('pointercancel', (e) => finish(e, true));
  // The preview sits inside the drop zone, whose click opens the file picker: a drag is not that click.
  stage.addEventListener('click', (e) => e.stopPropagation());

  let current = options.crop;
  const api: CropTool = {
    element: stage,
    showMatch(box) {
      matchRect.hidden = box === null;
      if (box) place(matchRect, box);
    },
    showSubject(box) {
      subjectRect.hidden = box === null;
      if (box) place(subjectRect, box);
    },
    setCrop(crop) {
      current = crop;
      cropRect.hidden = crop === null;
      if (crop) place(cropRect, crop);
    },
  };
  api.setCrop(options.crop);
  return api;
}
