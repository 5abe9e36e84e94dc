import { readFile, rename, writeFile } from 'node:fs/promises';
import { calibrationIdentity, LineIndex, templatesId, type CollageSource, type LineCalibration, type LineOptions } from './lines.js';

/** A catalogue image's edge templates (LocalFeatures.line with at least one template). */
export interface TemplatedImage {
  sha256: string;
  /** templatesId of the blob. */
  id: string;
  /** The blob, when the image has no calibration yet (a copy: the stored row is not kept). */
  line?: Uint8Array;
}

interface StoredCalibrations {
  identity: string;
  products: Record<string, [number, number]>;
}

/**
 * The catalogue's edge-template calibrations (lines.ts: LineCalibration), stored in a JSON file in
 * the data directory by the templates' id, so an image's calibration is made once, at the ingest
 * that gives it templates, and an image whose templates change is calibrated again. A file made
 * with other options (calibrationIdentity), or unreadable, is made again.
 */
export class LineCalibrations {
  private constructor(
    private readonly file: string,
    private readonly identity: string,
    private readonly byId: Map<string, LineCalibration>,
  ) {}

  static async open(file: string, o: LineOptions): Promise<LineCalibrations> {
    const identity = calibrationIdentity(o);
    const byId = new Map<string, LineCalibration>();
    try {
      const stored = JSON.parse(await readFile(file, 'utf8')) as StoredCalibrations;
      if (stored.identity === identity) {
        for (const [id, [mean, sd]] of Object.entries(stored.products)) if (Number.isFinite(mean) && Number.isFinite(sd)) byId.set(id, { mean, sd });
      }
    } catch {
      // missing or corrupt: the next ingest calibrates every product again
    }
    return new LineCalibrations(file, identity, byId);
  }

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  of(line: Uint8Array): LineCalibration | undefined {
    return this.byId.get(templatesId(line));
  }

  /**
   * Calibrates the images among `images` that have none (their templates against collages of
   * `sources`' products), forgets those of images no longer listed, and stores the file when
   * anything changed. Returns how many were calibrated.
   */
  async update(images: readonly TemplatedImage[], sources: () => Promise<CollageSource[]>, o: LineOptions, onProgress?: (done: number, total: number) => void): Promise<number> {
    const listed = new Set(images.map((i) => i.id));
    let changed = false;
    for (const id of this.byId.keys()) if (!listed.has(id)) changed = this.byId.delete(id) || changed;
    const missing = [...new Map(images.filter((i) => i.line && !this.byId.has(i.id)).map((i) => [i.id, i.line!])).entries()];
    let calibrated = 0;
    const collaged = missing.length > 0 ? await sources() : [];
    if (collaged.length > 0) {
      const index = new LineIndex(missing.map(([, line], key) => ({ key, line })), o);
      const found = await index.calibrate(collaged, o, onProgress);
      for (const [key, c] of found) {
        this.byId.set(missing[key]![0], c);
        calibrated++;
      }
      changed ||= calibrated > 0;
    }
    if (changed) await this.save();
    return calibrated;
  }

  private async save(): Promise<void> {
    const stored: StoredCalibrations = { identity: this.identity, products: Object.fromEntries([...this.byId].map(([id, c]) => [id, [round(c.mean), round(c.sd)]])) };
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, JSON.stringify(stored));
    await rename(tmp, this.file);
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
