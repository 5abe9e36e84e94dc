interface PriceFormat {
  fmt: Intl.NumberFormat;
  /** Appended when the catalog's currency is not an ISO 4217 code Intl understands ("euro", "$"). */
  suffix: string;
}

const priceFormats = new Map<string, PriceFormat>();

function priceFormat(currency: string | null): PriceFormat {
  const key = currency ?? '';
  let pf = priceFormats.get(key);
  if (!pf) {
    const plain = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    try {
      pf = currency
        ? { fmt: new Intl.NumberFormat(undefined, { style: 'currency', currency }), suffix: '' }
        : { fmt: plain, suffix: '' };
    } catch {
      pf = { fmt: plain, suffix: ` ${currency}` };
    }
    priceFormats.set(key, pf);
  }
  return pf;
}

/** "€49.90" for a valid currency code, "49.90" without one; null when there is no price. */
export function formatPrice(price: number | null, currency: string | null): string | null {
  if (price === null || !Number.isFinite(price)) return null;
  const { fmt, suffix } = priceFormat(currency);
  return fmt.format(price) + suffix;
}

/** Cosine similarity in [-1, 1] shown as a percentage a shopper can read ("93% match"). */
export function formatScore(score: number): string {
  const pct = Math.round(Math.min(1, Math.max(0, score)) * 100);
  return `${pct}% match`;
}

export function formatCount(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
