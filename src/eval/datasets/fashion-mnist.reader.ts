import { existsSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../domain/errors.js';
import { readIdxFile, type IdxArray } from './idx.reader.js';

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/** One split: `count` grey images of rows×cols (row-major, 0 = background), and their class labels. */
export interface LabelledImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

export interface FashionMnist {
  dir: string;
  train: LabelledImages;
  test: LabelledImages;
}

const FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

const INSTALL_HINT = 'install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu) or pass --dir with the four IDX files from https://github.com/zalandoresearch/fashion-mnist';

/** The file for `base` in dir: the gzip'd name first (as shipped), then the plain one. */
function locate(dir: string, base: string): string | undefined {
  for (const name of [`${base}.gz`, base]) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

function asImages(images: IdxArray, labels: IdxArray, file: string): LabelledImages {
  if (images.shape.length !== 3) throw new AppError('INVALID_PARAMETER', `${file}: expected a 3-d image array, got shape [${images.shape.join(', ')}]`, { details: { file } });
  if (labels.shape.length !== 1) throw new AppError('INVALID_PARAMETER', `${file}: expected a 1-d label array, got shape [${labels.shape.join(', ')}]`, { details: { file } });
  const [count, rows, cols] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) {
    throw new AppError('INVALID_PARAMETER', `${file}: ${count} images but ${labels.shape[0]} labels`, { details: { file } });
  }
  return { count, rows, cols, pixels: images.data, labels: labels.data };
}

async function readSplit(dir: string, split: keyof typeof FILES): Promise<LabelledImages> {
  const imagesFile = locate(dir, FILES[split].images);
  const labelsFile = locate(dir, FILES[split].labels);
  if (!imagesFile || !labelsFile) {
    const missing = [imagesFile ? undefined : FILES[split].images, labelsFile ? undefined : FILES[split].labels].filter(Boolean);
    throw new AppError('DATASET_NOT_FOUND', `Fashion-MNIST not found in ${dir} (missing ${missing.join(', ')}[.gz]): ${INSTALL_HINT}`, {
      details: { dataset: 'fashion-mnist', dir, missing },
    });
  }
  const [images, labels] = await Promise.all([readIdxFile(imagesFile), readIdxFile(labelsFile)]);
  return asImages(images, labels, imagesFile);
}

/**
 * Reads Fashion-MNIST (train = 60,000 and test = 10,000 images of 28×28 in the real dataset) from
 * `dir`, gzip'd or not. Throws DATASET_NOT_FOUND, with the install command, when files are missing.
 */
export async function readFashionMnist(dir: string = DEFAULT_FASHION_MNIST_DIR): Promise<FashionMnist> {
  const [train, test] = await Promise.all([readSplit(dir, 'train'), readSplit(dir, 'test')]);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new AppError('INVALID_PARAMETER', `Fashion-MNIST in ${dir}: train images are ${train.rows}×${train.cols} but test images ${test.rows}×${test.cols}`, { details: { dir } });
  }
  return { dir, train, test };
}

/** The first n images of a split (n ≥ count returns the split itself). */
export function takeFirst(split: LabelledImages, n: number): LabelledImages {
  if (n >= split.count) return split;
  const size = split.rows * split.cols;
  return { ...split, count: n, pixels: split.pixels.subarray(0, n * size), labels: split.labels.subarray(0, n) };
}
