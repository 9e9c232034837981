// Overview: the cluster's figures, pushed by the node (/api/v1/events): tasks by status and by
// type, throughput over the last 15 minutes, rates, the read side's lag, members and breakers.
import { badge, duration, h, live, number, refill } from '../core.js';

const STATUSES = [
  ['PENDING', 'Pending'], ['RUNNING', 'Running'], ['RETRY_WAIT', 'Waiting to retry'], ['DEFERRED', 'Deferred'], ['RATE_LIMITED', 'Rate-limited'],
  ['SUCCEEDED', 'Succeeded'], ['DEAD_LETTERED', 'Dead-lettered'], ['CANCELLED', 'Cancelled'],
];

function card(id, label) {
  return h('div', { class: 'card' }, h('span', { class: 'label', id: `${id}-label` }, label),
    h('span', { class: 'value', id, 'aria-labelledby': `${id}-label ${id}` }, '–'));
}

function set(id, text) {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}

export default {
  path: 'overview',
  title: 'Overview',
  show(root) {
    const byType = h('tbody');
    const chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Tasks ended per second over the last 15 minutes' });
    root.append(
      h('section', { 'aria-labelledby': 'cluster-summary' }, h('h2', { id: 'cluster-summary', class: 'visually-hidden' }, 'Cluster'),
        h('div', { class: 'cards' }, card('members-up', 'Members up and reachable'), card('members-unreachable', 'Unreachable members'),
          card('breakers-open', 'Breakers not closed'), card('dead-letters', 'Dead letters')),
        h('ul', { id: 'member-list', class: 'members', 'aria-label': 'Members' })),
      h('section', { 'aria-labelledby': 'by-status' }, h('h2', { id: 'by-status' }, 'Tasks by status'),
        h('div', { class: 'cards' }, STATUSES.map(([status, label]) => card(`count-${status}`, label)))),
      h('section', { 'aria-labelledby': 'rates' }, h('h2', { id: 'rates' }, 'Rates'),
        h('div', { class: 'cards' },
          card('rate-throughput', 'Ended per second (last minute)'),
          card('rate-success', 'Success (of ended tasks)'),
          card('rate-failure', 'Failed attempts'),
          card('rate-retry', 'Retried attempts'),
          card('read-lag', 'Read-side lag'))),
      h('section', { 'aria-labelledby': 'throughput' },
        h('h2', { id: 'throughput' }, 'Throughput, last 15 minutes'),
        h('p', { class: 'hint' }, 'Tasks ended per second, in 10-second buckets: ',
          h('span', { class: 'key k-ok' }, 'succeeded'), ' ', h('span', { class: 'key k-dead' }, 'dead-lettered'), ' ',
          h('span', { class: 'key k-cancel' }, 'cancelled')),
        chartBox),
      h('section', { 'aria-labelledby': 'by-type' }, h('h2', { id: 'by-type' }, 'Tasks by type'),
        h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Type'),
          STATUSES.map(([, label]) => h('th', { scope: 'col', class: 'num' }, label)))), byType)));

    let chart = null;
    const stopStats = live('stats', (stats) => {
      for (const [status] of STATUSES) set(`count-${status}`, number(stats.byStatus[status]));
      set('rate-throughput', stats.throughput.lastMinutePerSecond.toFixed(1));
      set('rate-success', `${stats.rates.successPercent} %`);
      set('rate-failure', `${stats.rates.failurePercent} %`);
      set('rate-retry', `${stats.rates.retryPercent} %`);
      set('read-lag', duration(stats.readSide.millis));
      set('read-lag-label', `Read-side lag (${number(stats.readSide.events)} events)`);
      const breakers = stats.circuitBreakers || {};
      set('breakers-open', number((breakers.open || 0) + (breakers.halfOpen || 0) + (breakers.forcedOpen || 0)));
      set('dead-letters', number(stats.deadLetters ? stats.deadLetters.total : null));
      refill(byType, stats.byType, () => Object.entries(stats.byType).map(([type, t]) => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/tasks?type=${encodeURIComponent(type)}` }, type)),
        STATUSES.map(([status]) => h('td', { class: 'num' }, number(t.byStatus[status]))))));
    });
    const stopThroughput = live('throughput', (view) => {
      const xs = view.buckets.map((b) => Date.parse(b.start) / 1000);
      const per = (field) => view.buckets.map((b) => b[field] / view.bucketSeconds);
      const data = [xs, per('succeeded'), per('deadLettered'), per('cancelled')];
      if (!chart && window.uPlot) {
        chart = new window.uPlot({
          width: Math.max(320, chartBox.clientWidth), height: 200,
          legend: { show: false }, // the key above says which line is which
          cursor: { show: false },
          scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
          series: [{}, { label: 'succeeded /s', stroke: '#1a7f37', width: 2, points: { show: false } },
            { label: 'dead-lettered /s', stroke: '#b42318', width: 2, points: { show: false } },
            { label: 'cancelled /s', stroke: '#7a4d00', width: 2, dash: [6, 4], points: { show: false } }],
          axes: [{}, { label: 'tasks/s', size: 60 }],
        }, data, chartBox);
      } else if (chart) chart.setData(data);
    });
    const stopCluster = live('cluster', (view) => {
      const up = view.members.filter((m) => m.status === 'up' && m.reachable).length;
      set('members-up', `${up} of ${view.members.length}`);
      const unreachable = view.members.filter((m) => !m.reachable).length;
      set('members-unreachable', number(unreachable));
      document.getElementById('members-unreachable').closest('.card').classList.toggle('alert', unreachable > 0);
      refill(document.getElementById('member-list'), view.members, () => view.members.map((m) => h('li', {},
        h('span', { class: 'node' }, m.node), ' ', badge(m.reachable ? m.status : 'unreachable'), ' ',
        m.load ? `${m.load.runningAttempts} running` : 'no answer')));
    });
    const resize = () => chart && chart.setSize({ width: Math.max(320, chartBox.clientWidth), height: 200 });
    window.addEventListener('resize', resize);
    return () => {
      stopStats();
      stopThroughput();
      stopCluster();
      window.removeEventListener('resize', resize);
      if (chart) chart.destroy();
    };
  },
};
