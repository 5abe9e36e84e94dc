import {
  ApiError,
  getFacets,
  getTextSearchAvailable,
  isAbort,
  listProducts,
  searchByImage,
  type FacetCount,
  type FacetsDTO,
  type FractionBox,
  type HitDTO,
  type ProductDTO,
  type SearchFilter,
  type SearchQuery,
  type SearchResponse,
} from '../api.js';
import { cropTool, type CropTool } from '../components/crop-tool.js';
import { emptyState, errorBox } from '../components/notice.js';
import { productCard, skeletonGrid } from '../components/product-card.js';
import { h, replaceChildren, type Props } from '../dom.js';
import { formatCount } from '../format.js';

const K_CHOICES = [8, 12, 24, 48];
const BROWSE_PAGE = 24;
/** Phone photos above this are shrunk in the browser first: faster uploads, same search result. */
const DOWNSCALE_ABOVE_BYTES = 4 * 1024 * 1024;
const DOWNSCALE_MAX_SIDE = 2048;

interface Filters {
  category: Set<string>;
  brand: Set<string>;
  priceMin: number | undefined;
  priceMax: number | undefined;
  k: number;
}

type SearchStatus =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'done'; response: SearchResponse }
  | { status: 'error'; error: unknown };

interface BrowseState {
  /** The filter the items were loaded with: filters may change while a search is shown. */
  filterKey: string;
  items: ProductDTO[];
  total: number;
  loading: boolean;
  error: unknown;
}

/**
 * Page state lives at module level on purpose: going to a product page and back restores the
 * query, filters and results instead of starting over.
 */
const state = {
  query: null as SearchQuery | null,
  previewSrc: null as string | null,
  /** The part of the photo to search (fractions); null: the whole photo. */
  crop: null as FractionBox | null,
  filters: { category: new Set<string>(), brand: new Set<string>(), priceMin: undefined, priceMax: undefined, k: 12 } as Filters,
  notLike: new Map<string, string>(),
  search: { status: 'idle' } as SearchStatus,
  browse: { filterKey: '', items: [], total: 0, loading: false, error: null } as BrowseState,
};

function currentFilter(): SearchFilter {
  const f = state.filters;
  const filter: SearchFilter = {};
  if (f.category.size > 0) filter.category = [...f.category];
  if (f.brand.size > 0) filter.brand = [...f.brand];
  if (f.priceMin !== undefined) filter.priceMin = f.priceMin;
  if (f.priceMax !== undefined) filter.priceMax = f.priceMax;
  return filter;
}

function browseIsStale(): boolean {
  return state.browse.items.length === 0 || state.browse.filterKey !== JSON.stringify(currentFilter());
}

function activeFilterCount(): number {
  const f = state.filters;
  return f.category.size + f.brand.size + (f.priceMin !== undefined ? 1 : 0) + (f.priceMax !== undefined ? 1 : 0);
}

async function prepareUpload(file: File): Promise<File> {
  if (file.size <= DOWNSCALE_ABOVE_BYTES || !/^image\/(jpeg|png|webp)$/.test(file.type)) return file;
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(1, DOWNSCALE_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
    return blob ? new File([blob], file.name.replace(/\.\w+$/, '') + '.jpg', { type: 'image/jpeg' }) : file;
  } catch {
    // The browser cannot decode it: send the original and let the server say why.
    return file;
  }
}

