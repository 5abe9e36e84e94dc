import './styles.css';
import { h, replaceChildren } from './dom.js';
import { mountInsightsPage } from './pages/insights.page.js';
import { mountProductPage } from './pages/product.page.js';
import { mountSearchPage } from './pages/search.page.js';
import { startRouter, type Route } from './router.js';

const root = document.getElementById('main');
if (!root) throw new Error('index.html has no <main id="main">');
const main: HTMLElement = root;

let unmount: (() => void) | null = null;

function render(route: Route): void {
  unmount?.();
  unmount = null;
  switch (route.name) {
    case 'search':
      unmount = mountSearchPage(main);
      break;
    case 'insights':
      unmount = mountInsightsPage(main);
      break;
    case 'product':
      unmount = mountProductPage(main, route.id);
      break;
    case 'not-found':
      replaceChildren(
        main,
        h('div', { class: 'notice notice-empty' }, h('h1', { class: 'notice-title' }, 'Page not found'), h('p', {}, h('a', { href: '/' }, 'Go to search'))),
      );
  }
}

startRouter(render);
