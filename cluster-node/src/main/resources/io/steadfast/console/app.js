// The console's shell: the navigation, built from pages.js, and the router. A page module is
//   { path: 'tasks', title: 'Tasks', show(root, route) }
// where show draws the page into `root` for `route` ({ path, rest, params }: '#/tasks/<id>?a=b'
// gives rest ['<id>'] and params {a: 'b'}) and returns a function that stops whatever it started
// (live listeners, timers), called when the operator leaves the page.
import pages from './pages.js';
import { clearNotice, fill, h, signOut } from './core.js';

const main = document.getElementById('main');
let leave = () => {};

function parse(hash) {
  const [pathPart, queryPart] = hash.replace(/^#\/?/, '').split('?');
  const [path, ...rest] = pathPart.split('/').map(decodeURIComponent);
  return { path: path || pages[0].path, rest, params: Object.fromEntries(new URLSearchParams(queryPart || '')) };
}

function show() {
  const route = parse(location.hash);
  const page = pages.find((p) => p.path === route.path) || pages[0];
  leave();
  clearNotice();
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.page === page.path) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${page.title} · Steadfast`;
  const root = fill(main, h('h1', {}, page.title));
  leave = page.show(root, route) || (() => {});
}

fill(document.getElementById('nav'),
  pages.map((page) => h('li', {}, h('a', { href: `#/${page.path}`, 'data-page': page.path }, page.title))));
const signOutButton = document.getElementById('sign-out');
signOutButton.hidden = !sessionStorage.getItem('steadfast.token');
signOutButton.addEventListener('click', signOut);
document.getElementById('notice').addEventListener('click', clearNotice);
window.addEventListener('hashchange', show);
show();
