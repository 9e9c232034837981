// Circuit breakers: each task type's breaker, its counters, when it turns half-open and its
// recent transitions; reset and force-open, each after a confirmation.
import { act, api, badge, confirmAction, duration, fill, h, refill, time } from '../core.js';

function breaker(b, redraw) {
  const forceOpen = h('button', { type: 'button', class: 'danger', disabled: b.state === 'FORCED_OPEN' }, 'Force open');
  forceOpen.addEventListener('click', async () => {
    if (await confirmAction(`Force the ${b.type} breaker open?`,
      `No ${b.type} task will start on any node until the breaker is reset; waiting tasks are deferred.`, 'Force open')) {
      await act(() => api('POST', `/api/v1/circuit-breakers/${encodeURIComponent(b.type)}/open`), (v) => `The ${v.type} breaker is ${v.state}.`);
      redraw();
    }
  });
  const reset = h('button', { type: 'button', disabled: b.state === 'CLOSED' && b.consecutiveFailures === 0 && b.callsInWindow === 0 }, 'Reset');
  reset.addEventListener('click', async () => {
    if (await confirmAction(`Reset the ${b.type} breaker?`,
      `It closes with its counts cleared, and ${b.type} tasks run again at once.`, 'Reset')) {
      await act(() => api('POST', `/api/v1/circuit-breakers/${encodeURIComponent(b.type)}/reset`), (v) => `The ${v.type} breaker is ${v.state}.`);
      redraw();
    }
  });
  return h('article', { class: 'breaker', 'data-type': b.type, 'aria-labelledby': `breaker-${b.type}` },
    h('header', {}, h('h2', { id: `breaker-${b.type}` }, b.type), h('span', { class: 'state' }, badge(b.state)), forceOpen, reset),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Consecutive failures'), h('dd', {}, b.consecutiveFailures),
      h('dt', {}, 'Window'), h('dd', {}, `${b.failuresInWindow} failed of ${b.callsInWindow} (${b.failureRatePercent} %)`),
      h('dt', {}, 'Opened'), h('dd', {}, time(b.openedAt)),
      h('dt', {}, 'Half-open'), h('dd', {}, b.nextHalfOpenAt
        ? [time(b.nextHalfOpenAt), ' (in ', h('span', { class: 'countdown', 'data-at': b.nextHalfOpenAt }, ''), ')']
        : b.state === 'FORCED_OPEN' ? 'not until reset' : '–'),
      h('dt', {}, 'Trials granted'), h('dd', {}, b.trialsGranted),
      h('dt', {}, 'Hosted by'), h('dd', { class: 'node' }, b.hostedBy || '–')),
    b.transitions.length ? h('details', {}, h('summary', {}, `Recent transitions (${b.transitions.length})`),
      h('ol', { class: 'changes' }, b.transitions.slice().reverse().map((t) =>
        h('li', {}, h('time', { datetime: t.at }, time(t.at)), ' ', badge(t.from), ' → ', badge(t.to), ` ${t.reason}`))))
      : null);
}

export default {
  path: 'breakers',
  title: 'Circuit breakers',
  show(root) {
    const list = h('div', { class: 'breakers', id: 'breakers' }, h('p', { class: 'muted' }, 'Loading…'));
    root.append(list);
    let timer = null;
    let stopped = false;
    // The time to half-open counts down in place, without redrawing the page.
    const tick = () => {
      for (const el of list.querySelectorAll('.countdown')) el.textContent = duration(Math.max(0, Date.parse(el.dataset.at) - Date.now()));
    };
    const ticker = setInterval(tick, 1000);
    async function draw() {
      clearTimeout(timer);
      try {
        const { circuitBreakers } = await api('GET', '/api/v1/circuit-breakers');
        // Open ones first: they are what an operator came for.
        const order = { FORCED_OPEN: 0, OPEN: 1, HALF_OPEN: 2, CLOSED: 3 };
        circuitBreakers.sort((a, b) => order[a.state] - order[b.state] || a.type.localeCompare(b.type));
        // Keep the page as it is while a dialog is open on it.
        if (!stopped && !document.getElementById('confirm').open) {
          refill(list, circuitBreakers, () => circuitBreakers.map((b) => breaker(b, draw)));
        }
        tick();
      } catch (e) {
        fill(list, h('p', { class: 'error' }, e.message));
      }
      if (!stopped) timer = setTimeout(draw, 2000);
    }
    draw();
    return () => { stopped = true; clearTimeout(timer); clearInterval(ticker); };
  },
};
