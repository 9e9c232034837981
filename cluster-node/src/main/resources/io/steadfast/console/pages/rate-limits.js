// Rate limits: each limited task type's limit, the node its limiter runs on and what it leased,
// and the pool of the node serving this console (tasks waiting there, permits it holds); beside
// them, how many tasks of the type wait RATE_LIMITED across the cluster, from the live figures.
import { api, duration, fill, h, live, number, refill } from '../core.js';

const REFRESH_MS = 2000;

function limit(r) {
  const per = r.perMs % 1000 === 0 ? `${r.perMs / 1000} s` : duration(r.perMs);
  return `${number(r.permits)} per ${per}`;
}

export default {
  path: 'rate-limits',
  title: 'Rate limits',
  show(root) {
    const answering = h('p', { class: 'hint', id: 'rate-limits-node' },
      'Each type\'s limit holds for the whole cluster. The pool columns are this node\'s, the one serving the console.');
    const rows = h('tbody', { id: 'rate-limit-rows' }, h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'Loading…')));
    const problem = h('p', { class: 'error', id: 'rate-limits-error', hidden: true });
    root.append(answering, problem,
      h('table', {}, h('caption', {}, 'Rate-limited task types'),
        h('thead', {},
          h('tr', {}, h('th', { scope: 'col', rowspan: 2 }, 'Type'), h('th', { scope: 'colgroup', colspan: 5 }, 'The limit, cluster-wide'),
            h('th', { scope: 'colgroup', colspan: 3 }, 'This node\'s pool')),
          h('tr', {}, ['Limit', 'Per second', 'Burst', 'Limiter runs on', 'Leased by the limiter', 'Waiting', 'Held', 'Leased']
            .map((c, i) => h('th', { scope: 'col', class: i === 3 ? null : 'num' }, c)))),
        rows),
      h('p', { class: 'hint' }, 'A type is limited in its config: ', h('code', {}, 'steadfast.task-types.<type>.rate-limit { permits, per, burst }'),
        '. Tasks over the limit wait as RATE_LIMITED, spending no attempt. Rate-limited tasks now, across the cluster:'),
      h('ul', { class: 'members', id: 'rate-limited-now', 'aria-label': 'Rate-limited tasks by type' }, h('li', { class: 'muted' }, 'waiting for the live figures…')));

    let timer = null;
    let stopped = false;
    async function draw() {
      try {
        const { rateLimits } = await api('GET', '/api/v1/rate-limits');
        if (stopped) return;
        problem.hidden = true;
        rateLimits.sort((a, b) => a.type.localeCompare(b.type));
        refill(rows, rateLimits, () => (rateLimits.length ? rateLimits.map((r) => h('tr', { 'data-type': r.type },
          h('th', { scope: 'row' }, r.type),
          h('td', { class: 'num limit' }, limit(r)),
          h('td', { class: 'num' }, r.permitsPerSecond.toLocaleString('en-US', { maximumFractionDigits: 2 })),
          h('td', { class: 'num' }, number(r.burst)),
          h('td', { class: 'node hosted' }, r.hostedBy),
          h('td', { class: 'num leased' }, number(r.leased)),
          h('td', { class: 'num waiting' }, number(r.thisNode.waiting)),
          h('td', { class: 'num' }, number(r.thisNode.held)),
          h('td', { class: 'num' }, number(r.thisNode.leased))))
          : h('tr', {}, h('td', { colspan: 9, class: 'muted', id: 'rate-limits-empty' }, 'No task type has a rate limit.'))));
      } catch (e) {
        problem.textContent = `The rate limits did not answer: ${e.message}`;
        problem.hidden = false;
      }
      if (!stopped) timer = setTimeout(draw, REFRESH_MS);
    }
    draw();
    const stopCluster = live('cluster', (view) => {
      fill(answering, 'Each type\'s limit holds for the whole cluster. The pool columns are those of node ',
        h('strong', { class: 'node' }, view.node), ', the one serving this console; each node leases permits for its own tasks.');
    });
    const stopStats = live('stats', (stats) => {
      const limited = Object.entries(stats.byType).map(([type, t]) => [type, t.byStatus.RATE_LIMITED || 0]).filter(([, n]) => n > 0);
      refill(document.getElementById('rate-limited-now'), limited, () => (limited.length
        ? limited.map(([type, n]) => h('li', {}, h('a', { href: `#/tasks?status=RATE_LIMITED&type=${encodeURIComponent(type)}` }, type), ` ${number(n)}`))
        : h('li', { class: 'muted' }, 'none')));
    });
    return () => { stopped = true; clearTimeout(timer); stopCluster(); stopStats(); };
  },
};
