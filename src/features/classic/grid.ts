/** Spatial-pyramid cells shared by the histogram descriptors. */
export interface Cell {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export function gridCellCount(levels: readonly number[]): number {
  return levels.reduce((s, l) => s + l * l, 0);
}

/** Cells of each level in order: level 1 is the whole area, level 2 a 2×2 grid, … (row-major). */
export function gridCells(width: number, height: number, levels: readonly number[], inset = 0): Cell[] {
  const cells: Cell[] = [];
  const w = width - 2 * inset, h = height - 2 * inset;
  for (const l of levels) {
    for (let gy = 0; gy < l; gy++) {
      for (let gx = 0; gx < l; gx++) {
        cells.push({
          x0: inset + Math.floor((gx * w) / l),
          x1: inset + Math.floor(((gx + 1) * w) / l),
          y0: inset + Math.floor((gy * h) / l),
          y1: inset + Math.floor(((gy + 1) * h) / l),
        });
      }
    }
  }
  return cells;
}
