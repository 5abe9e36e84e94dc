import { getProduct, getSimilar, isAbort, type ProductDTO, type SearchResponse } from '../api.js';
import { emptyState, errorBox } from '../components/notice.js';
import { productCard, productImage, skeletonGrid } from '../components/product-card.js';
import { h, replaceChildren } from '../dom.js';
import { formatPrice } from '../format.js';

const SIMILAR_K = 12;

/** Mounts the product page for `id` into `root`; returns the function that unmounts it. */
export function mountProductPage(root: HTMLElement, id: string): () => void {
  const ctrl = new AbortController();
  const details = h('div', { class: 'product', 'aria-busy': 'true' }, h('div', { class: 'product-loading' }, skeletonGrid(1)));
  const similarBody = h('div', { class: 'similar-body' }, skeletonGrid(4));
  const similar = h(
    'section',
    { class: 'similar', 'aria-labelledby': 'similar-title', 'data-testid': 'similar-section', 'aria-live': 'polite' },
    h('h2', { id: 'similar-title', class: 'results-title' }, 'Similar items'),
    similarBody,
  );
  replaceChildren(root, h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/', class: 'back-link' }, '← Back to search')), details, similar);

  const load = (): void => {
    getProduct(id, ctrl.signal).then(
      (p) => {
        document.title = `${p.title} — shoplens`;
        renderProduct(details, p);
      },
      (err: unknown) => {
        if (isAbort(err)) return;
        details.setAttribute('aria-busy', 'false');
        replaceChildren(details, errorBox(err, 'product-error', load));
      },
    );
    getSimilar(id, SIMILAR_K, ctrl.signal).then(
      (res) => renderSimilar(similarBody, id, res),
      (err: unknown) => {
        if (isAbort(err)) return;
        replaceChildren(similarBody, errorBox(err, 'similar-error'));
      },
    );
  };
  load();

  return () => {
    ctrl.abort();
    document.title = 'shoplens — visual product search';
  };
}

function renderProduct(container: HTMLElement, p: ProductDTO): void {
  container.setAttribute('aria-busy', 'false');
  const main = h('div', { class: 'gallery-main' }, productImage(p.images[0], p.title, 'gallery-img'));
  const thumbs =
    p.images.length > 1
      ? h(
          'div',
          { class: 'thumbs', role: 'group', 'aria-label': 'Product photos' },
          ...p.images.map((img, i) => {
            const btn = h(
              'button',
              {
                type: 'button',
                class: 'thumb',
                'aria-label': `Photo ${i + 1} of ${p.images.length}`,
                'aria-pressed': String(i === 0),
                on: {
                  click: () => {
                    replaceChildren(main, productImage(img, p.title, 'gallery-img'));
                    for (const b of thumbs?.querySelectorAll('.thumb') ?? []) b.setAttribute('aria-pressed', 'false');
                    btn.setAttribute('aria-pressed', 'true');
                  },
                },
              },
              productImage(img, '', 'thumb-img'),
            );
            return btn;
          }),
        )
      : null;

  const price = formatPrice(p.price, p.currency);
  const attrs = Object.entries(p.attributes).filter(([, v]) => v !== '');
  replaceChildren(
    container,
    h('div', { class: 'gallery' }, main, thumbs),
    h(
      'div',
      { class: 'product-info' },
      p.brand ? h('p', { class: 'product-brand' }, p.brand) : null,
      h('h1', { class: 'product-title', 'data-testid': 'product-title' }, p.title),
      price ? h('p', { class: 'product-price' }, price) : null,
      h(
        'dl',
        { class: 'product-facts' },
        h('dt', {}, 'Category'),
        h('dd', {}, p.category ?? '—'),
        h('dt', {}, 'Product id'),
        h('dd', {}, h('code', {}, p.id)),
      ),
      attrs.length > 0
        ? h(
            'table',
            { class: 'attributes' },
            h('caption', {}, 'Details'),
            h('tbody', {}, ...attrs.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))),
          )
        : null,
    ),
  );
}

function renderSimilar(container: HTMLElement, selfId: string, res: SearchResponse): void {
  // The product itself is the best match for its own photos; it is not a useful suggestion.
  const hits = res.results.filter((hit) => hit.id !== selfId);
  if (hits.length === 0) {
    replaceChildren(container, emptyState('No similar items yet', 'Nothing else in the catalog looks like this product.'));
    return;
  }
  replaceChildren(container, h('div', { class: 'grid' }, ...hits.map((hit) => productCard(hit, { testId: 'result-card' }))));
}
