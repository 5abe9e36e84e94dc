import { getClusterMap, getClusters, getDuplicates, getTrends, isAbort, type ClusteringDTO, type MapPointDTO, type TrendsDTO } from '../api.js';
import { errorBox } from '../components/notice.js';
import { h, replaceChildren } from '../dom.js';
import { productPath } from '../router.js';

const SVG = 'http://www.w3.org/2000/svg';
const PALETTE = ['#4f46e5', '#db2777', '#059669', '#d97706', '#0891b2', '#7c3aed', '#dc2626', '#65a30d', '#2563eb', '#c026d3', '#0d9488', '#ea580c'];

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function colour(cluster: number): string {
  return PALETTE[cluster % PALETTE.length]!;
}

/** 2-D map of the catalog (PCA), one dot per image coloured by cluster, cluster numbers at the centres. */
function mapSvg(points: MapPointDTO[], report: ClusteringDTO): SVGElement {
  const size = 480;
  const pos = (v: number) => ((v + 1.05) / 2.1) * size;
  const root = svg('svg', { viewBox: `0 0 ${size} ${size}`, class: 'insights-map', role: 'img', 'aria-label': `Map of ${report.images} images in ${report.k} styles` });
  for (const p of points) {
    const dot = svg('circle', { cx: pos(p.x).toFixed(1), cy: pos(-p.y).toFixed(1), r: 3, fill: colour(p.cluster), 'fill-opacity': 0.6 });
    const title = svg('title', {});
    title.textContent = `${p.productId} — style #${p.cluster}`;
    dot.appendChild(title);
    root.appendChild(dot);
  }
  for (const c of report.clusters) {
    const label = svg('text', { x: pos(c.x).toFixed(1), y: pos(-c.y).toFixed(1), class: 'insights-map-label' });
    label.textContent = `#${c.id}`;
    root.appendChild(label);
  }
  return root;
}

/** Horizontal bar chart: share of searches against share of catalog per style. */
function demandChart(trends: TrendsDTO['report']): SVGElement {
  const row = 26;
  const width = 480;
  const rows = trends.clusters;
  const root = svg('svg', { viewBox: `0 0 ${width} ${Math.max(1, rows.length) * row + 10}`, class: 'insights-chart', role: 'img', 'aria-label': 'Search share against catalog share per style' });
  const max = Math.max(0.01, ...rows.flatMap((c) => [c.searchShare, c.catalogShare]));
  rows.forEach((c, i) => {
    const y = i * row + 4;
    const label = svg('text', { x: 0, y: y + 15, class: 'insights-chart-label' });
    label.textContent = `#${c.cluster}`;
    root.appendChild(label);
    root.appendChild(svg('rect', { x: 40, y, width: ((c.searchShare / max) * (width - 60)).toFixed(1), height: 10, fill: colour(c.cluster) }));
    root.appendChild(svg('rect', { x: 40, y: y + 11, width: ((c.catalogShare / max) * (width - 60)).toFixed(1), height: 8, fill: '#9ca3af' }));
  });
  return root;
}

