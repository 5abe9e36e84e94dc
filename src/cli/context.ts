import { loadConfig, type Config } from '../config/config.js';
import { AppError, isAppError } from '../domain/errors.js';
import { openShoplens, type Shoplens } from '../main.js';

/** Options every command accepts. */
export interface CommonOptions {
  data?: string;
  index?: string;
  json?: boolean;
}

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
}

export const processIO: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};

export function configFrom(options: CommonOptions, extra: Partial<Record<keyof Config, unknown>> = {}): Config {
  return loadConfig({ dataDir: options.data, indexKind: options.index, ...extra });
}

/** Opens shoplens for one command and always closes it (saving the index). */
export async function withShoplens<T>(config: Config, io: CliIO, fn: (s: Shoplens) => Promise<T>): Promise<T> {
  const shoplens = await openShoplens(config, {
    events: {
      onRebuild: ({ reason, vectors, ms }) => {
        if (vectors > 0) io.err(`index rebuilt from the catalog store (${reason}): ${vectors} vectors in ${ms.toFixed(0)} ms\n`);
      },
    },
  });
  try {
    return await fn(shoplens);
  } finally {
    await shoplens.close();
  }
}

/** Prints an error as one line (`code: message`) or as JSON, and returns the exit code. */
export function reportError(err: unknown, io: CliIO, json: boolean): number {
  const e = isAppError(err) ? err : new AppError('INTERNAL_ERROR', err instanceof Error ? err.message : String(err), { cause: err });
  if (json) io.out(`${JSON.stringify({ error: e.toJSON() })}\n`);
  else io.err(`error ${e.code}: ${e.message}\n`);
  if (!isAppError(err) && err instanceof Error && err.stack && process.env['SHOPLENS_DEBUG']) io.err(`${err.stack}\n`);
  return 1;
}

export function parseList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  return items.length > 0 ? items : undefined;
}

export function parseNumberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || value.trim() === '') throw new AppError('INVALID_PARAMETER', `--${name} must be a number, got "${value}"`);
  return n;
}

export function parseK(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const k = Number(value);
  if (!Number.isInteger(k) || k < 1 || k > 200) throw new AppError('INVALID_PARAMETER', `--k must be an integer from 1 to 200, got "${value}"`);
  return k;
}
