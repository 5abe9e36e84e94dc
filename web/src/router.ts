/** Client-side routing with the History API; the server answers index.html for every non-API path. */

export type Route = { name: 'search' } | { name: 'insights' } | { name: 'product'; id: string } | { name: 'not-found'; path: string };

export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '/index.html') return { name: 'search' };
  if (pathname === '/insights' || pathname === '/insights/') return { name: 'insights' };
  const m = /^\/product\/([^/]+)\/?$/.exec(pathname);
  if (m?.[1]) {
    try {
      return { name: 'product', id: decodeURIComponent(m[1]) };
    } catch {
      // Malformed %-escape: fall through to not-found.
    }
  }
  return { name: 'not-found', path: pathname };
}

export function productPath(id: string): string {
  return `/product/${encodeURIComponent(id)}`;
}

type Listener = (route: Route) => void;
let listener: Listener | null = null;

export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  window.scrollTo(0, 0);
  listener?.(parseRoute(location.pathname));
}

/** Renders the current route now and on every navigation; in-app links skip the full page load. */
export function startRouter(render: Listener): void {
  listener = render;
  window.addEventListener('popstate', () => render(parseRoute(location.pathname)));
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const target = event.target instanceof Element ? event.target.closest('a') : null;
    if (!target || target.target || target.hasAttribute('download')) return;
    const url = new URL(target.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/media/')) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  render(parseRoute(location.pathname));
}
