import type { Command } from 'commander';
import type { SearchFilter, SearchResult } from '../domain/search.js';
import { toMatchDTO } from '../http/dto.js';
import { exactMatchOf, type LookupSearchHit } from '../search/search.service.js';
import { loadImageBytes } from '../ingest/image-source.js';
import type { FractionBox } from '../imaging/subject.js';
import { configFrom, parseK, parseList, parseNumberOption, reportError, withShoplens, type CliIO, type CommonOptions } from './context.js';

export interface RankFlags extends CommonOptions {
  k?: string;
  category?: string;
  brand?: string;
  priceMin?: string;
  priceMax?: string;
  exclude?: string;
  notLike?: string;
}

/** Adds the filter/exclusion flags shared by `search` and `similar`. */
export function withRankOptions(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'data directory (default ./shoplens-data or $SHOPLENS_DATA)')
    .option('--k <n>', 'number of products to return', '10')
    .option('--category <list>', 'only these categories (comma-separated)')
    .option('--brand <list>', 'only these brands (comma-separated)')
    .option('--price-min <n>', 'minimum price')
    .option('--price-max <n>', 'maximum price')
    .option('--exclude <ids>', 'product ids to leave out (comma-separated)')
    .option('--not-like <ids>', 'product ids "not like this" (comma-separated)')
    .option('--json', 'print JSON');
}

export function filterFromFlags(flags: RankFlags): SearchFilter {
  const filter: SearchFilter = {};
  const category = parseList(flags.category);
  const brand = parseList(flags.brand);
  const priceMin = parseNumberOption('price-min', flags.priceMin);
  const priceMax = parseNumberOption('price-max', flags.priceMax);
  if (category) filter.category = category;
  if (brand) filter.brand = brand;
  if (priceMin !== undefined) filter.priceMin = priceMin;
  if (priceMax !== undefined) filter.priceMax = priceMax;
  return filter;
}

/**
 * Prints a result list as a table or JSON. With product lookup, each hit may carry its `match`
 * (exact or not, where in the photo) and the list its `exactMatch`, as in the HTTP API.
 */
export function printResults(result: SearchResult & { subject?: FractionBox }, flags: RankFlags, io: CliIO): void {
  const hits = result.hits as LookupSearchHit[];
  const exactMatch = exactMatchOf(hits);
  const results = hits.map((h) => ({
    id: h.product.id,
    score: Math.round(h.score * 1e6) / 1e6,
    title: h.product.title,
    brand: h.product.brand,
    category: h.product.category,
    price: h.product.price,
    currency: h.product.currency,
    image: h.matchedImage.source,
    ...(h.match ? { match: toMatchDTO(h.match) } : {}),
  }));
  const lookupRan = results.some((r) => r.match !== undefined);
  if (flags.json) {
    io.out(`${JSON.stringify({ results, ...(lookupRan ? { exactMatch } : {}), ...(result.subject ? { subject: result.subject } : {}), tookMs: Math.round(result.tookMs * 100) / 100 })}\n`);
    return;
  }
  if (results.length === 0) {
    io.out('no matching products\n');
    return;
  }
  const rows = results.map((r, i) => [
    String(i + 1), r.score.toFixed(3), r.id, r.title, r.brand ?? '', r.category ?? '', r.price === null ? '' : `${r.price} ${r.currency ?? ''}`.trim(),
  ]);
  const header = ['#', 'score', 'id', 'title', 'brand', 'category', 'price'];
  const widths = header.map((h, c) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[c]!.length))));
  const line = (cells: string[]) => cells.map((cell, c) => cell.slice(0, widths[c]).padEnd(widths[c]!)).join('  ').trimEnd();
  const subject = result.subject ? `; searched the photo's main subject at ${where(result.subject)}` : '';
  const box = results[0]?.match?.box;
  const exact = exactMatch ? `exact match: ${exactMatch}${box ? `, in the photo at ${where(box)}` : ''}\n` : '';
  io.out(`${[line(header), ...rows.map(line)].join('\n')}\n${exact}(${result.tookMs.toFixed(1)} ms${subject})\n`);
}

export function registerSearch(program: Command, io: CliIO, setExit: (code: number) => void): void {
  withRankOptions(
    program
      .command('search')
      .description('find products that look like an image (a file path or an http(s) URL), or match a --text description')
      .argument('[image]', 'image file or URL')
      .option('--text <query>', 'search by a text description (needs an extractor with a text tower, e.g. onnx:clip-vit-b32)'),
  ).action(async (image: string | undefined, flags: RankFlags & { text?: string }, cmd: Command) => {
    if ((image === undefined) === (flags.text === undefined)) {
      // A usage error (exit 64), like a missing argument.
      cmd.error('error: give an image (file or URL) or --text "<description>", not both', { exitCode: 64, code: 'shoplens.usage' });
    }
    try {
      const config = configFrom(flags);
      const result = await withShoplens(config, io, async (s) => {
        const options = {
          k: parseK(flags.k, 10),
          filter: filterFromFlags(flags),
          excludeIds: parseList(flags.exclude) ?? [],
          notLikeIds: parseList(flags.notLike) ?? [],
        };
        if (flags.text !== undefined) return s.search.searchByText(flags.text, options);
        // The CLI user is the operator: local paths and intranet URLs are fine here.
        const bytes = await loadImageBytes(image!, { maxBytes: config.maxImageBytes, timeoutMs: config.fetchTimeoutMs, allowPrivate: true });
        return s.search.searchByImage(bytes, options);
      });
      printResults(result, flags, io);
      setExit(0);
    } catch (err) {
      setExit(reportError(err, io, Boolean(flags.json)));
    }
  });
}

/** Where a box lies in the photo, in whole percentages: "x 58%, y 43%, 31% × 19%". */
function where(box: FractionBox): string {
  const pct = (v: number): string => `${Math.round(v * 100)}%`;
  return `x ${pct(box.x)}, y ${pct(box.y)}, ${pct(box.width)} × ${pct(box.height)}`;
}
