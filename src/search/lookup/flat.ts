import type { LocalFeatures } from '../../features/local/local-features.js';
import { flatFrame } from '../../imaging/flat-regions.js';
import type { RgbImage } from '../../imaging/types.js';
import { RequestWorker } from '../../workers/request-worker.js';
import { LayoutIndex, type LayoutMatch, type LayoutOptions } from './layouts.js';
import { OutlineIndex, type OutlineMatch, type OutlineOptions } from './outlines.js';
import { ShapeIndex, type ShapeMatch, type ShapeOptions } from './shapes.js';

/** A catalogue image's flat product as stored with its local features: a colour layout, a shape, a line drawing (any of them). */
export interface FlatProduct {
  key: number;
  layout?: NonNullable<LocalFeatures['layout']>;
  shape?: NonNullable<LocalFeatures['shape']>;
  outline?: NonNullable<LocalFeatures['outline']>;
}

/** How flat products are looked for in a photo: the LookupOptions of these names. */
export interface FlatOptions {
  layouts: LayoutOptions;
  shapes: ShapeOptions;
  outlines: OutlineOptions;
  maxRotation: number;
}

/** The flat products found in a photo, each kind best first. */
export interface FlatMatches {
  layouts: LayoutMatch[];
  shapes: ShapeMatch[];
  outlines: OutlineMatch[];
}

/**
 * The catalogue's flat products: rectangles by their colour layout (layouts.ts), drawings by their
 * shape (shapes.ts), coloured line drawings by their strokes (outlines.ts), looked for in a photo
 * on its flat frame, made once per size.
 */
export class FlatIndex {
  readonly layouts = new LayoutIndex();
  readonly shapes = new ShapeIndex();
  readonly outlines = new OutlineIndex();

  constructor(readonly products: readonly FlatProduct[] = []) {
    for (const p of products) {
      if (p.layout) this.layouts.add(p.key, p.layout);
      if (p.shape) this.shapes.add(p.key, p.shape);
      if (p.outline) this.outlines.add(p.key, p.outline);
    }
  }

  get memoryBytes(): number {
    return this.layouts.memoryBytes + this.shapes.memoryBytes + this.outlines.memoryBytes;
  }

  /** Whether any kind of flat product can be found with these options (`minFit` above 1 turns a kind off). */
  searchable(o: FlatOptions): boolean {
    const on = this.kinds(o);
    return on.layouts || on.shapes || on.outlines;
  }

  async match(photo: RgbImage, o: FlatOptions, accept?: (key: number) => boolean): Promise<FlatMatches> {
    const on = this.kinds(o);
    const frames = new Map<number, Promise<RgbImage>>();
    const frame = (side: number): Promise<RgbImage> => frames.get(side) ?? frames.set(side, flatFrame(photo, side)).get(side)!;
    return {
      layouts: on.layouts ? this.layouts.matchFrame(await frame(o.layouts.side), o.layouts, accept) : [],
      shapes: on.shapes ? this.shapes.matchFrame(await frame(o.shapes.side), o.shapes, o.maxRotation, accept) : [],
      outlines: on.outlines ? this.outlines.match(photo, o.outlines, o.maxRotation, accept) : [],
    };
  }

  /** The kinds looked for: those with products in the index and not turned off (`minFit` above 1). */
  private kinds(o: FlatOptions): Record<keyof FlatMatches, boolean> {
    return { layouts: this.layouts.size > 0 && o.layouts.minFit <= 1, shapes: this.shapes.size > 0 && o.shapes.minFit <= 1, outlines: this.outlines.size > 0 && o.outlines.minFit <= 1 };
  }
}

/** @internal Messages between FlatWorker and flat.worker.ts. */
export type FlatRequest =
  | { type: 'index'; indexId: number; products: readonly FlatProduct[] }
  | { type: 'match'; id: number; indexId: number; data: Uint8Array; width: number; height: number; options: FlatOptions; keys: Int32Array | null };

/**
 * Flat products looked for on the second core: a worker thread holds a copy of the catalogue's
 * FlatIndex (sent once per index) and matches a photo there while the calling thread does other
 * work (the keypoints' second look at parts of the photo). The matches are the same as
 * FlatIndex.match here; a filter (`accept`) is sent as the accepted keys. If the worker fails, the
 * work is done here.
 */
export class FlatWorker {
  private readonly worker = new RequestWorker<Omit<Extract<FlatRequest, { type: 'match' }>, 'id'>, FlatMatches>(import.meta.url, 'flat.worker');
  private sent: FlatIndex | null = null;
  private indexId = 0;

  /** Bytes of the index copy the worker holds (the same as the index's here), 0 before one is sent. */
  get memoryBytes(): number {
    return this.sent?.memoryBytes ?? 0;
  }

  async match(index: FlatIndex, photo: RgbImage, o: FlatOptions, accept?: (key: number) => boolean): Promise<FlatMatches> {
    try {
      if (this.sent !== index) {
        const indexId = this.indexId + 1;
        if (!this.worker.post({ type: 'index', indexId, products: index.products } satisfies FlatRequest)) throw new Error('flat worker unavailable');
        [this.sent, this.indexId] = [index, indexId];
      }
      const keys = accept ? Int32Array.from(index.products.map((p) => p.key).filter(accept)) : null;
      const { layouts, shapes, outlines } = await this.worker.request({ type: 'match', indexId: this.indexId, data: new Uint8Array(photo.data), width: photo.width, height: photo.height, options: o, keys });
      return { layouts, shapes, outlines };
    } catch {
      // The worker is unavailable: matched here, where an error is the photo's own.
      return index.match(photo, o, accept);
    }
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