function isTypingTarget(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

/** A one-line form (label, input, Search button) that hands the trimmed, non-empty value to `onValue`. */
function oneFieldForm(input: HTMLInputElement, label: string, props: Props, onValue: (value: string) => void): HTMLFormElement {
  return h(
    'form',
    {
      ...props,
      on: {
        submit: (e) => {
          e.preventDefault();
          const value = input.value.trim();
          if (value) onValue(value);
        },
      },
    },
    h('label', { for: input.id, class: 'field-label' }, label),
    h('div', { class: 'url-row' }, input, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search')),
  );
}

function looksLikeUrl(text: string): boolean {
  return /^https?:\/\/\S+$/i.test(text.trim());
}

/** Mounts the search page into `root`; returns the function that unmounts it. */
export function mountSearchPage(root: HTMLElement): () => void {
  let searchAbort: AbortController | null = null;
  let browseAbort: AbortController | null = null;
  let facets: FacetsDTO | null = null;
  let facetsError: unknown = null;
  /** Set by a new query: its first answer is scrolled into view if it landed below the fold (phones). */
  let scrollToResults = false;
  /** The query preview with its crop tool, while a query is shown. */
  let preview: CropTool | null = null;

  // ---- query input: drop zone, file pickers, URL form -------------------------------------
  const fileInput = h('input', {
    type: 'file',
    id: 'file-input',
    class: 'visually-hidden',
    accept: 'image/*',
    'data-testid': 'file-input',
    'aria-label': 'Choose an image to search with',
    on: { change: () => onFileInput(fileInput) },
  });
  const cameraInput = h('input', {
    type: 'file',
    id: 'camera-input',
    class: 'visually-hidden',
    accept: 'image/*',
    capture: 'environment',
    'aria-label': 'Take a photo to search with',
    on: { change: () => onFileInput(cameraInput) },
  });

  const dropContent = h('div', { class: 'drop-content' });
  // Outside the drop zone: buttons must not nest inside its role=button.
  const previewBar = h('div', { class: 'preview-bar' });
  const dropZone = h(
    'div',
    {
      class: 'dropzone',
      role: 'button',
      tabindex: 0,
      'aria-label': 'Search by image: drop a photo here, paste one, or press Enter to choose a file',
      'aria-describedby': 'drop-hint',
      on: {
        click: () => fileInput.click(),
        keydown: (e) => {
          if (e.target === dropZone && (e.key === 'Enter' || e.key === ' ')) {
            e.preventDefault();
            fileInput.click();
          }
        },
      },
    },
    dropContent,
  );

  const urlInput = h('input', {
    type: 'url',
    id: 'url-input',
    name: 'url',
    inputmode: 'url',
    placeholder: 'https://example.com/photo.jpg',
    autocomplete: 'off',
    required: true,
  });
  const urlForm = oneFieldForm(urlInput, 'Or search with an image address', { class: 'url-form' }, (url) => setQuery({ kind: 'url', url }, url));

  const textInput = h('input', {
    type: 'search',
    id: 'text-input',
    name: 'text',
    placeholder: 'red running shoes',
    autocomplete: 'off',
    maxlength: 1000,
    required: true,
  });
  // Hidden until the server says its extractor has a text tower (CLIP-class models only).
  const textForm = oneFieldForm(
    textInput,
    'Or describe what you are looking for',
    { class: 'url-form text-form', 'data-testid': 'text-search', hidden: true },
    (text) => setQuery({ kind: 'text', text }, null),
  );

  const hero = h(
    'section',
    { class: 'hero', 'aria-labelledby': 'hero-title' },
    h('h1', { id: 'hero-title', class: 'hero-title' }, 'Search the catalog with a photo'),
    fileInput,
    cameraInput,
    dropZone,
    previewBar,
    h(
      'div',
      { class: 'hero-actions' },
      h('label', { for: 'camera-input', class: 'btn btn-secondary camera-btn' }, h('span', { class: 'camera-icon', 'aria-hidden': 'true' }), 'Take a photo'),
    ),
    urlForm,
    textForm,
  );

  // ---- filters ----------------------------------------------------------------------------
  const filterSummary = h('summary', { class: 'filters-summary' });
  const filterBody = h('div', { class: 'filters-body' });
  const filters = h('details', { class: 'filters' }, filterSummary, filterBody);
  // Open beside the results on wide screens; folded away above them on phones.
  filters.open = window.matchMedia('(min-width: 760px)').matches;

  // ---- results ----------------------------------------------------------------------------
  const resultsTitle = h('h2', { id: 'results-title', class: 'results-title' });
  const resultsMeta = h('p', { class: 'results-meta' });
  const chips = h('div', { class: 'chips', 'aria-label': 'Excluded products' });
  const resultsBody = h('div', { class: 'results-body' });
  const results = h(
    'section',
    { class: 'results', 'aria-labelledby': 'results-title', 'aria-live': 'polite' },
    h('div', { class: 'results-head' }, resultsTitle, resultsMeta),
    chips,
    resultsBody,
  );

  replaceChildren(root, hero, h('div', { class: 'layout' }, h('aside', { class: 'sidebar' }, filters), results));

  // ---- behaviour --------------------------------------------------------------------------
  function onFileInput(input: HTMLInputElement): void {
    const file = input.files?.[0];
    // Reset so choosing the same file again still fires `change`.
    input.value = '';
    if (file) void setFileQuery(file);
  }

  async function setFileQuery(file: File): Promise<void> {
    const prepared = await prepareUpload(file);
    setQuery({ kind: 'file', file: prepared }, URL.createObjectURL(prepared));
  }

  function setQuery(query: SearchQuery, previewSrc: string | null): void {
    if (state.previewSrc?.startsWith('blob:')) URL.revokeObjectURL(state.previewSrc);
    state.query = query;
    state.previewSrc = previewSrc;
    // A new picture is a new question: earlier "not like this" answers and the crop belong to the old one.
    state.notLike.clear();
    state.crop = null;
    urlInput.value = query.kind === 'url' ? query.url : '';
    textInput.value = query.kind === 'text' ? query.text : '';
    renderDrop();
    scrollToResults = true;
    void runSearch();
  }

  function clearQuery(): void {
    searchAbort?.abort();
    if (state.previewSrc?.startsWith('blob:')) URL.revokeObjectURL(state.previewSrc);
    state.query = null;
    state.previewSrc = null;
    state.notLike.clear();
    state.crop = null;
    state.search = { status: 'idle' };
    urlInput.value = '';
    textInput.value = '';
    renderDrop();
    renderResults();
    if (browseIsStale()) void loadBrowse(false);
  }

  async function runSearch(): Promise<void> {
    const query = state.query;
    if (!query) return;
    searchAbort?.abort();
    const ctrl = new AbortController();
    searchAbort = ctrl;
    state.search = { status: 'loading' };
    renderResults();
    try {
      const response = await searchByImage(
        query,
        { k: state.filters.k, filter: currentFilter(), notLikeIds: [...state.notLike.keys()], crop: state.crop },
        ctrl.signal,
      );
      if (ctrl.signal.aborted) return;
      state.search = { status: 'done', response };
    } catch (error) {
      if (isAbort(error) || ctrl.signal.aborted) return;
      state.search = { status: 'error', error };
    }
    renderResults();
    if (scrollToResults) {
      scrollToResults = false;
      if (results.getBoundingClientRect().top > window.innerHeight * 0.5) results.scrollIntoView({ behavior: 'smooth', block: 'start' });
    }
  }

  async function loadBrowse(more: boolean): Promise<void> {
    browseAbort?.abort();
    const ctrl = new AbortController();
    browseAbort = ctrl;
    state.browse.loading = true;
    state.browse.error = null;
    state.browse.filterKey = JSON.stringify(currentFilter());
    if (!more) state.browse.items = [];
    renderResults();
    try {
      const page = await listProducts({ offset: more ? state.browse.items.length : 0, limit: BROWSE_PAGE, filter: currentFilter() }, ctrl.signal);
      if (ctrl.signal.aborted) return;
      state.browse.items = more ? [...state.browse.items, ...page.items] : page.items;
      state.browse.total = page.total;
    } catch (error) {
      if (isAbort(error) || ctrl.signal.aborted) return;
      state.browse.error = error;
    }
    state.browse.loading = false;
    renderResults();
  }

  function onFiltersChanged(): void {
    renderFilterSummary();
    if (state.query) void runSearch();
    else void loadBrowse(false);
  }

  function notLike(product: ProductDTO): void {
    state.notLike.set(product.id, product.title);
    void runSearch();
  }

  function setCrop(crop: FractionBox | null): void {
    state.crop = crop;
    preview?.setCrop(crop);
    preview?.showMatch(null);
    preview?.showSubject(null);
    renderPreviewBar();
    void runSearch();
  }

  function removeNotLike(id: string | null): void {
    if (id === null) state.notLike.clear();
    else state.notLike.delete(id);
    void runSearch();
  }

  // ---- rendering --------------------------------------------------------------------------
  function renderDrop(): void {
    dropZone.classList.toggle('has-preview', state.previewSrc !== null);
    preview = null;
    if (state.previewSrc === null || state.query === null) {
      previewBar.hidden = true;
      previewBar.replaceChildren();
      replaceChildren(
        dropContent,
        h('span', { class: 'drop-icon', 'aria-hidden': 'true' }),
        h('p', { class: 'drop-title' }, h('span', { class: 'fine-only' }, 'Drop a photo here'), h('span', { class: 'coarse-only' }, 'Tap to choose a photo')),
        h(
          'p',
          { class: 'drop-hint fine-only', id: 'drop-hint' },
          'or ',
          h('span', { class: 'link-like' }, 'choose a file'),
          ' · paste with Ctrl+V',
        ),
      );
      return;
    }
    const name = queryName();
    const fallback = h('p', { class: 'preview-fallback', hidden: true }, 'No preview for ', h('strong', {}, name));
    const tool = cropTool({
      src: state.previewSrc,
      alt: `Your search image: ${name}`,
      crop: state.crop,
      onCrop: setCrop,
      onError: () => {
        tool.element.hidden = true;
        fallback.hidden = false;
      },
    });
    preview = tool;
    replaceChildren(dropContent, tool.element, fallback);
    renderPreviewBar();
    if (state.search.status === 'done') showMatchFor(null);
  }

  function queryName(): string {
    if (!state.query) return '';
    const q = state.query;
    return q.kind === 'file' ? q.file.name || 'Pasted image' : q.kind === 'url' ? q.url : `“${q.text}”`;
  }

  function renderPreviewBar(): void {
    if (!state.query) return;
    const name = queryName();
    previewBar.hidden = false;
    replaceChildren(
      previewBar,
      h('span', { class: 'preview-name', id: 'drop-hint', title: name }, name),
      state.crop
        ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'clear-crop', on: { click: () => setCrop(null) } }, 'Clear crop')
        : h('span', { class: 'crop-hint' }, 'Drag on the photo to search part of it'),
      h('button', { type: 'button', class: 'btn btn-small', 'aria-label': 'Change photo', on: { click: () => fileInput.click() } }, 'Change'),
      h('button', { type: 'button', class: 'btn btn-small', 'aria-label': 'Clear search', on: { click: clearQuery } }, 'Clear'),
    );
  }

  /**
   * Draws where a result was found in the photo: the hovered/focused result's box, else the top
   * result's when it is an exact match (so touch screens, without hover, still see it).
   */
  function showMatchFor(hit: HitDTO | null): void {
    if (!preview) return;
    const response = state.search.status === 'done' ? state.search.response : null;
    const top = response?.results[0];
    const chosen = hit ?? (top?.match?.exact ? top : null);
    const match = chosen?.match?.box ?? null;
    preview.showMatch(match);
    // What the search described: the main subject of the photo, or of the shopper's box.
    preview.showSubject(match === null ? (response?.subject ?? null) : null);
  }

  function facetGroup(legend: string, name: 'category' | 'brand', items: FacetCount[]): HTMLElement | null {
    if (items.length === 0) return null;
    const selected = state.filters[name];
    return h(
      'fieldset',
      { class: 'facet' },
      h('legend', {}, legend),
      h(
        'div',
        { class: 'facet-options' },
        ...items.map((item) =>
          h(
            'label',
            { class: 'check' },
            h('input', {
              type: 'checkbox',
              name,
              value: item.name,
              checked: selected.has(item.name),
              on: {
                change: (e) => {
                  const box = e.currentTarget as HTMLInputElement;
                  if (box.checked) selected.add(item.name);
                  else selected.delete(item.name);
                  onFiltersChanged();
                },
              },
            }),
            h('span', { class: 'check-name' }, item.name),
            h('span', { class: 'check-count' }, item.count),
          ),
        ),
      ),
    );
  }

  function priceInput(id: string, label: string, key: 'priceMin' | 'priceMax', placeholder: number | null): HTMLElement {
    const input = h('input', {
      type: 'number',
      id,
      min: 0,
      step: 'any',
      inputmode: 'decimal',
      placeholder: placeholder === null ? '' : String(placeholder),
      value: state.filters[key] ?? '',
      on: {
        change: () => {
          const v = input.value.trim() === '' ? undefined : Number(input.value);
          state.filters[key] = v !== undefined && Number.isFinite(v) ? v : undefined;
          onFiltersChanged();
        },
      },
    });
    return h('div', { class: 'field' }, h('label', { for: id, class: 'field-label' }, label), input);
  }

  function renderFilters(): void {
    renderFilterSummary();
    const kSelect = h(
      'select',
      {
        id: 'k-select',
        on: {
          change: () => {
            state.filters.k = Number(kSelect.value);
            if (state.query) void runSearch();
          },
        },
      },
      ...K_CHOICES.map((k) => h('option', { value: k, selected: k === state.filters.k }, k)),
    );
    replaceChildren(
      filterBody,
      facetsError ? errorBox(facetsError, 'facets-error') : null,
      facets ? facetGroup('Category', 'category', facets.categories) : null,
      facets ? facetGroup('Brand', 'brand', facets.brands) : null,
      h(
        'fieldset',
        { class: 'facet' },
        h('legend', {}, 'Price'),
        h('div', { class: 'price-row' }, priceInput('price-min', 'Min', 'priceMin', facets?.priceMin ?? null), priceInput('price-max', 'Max', 'priceMax', facets?.priceMax ?? null)),
      ),
      h('div', { class: 'field' }, h('label', { for: 'k-select', class: 'field-label' }, 'Results to show'), kSelect),
      activeFilterCount() > 0
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small',
              on: {
                click: () => {
                  state.filters.category.clear();
                  state.filters.brand.clear();
                  state.filters.priceMin = undefined;
                  state.filters.priceMax = undefined;
                  renderFilters();
                  onFiltersChanged();
                },
              },
            },
            'Reset filters',
          )
        : null,
    );
  }

  function renderFilterSummary(): void {
    const n = activeFilterCount();
    replaceChildren(filterSummary, 'Filters', n > 0 ? h('span', { class: 'badge' }, n) : null);
  }

  function renderChips(): void {
    if (!state.query || state.notLike.size === 0) {
      chips.hidden = true;
      chips.replaceChildren();
      return;
    }
    chips.hidden = false;
    replaceChildren(
      chips,
      h('span', { class: 'chips-label' }, 'Not like:'),
      ...[...state.notLike].map(([id, title]) =>
        h(
          'button',
          { type: 'button', class: 'chip', 'data-testid': 'not-like-chip', 'aria-label': `Show ${title} again`, on: { click: () => removeNotLike(id) } },
          h('span', { class: 'chip-text' }, title),
          h('span', { class: 'chip-x', 'aria-hidden': 'true' }, '×'),
        ),
      ),
      state.notLike.size > 1 ? h('button', { type: 'button', class: 'link-btn', on: { click: () => removeNotLike(null) } }, 'Clear all') : null,
    );
  }

  function renderResults(): void {
    renderChips();
    if (state.query) renderSearchResults();
    else renderBrowse();
  }

  function renderSearchResults(): void {
    const s = state.search;
    resultsTitle.textContent = state.query?.kind === 'text' ? `Products matching ${queryName()}` : 'Similar products';
    results.setAttribute('aria-busy', String(s.status === 'loading'));
    switch (s.status) {
      case 'idle':
      case 'loading':
        preview?.showMatch(null);
        preview?.showSubject(null);
        resultsMeta.textContent = 'Searching…';
        replaceChildren(resultsBody, skeletonGrid(Math.min(state.filters.k, 8)));
        return;
      case 'error':
        resultsMeta.textContent = '';
        replaceChildren(resultsBody, errorBox(s.error, 'search-error', () => void runSearch()));
        return;
      case 'done': {
        const hits = s.response.results;
        resultsMeta.textContent = `${formatCount(hits.length, 'match', 'matches')} in ${Math.round(s.response.tookMs)} ms`;
        if (hits.length === 0) {
          replaceChildren(
            resultsBody,
            emptyState('No matching products', activeFilterCount() > 0 || state.notLike.size > 0 ? 'Try removing some filters or "not like this" choices.' : 'The catalog has nothing that looks like this yet.'),
          );
          return;
        }
        const cards = hits.map((hit) => {
          const card = productCard(hit, { testId: 'result-card', onNotLike: notLike });
          if (hit.match?.box) {
            card.classList.add('has-match-box');
            card.addEventListener('pointerenter', () => showMatchFor(hit));
            card.addEventListener('pointerleave', () => showMatchFor(null));
            card.addEventListener('focusin', () => showMatchFor(hit));
            card.addEventListener('focusout', () => showMatchFor(null));
          }
          return card;
        });
        replaceChildren(resultsBody, h('div', { class: 'grid', 'data-testid': 'results-grid' }, ...cards));
        showMatchFor(null);
      }
    }
  }

  function renderBrowse(): void {
    const b = state.browse;
    resultsTitle.textContent = 'Browse the catalog';
    results.setAttribute('aria-busy', String(b.loading));
    resultsMeta.textContent = b.items.length > 0 || !b.loading ? formatCount(b.total, 'product', 'products') : 'Loading…';
    if (b.items.length === 0) {
      if (b.loading) replaceChildren(resultsBody, skeletonGrid(8));
      else if (b.error) replaceChildren(resultsBody, errorBox(b.error, 'browse-error', () => void loadBrowse(false)));
      else
        replaceChildren(
          resultsBody,
          emptyState(
            activeFilterCount() > 0 ? 'No products match these filters' : 'The catalog is empty',
            activeFilterCount() > 0 ? 'Try removing some filters.' : 'Ingest a catalog with `shoplens ingest <catalog.csv>` and reload.',
          ),
        );
      return;
    }
    const more =
      b.items.length < b.total
        ? h('button', { type: 'button', class: 'btn btn-secondary load-more', disabled: b.loading, on: { click: () => void loadBrowse(true) } }, b.loading ? 'Loading…' : 'Show more')
        : null;
    replaceChildren(
      resultsBody,
      h('div', { class: 'grid' }, ...b.items.map((p) => productCard(p, { testId: 'browse-card' }))),
      b.error ? errorBox(b.error, 'browse-error') : null,
      more,
    );
  }

  // ---- page-wide input: paste and drag-and-drop anywhere ---------------------------------
  function onPaste(e: ClipboardEvent): void {
    const data = e.clipboardData;
    if (!data) return;
    const file = [...data.files].find((f) => f.type.startsWith('image/'));
    if (file) {
      e.preventDefault();
      void setFileQuery(file.name ? file : new File([file], 'pasted-image.png', { type: file.type }));
      return;
    }
    const text = data.getData('text/plain');
    if (!isTypingTarget(e.target) && looksLikeUrl(text)) {
      e.preventDefault();
      setQuery({ kind: 'url', url: text.trim() }, text.trim());
    }
  }

  let dragDepth = 0;
  function onDragEnter(e: DragEvent): void {
    if (!e.dataTransfer?.types.includes('Files') && !e.dataTransfer?.types.includes('text/uri-list')) return;
    dragDepth++;
    dropZone.classList.add('dragging');
  }
  function onDragLeave(): void {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) dropZone.classList.remove('dragging');
  }
  function onDragOver(e: DragEvent): void {
    // Without this the browser would open a dropped file and leave the app.
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  }
  function onDrop(e: DragEvent): void {
    e.preventDefault();
    dragDepth = 0;
    dropZone.classList.remove('dragging');
    const dt = e.dataTransfer;
    if (!dt) return;
    const file = dt.files[0];
    if (file) {
      void setFileQuery(file);
      return;
    }
    // An image dragged from another web page arrives as its address.
    const url = dt.getData('text/uri-list').split('\n').find((l) => l && !l.startsWith('#')) ?? '';
    if (looksLikeUrl(url)) setQuery({ kind: 'url', url: url.trim() }, url.trim());
  }

  document.addEventListener('paste', onPaste);
  document.addEventListener('dragenter', onDragEnter);
  document.addEventListener('dragleave', onDragLeave);
  document.addEventListener('dragover', onDragOver);
  document.addEventListener('drop', onDrop);

  // ---- first paint ------------------------------------------------------------------------
  renderDrop();
  renderFilters();
  renderResults();
  getFacets().then(
    (f) => {
      facets = f;
      facetsError = null;
      renderFilters();
    },
    (err: unknown) => {
      facetsError = err instanceof ApiError ? err : new ApiError('INTERNAL_ERROR', String(err), 0);
      renderFilters();
    },
  );
  void getTextSearchAvailable().then((available) => {
    textForm.hidden = !available;
    if (state.query?.kind === 'text') textInput.value = state.query.text;
  });
  if (!state.query && browseIsStale()) void loadBrowse(false);
  // Coming back from a product page with a search that never finished: run it again.
  if (state.query && state.search.status !== 'done' && state.search.status !== 'error') void runSearch();

  return () => {
    searchAbort?.abort();
    browseAbort?.abort();
    document.removeEventListener('paste', onPaste);
    document.removeEventListener('dragenter', onDragEnter);
    document.removeEventListener('dragleave', onDragLeave);
    document.removeEventListener('dragover', onDragOver);
    document.removeEventListener('drop', onDrop);
  };
}
