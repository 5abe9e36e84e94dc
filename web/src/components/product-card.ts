import type { HitDTO, ImageDTO, ProductDTO } from '../api.js';
import { h } from '../dom.js';
import { formatPrice, formatScore } from '../format.js';
import { productPath } from '../router.js';

export interface ProductCardOptions {
  /** Test id of the card: result cards and browse cards are told apart by tests and styles. */
  testId: 'result-card' | 'browse-card';
  /** Shows "Not like this" on the card; called with the product. */
  onNotLike?: (product: ProductDTO) => void;
}

export function productImage(image: ImageDTO | undefined, alt: string, className = 'product-img'): HTMLElement {
  if (!image) return h('div', { class: `${className} img-missing`, role: 'img', 'aria-label': `${alt} (no image)` });
  return h('img', {
    class: className,
    src: image.url,
    alt,
    width: image.width,
    height: image.height,
    loading: 'lazy',
    decoding: 'async',
  });
}

function isHit(p: ProductDTO | HitDTO): p is HitDTO {
  return 'score' in p && typeof p.score === 'number';
}

/** One product tile: the whole card links to the product page; "Not like this" sits outside the link. */
export function productCard(product: ProductDTO | HitDTO, options: ProductCardOptions): HTMLElement {
  const hit = isHit(product) ? product : null;
  // For a hit, show the image that matched: a product's second photo may be the one that looks alike.
  const image = hit?.matchedImage ?? product.images[0];
  const price = formatPrice(product.price, product.currency);
  const titleId = `card-${options.testId}-${product.id}`.replace(/[^\w-]/g, '_');

  const card = h(
    'article',
    { class: 'card', 'data-testid': options.testId, 'data-product-id': product.id, 'aria-labelledby': titleId },
    h(
      'a',
      { class: 'card-link', href: productPath(product.id) },
      h('div', { class: 'card-media' }, productImage(image, product.title)),
      h(
        'div',
        { class: 'card-body' },
        hit?.match?.exact
          ? h('p', { class: 'exact-badge', 'data-testid': 'exact-badge', title: 'Verified: this exact product is in your photo' }, '✓ Exact match')
          : hit?.match?.edges !== undefined
            ? h('p', { class: 'edges-badge', 'data-testid': 'edges-badge', title: 'Suggested by its outline: the shape of its edges is in your photo' }, 'Same outline')
            : null,
        h('h3', { class: 'card-title', id: titleId, 'data-testid': 'result-title' }, product.title),
        product.brand ? h('p', { class: 'card-brand' }, product.brand) : null,
        h(
          'p',
          { class: 'card-meta' },
          price ? h('span', { class: 'card-price' }, price) : h('span', { class: 'card-price muted' }, 'No price'),
          hit ? h('span', { class: scoreClass(hit.score), 'data-testid': 'result-score' }, formatScore(hit.score)) : null,
        ),
      ),
    ),
  );
  const onNotLike = options.onNotLike;
  if (onNotLike) {
    card.append(
      h(
        'button',
        {
          type: 'button',
          class: 'not-like',
          title: 'Hide this and search again for things less like it',
          'aria-label': `Not like this: ${product.title}`,
          on: { click: () => onNotLike(product) },
        },
        h('span', { 'aria-hidden': 'true' }, '⊘'),
        ' Not like this',
      ),
    );
  }
  return card;
}

function scoreClass(score: number): string {
  if (score >= 0.9) return 'score score-high';
  if (score >= 0.75) return 'score score-mid';
  return 'score score-low';
}

/** Grey placeholders shaped like cards while results load. */
export function skeletonGrid(count: number): HTMLElement {
  const grid = h('div', { class: 'grid', 'aria-hidden': 'true' });
  for (let i = 0; i < count; i++) {
    grid.append(
      h('div', { class: 'card skeleton' }, h('div', { class: 'card-media' }), h('div', { class: 'card-body' }, h('div', { class: 'sk-line' }), h('div', { class: 'sk-line short' }))),
    );
  }
  return grid;
}
