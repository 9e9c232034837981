// Tasks: the listing from the read side, filtered and keyset-paged (each page starts after the
// last row of the one before, so paging stays fast over any number of tasks); a search by id or
// idempotency key; and a task's own page with its attempts as a timeline, and cancel.
import { act, ApiError, badge, confirmAction, duration, fill, go, h, api, query, refill, time } from '../core.js';

const STATUSES = ['PENDING', 'RUNNING', 'RETRY_WAIT', 'DEFERRED', 'RATE_LIMITED', 'SUCCEEDED', 'DEAD_LETTERED', 'CANCELLED'];
const TERMINAL = new Set(['SUCCEEDED', 'DEAD_LETTERED', 'CANCELLED']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A datetime-local value (the operator's local time) as an ISO instant, or ''. */
function instant(local) {
  return local ? new Date(local).toISOString() : '';
}

function localInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function field(label, id, control) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

async function listing(root, params) {
  const types = await api('GET', '/api/v1/circuit-breakers').then((r) => r.circuitBreakers.map((b) => b.type).sort(), () => []);
  const status = h('select', { id: 'filter-status', name: 'status' }, h('option', { value: '' }, 'any'),
    STATUSES.map((s) => h('option', { value: s, selected: params.status === s }, s)));
  const type = h('select', { id: 'filter-type', name: 'type' }, h('option', { value: '' }, 'any'),
    types.map((t) => h('option', { value: t, selected: params.type === t }, t)));
  const from = h('input', { id: 'filter-from', type: 'datetime-local', value: localInput(params.createdFrom) });
  const before = h('input', { id: 'filter-before', type: 'datetime-local', value: localInput(params.createdBefore) });
  const search = h('input', { id: 'search', type: 'search', placeholder: 'task id or idempotency key', value: params.q || '' });
  const filters = h('form', { class: 'filters', role: 'search' },
    field('Search by id or idempotency key', 'search', search),
    field('Status', 'filter-status', status), field('Type', 'filter-type', type),
    field('Created from', 'filter-from', from), field('Created before', 'filter-before', before),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    go(`#/tasks${query({ q: search.value.trim(), status: status.value, type: type.value,
      createdFrom: instant(from.value), createdBefore: instant(before.value) })}`);
  });
  const rows = h('tbody', { id: 'task-rows' });
  const pager = h('div', { class: 'pager' });
  root.append(filters, h('table', { class: 'tasks' }, h('caption', { id: 'task-caption' }, 'Newest first'),
    h('thead', {}, h('tr', {}, ['Task', 'Type', 'Status', 'Attempts', 'Priority', 'Created', 'Updated']
      .map((c) => h('th', { scope: 'col' }, c)))), rows), pager);

  const q = (params.q || '').trim();
  if (q && UUID.test(q)) {
    // An id: open the task if it exists; else it may be a key that looks like one.
    try {
      await api('GET', `/api/v1/tasks/${q}`);
      location.hash = `#/tasks/${q}`;
      return;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
    }
  }
  const cursors = [];
  async function page(after) {
    const filter = { status: params.status, type: params.type, createdFrom: params.createdFrom,
      createdBefore: params.createdBefore, idempotencyKey: q || undefined, limit: 50, after };
    const result = await api('GET', `/api/v1/tasks${query(filter)}`);
    fill(rows, result.tasks.length ? result.tasks.map((t) => h('tr', {},
      h('td', {}, h('a', { href: `#/tasks/${t.id}`, class: 'mono' }, t.id)),
      h('td', {}, t.type), h('td', {}, badge(t.status)), h('td', { class: 'num' }, t.attempts),
      h('td', { class: 'num' }, t.priority), h('td', {}, time(t.createdAt)), h('td', {}, time(t.updatedAt))))
      : h('tr', {}, h('td', { colspan: 7, class: 'muted' }, q ? `No task with idempotency key "${q}".` : 'No tasks match.')));
    const previous = h('button', { type: 'button', disabled: cursors.length === 0 }, 'Previous page');
    previous.addEventListener('click', () => { cursors.pop(); page(cursors[cursors.length - 1]); });
    const next = h('button', { type: 'button', disabled: !result.nextCursor }, 'Next page');
    next.addEventListener('click', () => { cursors.push(result.nextCursor); page(result.nextCursor); });
    fill(pager, previous, h('span', {}, `Page ${cursors.length + 1}`), next);
  }
  await page(undefined);
}

// ------------------------------------------------------------------ one task

function timeline(task) {
  const history = task.history;
  if (!history.length) return h('p', { class: 'muted' }, 'No attempt yet.');
  const now = Date.now();
  const start = Math.min(...history.map((a) => Date.parse(a.startedAt)));
  const end = Math.max(...history.map((a) => (a.endedAt ? Date.parse(a.endedAt) : now)));
  const span = Math.max(1, end - start);
  return h('ol', { class: 'timeline', id: 'attempts' }, history.map((a) => {
    const from = Date.parse(a.startedAt);
    const to = a.endedAt ? Date.parse(a.endedAt) : now;
    const bar = h('span', { class: `bar o-${(a.outcome || 'running').toLowerCase().replace(/_/g, '-')}` });
    bar.style.marginLeft = `${((from - start) / span) * 100}%`;
    bar.style.width = `${Math.max(0.5, ((to - from) / span) * 100)}%`;
    return h('li', { class: 'attempt', 'data-attempt': a.attempt },
      h('div', { class: 'what' }, h('strong', {}, `Attempt ${a.attempt}`), ' on ', h('span', { class: 'node' }, a.node), ' ',
        badge(a.outcome || 'RUNNING'), a.counted ? '' : ' (not counted)'),
      h('div', { class: 'track' }, bar),
      h('div', { class: 'when' }, `${time(a.startedAt)} → ${a.endedAt ? time(a.endedAt) : 'running'} (${duration(to - from)})`),
      a.error ? h('div', { class: 'error' }, `${a.error.type}: ${a.error.message}`) : null);
  }));
}

function json(value) {
  return value === null || value === undefined ? h('p', { class: 'muted' }, 'none') : h('pre', {}, JSON.stringify(value, null, 2));
}

function taskPage(root, id) {
  const body = h('div', { id: 'task' });
  root.querySelector('h1').textContent = 'Task';
  root.append(h('p', {}, h('a', { href: '#/tasks' }, '← All tasks')), body);
  let timer = null;
  let stopped = false;
  async function draw() {
    let task;
    try {
      task = await api('GET', `/api/v1/tasks/${encodeURIComponent(id)}`);
    } catch (e) {
      fill(body, h('p', { class: 'error' }, e.message));
      return;
    }
    if (stopped) return;
    const cancel = h('button', { type: 'button', class: 'danger', disabled: TERMINAL.has(task.status) }, 'Cancel task');
    cancel.addEventListener('click', async () => {
      if (await confirmAction('Cancel this task?', `Task ${task.id} (${task.type}) will end CANCELLED; a running attempt is told to stop.`, 'Cancel task')) {
        await act(() => api('POST', `/api/v1/tasks/${task.id}/cancel`), (t) => `Task ${t.id} is ${t.status}${t.cancelRequested ? ' (cancel requested)' : ''}.`);
        draw();
      }
    });
    refill(body, task, () => [
      h('div', { class: 'task-head' }, h('h2', { class: 'mono', id: 'task-id' }, task.id), badge(task.status), cancel),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Type'), h('dd', {}, task.type),
        h('dt', {}, 'Attempts'), h('dd', { id: 'task-attempts' }, `${task.attempts} of ${task.maxAttempts}`),
        h('dt', {}, 'Priority'), h('dd', {}, task.priority),
        h('dt', {}, 'Created'), h('dd', {}, time(task.createdAt)),
        h('dt', {}, 'Updated'), h('dd', {}, time(task.updatedAt)),
        h('dt', {}, 'Next attempt'), h('dd', {}, time(task.nextAttemptAt)),
        h('dt', {}, 'Attempt timeout'), h('dd', {}, duration(task.attemptTimeoutMs))),
      h('section', { 'aria-labelledby': 'attempts-title' }, h('h2', { id: 'attempts-title' }, 'Attempts'), timeline(task)),
      h('div', { class: 'columns' },
        h('section', {}, h('h2', {}, 'Payload'), json(task.payload)),
        h('section', {}, h('h2', {}, task.lastError && !task.result ? 'Last error' : 'Result'),
          task.result ? json(task.result) : task.lastError ? h('p', { class: 'error', id: 'last-error' },
            `${task.lastError.type}: ${task.lastError.message}`) : json(null)),
        h('section', {}, h('h2', {}, 'Checkpoint'), json(task.checkpoint)),
        h('section', {}, h('h2', {}, 'Retry policy'), json(task.retryPolicy)))]);
    // Watch a task that has not ended; an ended one no longer changes.
    if (!TERMINAL.has(task.status)) timer = setTimeout(draw, 2000);
  }
  draw();
  return () => { stopped = true; clearTimeout(timer); };
}

export default {
  path: 'tasks',
  title: 'Tasks',
  show(root, route) {
    if (route.rest[0]) return taskPage(root, route.rest[0]);
    listing(root, route.params).catch((e) => root.append(h('p', { class: 'error' }, String(e.message || e))));
    return () => {};
  },
};
