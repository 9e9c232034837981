// Cluster: every member as the node serving this console sees it, live: its status (up,
// unreachable, leaving, down, and removed once gone), what it runs now and its bulkheads per type,
// and the membership changes the node saw.
import { badge, fill, h, live, time } from '../core.js';

/** What a person should read first about a member: unreachability wins over the status. */
function shownStatus(member) {
  return member.reachable ? member.status : 'unreachable';
}

function bulkheads(load) {
  if (!load) return h('span', { class: 'muted' }, 'did not answer');
  const busy = Object.entries(load.bulkheads).filter(([, b]) => b.inUse > 0 || b.waiting > 0);
  if (!busy.length) return h('span', { class: 'muted' }, 'all idle');
  return h('ul', { class: 'bulkheads' }, busy.map(([type, b]) =>
    h('li', {}, h('strong', {}, type), ` ${b.inUse} of ${b.concurrency} in use`, b.waiting ? `, ${b.waiting} waiting` : '')));
}

export default {
  path: 'cluster',
  title: 'Cluster',
  show(root) {
    const members = h('tbody', { id: 'members' });
    const changes = h('ol', { id: 'changes', class: 'changes' });
    const seenBy = h('p', { class: 'hint' }, 'Waiting for the first update…');
    root.append(seenBy,
      h('table', {}, h('caption', {}, 'Members'),
        h('thead', {}, h('tr', {}, ['Node', 'Status', 'Role', 'Running attempts', 'Bulkheads in use / waiting']
          .map((c) => h('th', { scope: 'col' }, c)))), members),
      h('section', { 'aria-labelledby': 'changes-title' }, h('h2', { id: 'changes-title' }, 'Recent membership changes'),
        changes));
    return live('cluster', (view) => {
      fill(seenBy, 'As node ', h('strong', {}, view.node), ' sees it; leader ', view.leader || 'none', '.');
      const present = new Set(view.members.map((m) => m.node));
      // Members gone from the membership stay in view as removed, from the changes this node saw.
      const gone = [...new Set(view.recentChanges.filter((c) => c.change === 'removed' && !present.has(c.node))
        .map((c) => c.node))];
      fill(members,
        view.members.map((m) => h('tr', { 'data-node': m.node },
          h('th', { scope: 'row' }, m.node),
          h('td', { class: 'status' }, badge(shownStatus(m)), m.reachable ? '' : ` (${m.status})`),
          h('td', {}, [m.self && 'this node', m.leader && 'leader', m.oldest && 'oldest'].filter(Boolean).join(', ')),
          h('td', { class: 'num running' }, m.load ? String(m.load.runningAttempts) : '–'),
          h('td', {}, bulkheads(m.load)))),
        gone.map((node) => h('tr', { 'data-node': node, class: 'gone' },
          h('th', { scope: 'row' }, node),
          h('td', { class: 'status' }, badge('removed')),
          h('td', {}, 'left the cluster at ', time(view.recentChanges.find((c) => c.node === node).at)),
          h('td', { class: 'num running' }, '–'), h('td', {}, ''))));
      fill(changes, view.recentChanges.slice(0, 20).map((c) =>
        h('li', {}, h('time', { datetime: c.at }, time(c.at)), ' ', h('span', { class: 'node' }, c.node), ' ', badge(c.change))));
    });
  },
};