/** Insights: visual styles with a map, duplicate review, demand trends. */
export function mountInsightsPage(root: HTMLElement): () => void {
  const abort = new AbortController();
  const styles = h('section', { class: 'insights-section', 'data-testid': 'insights-styles' }, h('h2', {}, 'Visual styles'), h('p', {}, 'Loading…'));
  const dups = h('section', { class: 'insights-section', 'data-testid': 'insights-duplicates' }, h('h2', {}, 'Duplicates'), h('p', {}, 'Loading…'));
  const trends = h('section', { class: 'insights-section', 'data-testid': 'insights-trends' }, h('h2', {}, 'Demand trends'), h('p', {}, 'Loading…'));
  replaceChildren(root, h('div', { class: 'insights-page' }, h('h1', {}, 'Catalog insights'), styles, dups, trends));

  void (async () => {
    try {
      const { report } = await getClusters(abort.signal);
      if (!report) {
        replaceChildren(styles, h('h2', {}, 'Visual styles'), h('p', {}, 'Not clustered yet: run ', h('code', {}, 'shoplens cluster'), '.'));
        return;
      }
      const { points } = await getClusterMap(3000, abort.signal);
      replaceChildren(
        styles,
        h('h2', {}, `Visual styles (${report.k})`),
        h('p', { class: 'insights-meta' }, `${report.images} images of ${report.products} products, k by ${report.chosenBy}, ${new Date(report.createdAt).toLocaleString()}`),
        mapSvg(points, report),
        h('div', { class: 'insights-clusters' }, ...report.clusters.map((c) =>
          h('article', { class: 'insights-cluster', style: `border-color: ${colour(c.id)}` },
            h('h3', {}, `#${c.id} · ${c.images} images (${(c.share * 100).toFixed(1)}%)`),
            h('div', { class: 'insights-swatches' }, ...c.dominantColors.map((d) => h('span', { class: 'insights-swatch', style: `background: ${d.hex}`, title: `${d.hex} ${(d.share * 100).toFixed(0)}%` }))),
            h('p', { class: 'insights-meta' }, c.categories.slice(0, 3).map((x) => `${x.name ?? 'uncategorised'} ${x.count}`).join(' · ')),
            h('div', { class: 'insights-thumbs' }, ...c.representatives.slice(0, 6).map((r) =>
              h('a', { href: productPath(r.productId), title: r.title }, h('img', { src: r.url, alt: r.title, loading: 'lazy', width: 64, height: 64 })))),
          ))),
      );
    } catch (err) {
      if (!isAbort(err)) replaceChildren(styles, h('h2', {}, 'Visual styles'), errorBox(err, 'insights-styles-error'));
    }
  })();

  void (async () => {
    try {
      const { report } = await getDuplicates(abort.signal);
      if (!report) {
        replaceChildren(dups, h('h2', {}, 'Duplicates'), h('p', {}, 'Not checked yet: run ', h('code', {}, 'shoplens duplicates'), '.'));
        return;
      }
      replaceChildren(
        dups,
        h('h2', {}, `Duplicates (${report.groups.length} groups)`),
        ...report.groups.map((g) =>
          h('article', { class: 'insights-dup-group', 'data-testid': 'insights-dup-group' },
            h('h3', {}, `Group ${g.id} · ${g.kind === 'exact' ? 'exact copies' : 'near duplicates'}`),
            h('div', { class: 'insights-thumbs' }, ...g.products.map((p) =>
              h('a', { href: productPath(p.id), class: p.id === g.keep ? 'insights-keep' : '' },
                p.url ? h('img', { src: p.url, alt: p.title, loading: 'lazy', width: 96, height: 96 }) : null,
                h('span', {}, `${p.id}${p.id === g.keep ? ' (keep)' : ''}`)))),
          )),
      );
    } catch (err) {
      if (!isAbort(err)) replaceChildren(dups, h('h2', {}, 'Duplicates'), errorBox(err, 'insights-dups-error'));
    }
  })();

  void (async () => {
    try {
      const data = await getTrends('day', abort.signal);
      const r = data.report;
      replaceChildren(
        trends,
        h('h2', {}, 'Demand trends'),
        h('p', { class: 'insights-meta' }, data.enabled ? `${r.searches} searches, last 30 days. ` : 'The search log is off (retention 0). ', h('a', { href: '/api/v1/insights/trends.csv', download: 'shoplens-trends.csv' }, 'Download CSV')),
        r.clusters.length > 0 ? demandChart(r) : h('p', {}, 'No styles yet.'),
        h('p', { class: 'insights-meta' }, 'Coloured: share of searches; grey: share of catalog. Under-supplied styles: ', r.underSupplied.map((c) => `#${c}`).join(', ') || 'none'),
        h('ol', { class: 'insights-top' }, ...r.topProducts.slice(0, 10).map((t) => h('li', {}, h('a', { href: productPath(t.productId) }, t.productId), ` — top hit ${t.top1}×, shown ${t.appearances}×`))),
      );
    } catch (err) {
      if (!isAbort(err)) replaceChildren(trends, h('h2', {}, 'Demand trends'), errorBox(err, 'insights-trends-error'));
    }
  })();

  return () => abort.abort();
}
