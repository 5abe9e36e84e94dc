/**
 * Ingest benchmark: images/s for the full default pipeline (the real IngestService through
 * openShoplens: read → sha256 → decode → features → display JPEG → SQLite → HNSW → save) on N
 * generated 640×480 JPEGs, next to the floor measured on the same files in the same run:
 * sharp decode + resize to fit 512×512 alone, at the same concurrency as ingest.
 *
 * Both are warmed up first: the floor by one untimed run, ingest by a few other images through the
 * same instance (start-up of the extraction worker threads is a one-time cost, not a per-image one).
 *
 *   npx tsx bench/ingest/ingest.bench.ts [--quick] [--n 400] [--concurrency C] [--extract-threads T] [--no-warm-up]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../../src/config/config.js';
import { mapPool } from '../../src/ingest/map-pool.js';
import { openShoplens } from '../../src/main.js';
import { log, machineInfo, parseArgs, round, writeResult } from '../lib/common.js';
import { writeCatalog } from '../lib/images.js';

const TARGET_RATIO = 0.5;
const WARM_UP_IMAGES = 8;

async function main(): Promise<void> {
  const args = parseArgs();
  const nArg = args.rest.indexOf('--n');
  const n = nArg >= 0 ? Number(args.rest[nArg + 1]) : args.quick ? 120 : 500;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoplens-bench-ingest-'));
  try {
    log('ingest', `generating ${n} JPEGs 640×480 in ${dir}`);
    const { csv, files } = await writeCatalog(dir, n);
    const flag = (name: string): number | undefined => {
      const i = args.rest.indexOf(name);
      return i >= 0 ? Number(args.rest[i + 1]) : undefined;
    };
    // Config defaults unless overridden here (environment variables are deliberately ignored).
    const config = loadConfig({
      dataDir: path.join(dir, 'data'), ingestConcurrency: flag('--concurrency'), extractThreads: flag('--extract-threads'),
    }, {});
    const concurrency = config.ingestConcurrency;

    // Floor: decode + resize only, same files, same concurrency (sharp's own thread pool underneath).
    // CPU time of the whole process (all threads: main, workers, libvips) per image: on this shared
    // machine wall-clock rates move with other load, CPU per image much less.
    const cpuMs = (since: NodeJS.CpuUsage): number => {
      const u = process.cpuUsage(since);
      return (u.user + u.system) / 1000;
    };
    const floorCpu: number[] = [];
    const floorRun = async (): Promise<number> => {
      const t = performance.now();
      const c = process.cpuUsage();
      await mapPool(files, concurrency, async (f) => {
        await sharp(f).rotate().resize(512, 512, { fit: 'inside', withoutEnlargement: true }).removeAlpha().raw().toBuffer();
      });
      floorCpu.push(cpuMs(c) / n);
      return n / ((performance.now() - t) / 1000);
    };
    await floorRun(); // warm-up (page cache, sharp init)
    const floor = await floorRun();
    log('ingest', `floor (sharp decode+resize 512): ${floor.toFixed(1)} images/s`);

    const shoplens = await openShoplens(config);
    let report;
    let ingestCpuMsPerImage = NaN;
    let warmUp: { images: number; seconds: number; cpuMs: number } | null = null;
    try {
      // Warm-up, like the floor's first run: a few other images through the same instance first, so
      // one-time start-up (the extraction worker threads compile their modules: ~1 s of CPU under
      // tsx, ~2 ms per image of a 500-image run) is not counted per image. --no-warm-up counts it.
      if (!args.rest.includes('--no-warm-up')) {
        const warm = await writeCatalog(path.join(dir, 'warm-up'), WARM_UP_IMAGES, 1_000_000);
        writeFileSync(warm.csv, readFileSync(warm.csv, 'utf8').replace(/^p(\d+),/gm, 'warm-up-$1,')); // ids of their own
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const r = await shoplens.ingest.ingest(warm.csv);
        warmUp = { images: r.imagesAnalysed, seconds: round((performance.now() - t0) / 1000, 2), cpuMs: round(cpuMs(c0), 0) };
        log('ingest', `warm-up: ${r.imagesAnalysed} other images in ${warmUp.seconds} s, ${warmUp.cpuMs} ms CPU (not counted)`);
      }
      const t = performance.now();
      const c = process.cpuUsage();
      report = await shoplens.ingest.ingest(csv, {
        onProgress: (p) => {
          if (p.phase === 'analysing' && p.processed % 128 === 0) log('ingest', `${p.processed}/${n}`);
        },
      });
      const wall = (performance.now() - t) / 1000;
      ingestCpuMsPerImage = cpuMs(c) / Math.max(1, report.imagesAnalysed);
      log('ingest', `ingest: ${report.imagesAnalysed} images in ${wall.toFixed(1)} s = ${report.imagesPerSecond.toFixed(1)} images/s, failed ${report.failed.length}`);
    } finally {
      await shoplens.close();
    }
    const floor2 = await floorRun();
    log('ingest', `floor again after ingest: ${floor2.toFixed(1)} images/s`);
    const floorMean = (floor + floor2) / 2;
    const ratio = report.imagesPerSecond / floorMean;
    writeResult('ingest', args.quick, {
      name: 'ingest', quick: args.quick, machine: machineInfo(),
      setup: {
        images: n, size: '640×480 JPEG q85, generated (gradient background, striped/checked blob, noise)',
        pipeline: 'IngestService via openShoplens(loadConfig()) on a CSV catalog: read, sha256, decode (≤512), default features, display JPEG, SQLite write, HNSW insert, index save',
        floor: 'sharp(file).rotate().resize(512,512,{fit:inside}).raw().toBuffer(), same files, same concurrency; measured before and after ingest, mean used',
        concurrency, extractThreads: config.extractThreads, extractor: shoplens.extractor.identity.name, indexKind: config.indexKind,
        warmUp: warmUp ? `${warmUp.images} other images ingested into the same instance before timing (${warmUp.seconds} s, ${warmUp.cpuMs} ms CPU: mostly starting the extraction worker threads)` : 'none (--no-warm-up): start-up counted',
      },
      ingest: {
        imagesAnalysed: report.imagesAnalysed, failed: report.failed.length, seconds: round(report.durationMs / 1000, 2),
        imagesPerSecond: round(report.imagesPerSecond, 1), msPerImage: round(1000 / report.imagesPerSecond, 1),
      },
      floor: { imagesPerSecondBefore: round(floor, 1), imagesPerSecondAfter: round(floor2, 1), imagesPerSecond: round(floorMean, 1) },
      ratio: round(ratio, 3),
      cpu: {
        how: 'process.cpuUsage() (user + system, all threads of the process) per image',
        ingestMsPerImage: round(ingestCpuMsPerImage, 2),
        floorMsPerImage: round((floorCpu[1]! + floorCpu[2]!) / 2, 2),
        floorToIngestRatio: round((floorCpu[1]! + floorCpu[2]!) / 2 / ingestCpuMsPerImage, 3),
      },
      target: { ratio: TARGET_RATIO, met: ratio >= TARGET_RATIO },
    });
    log('ingest', `ratio ingest/floor = ${ratio.toFixed(3)} (target ≥ ${TARGET_RATIO}); CPU per image: ingest ${ingestCpuMsPerImage.toFixed(1)} ms, floor ${((floorCpu[1]! + floorCpu[2]!) / 2).toFixed(1)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
