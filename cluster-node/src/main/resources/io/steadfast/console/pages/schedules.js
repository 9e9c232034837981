// Schedules: every schedule with its cron, zone, status, next fire times, runs and skipped ticks
// and the node it runs on, kept up to date; a form to create one, which shows each problem the
// API names beside its field; and a schedule's page with its latest runs, pause, resume, trigger
// now and delete, each after a confirmation.
import { act, api, ApiError, badge, confirmAction, fill, h, notify, number, refill, time } from '../core.js';

const REFRESH_MS = 2000;

/** Opens `hash` and says `message` there (opening a page clears the notice of the one before). */
function goAndSay(hash, message) {
  window.addEventListener('hashchange', () => notify(message, 'ok'), { once: true });
  location.hash = hash;
}

function field(label, id, control, hint) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control,
    hint ? h('span', { class: 'hint small', id: `${id}-hint` }, hint) : null);
}

/** The next fire times, a few of them, as a list a screen reader reads as one. */
function fireTimes(s, few) {
  if (!s.nextFireTimes.length) return h('span', { class: 'muted' }, s.status === 'ACTIVE' ? '–' : `none while ${s.status.toLowerCase()}`);
  return h('ol', { class: 'times' }, s.nextFireTimes.slice(0, few).map((t) => h('li', {}, h('time', { datetime: t }, time(t)))));
}

/**
 * Keeps one row per schedule in `tbody`, in the given order, and redraws a cell only when what it
 * shows changed: the list is read every two seconds and its fire times move every tick, and a
 * link the operator is on must keep the focus.
 */
function rows(tbody, schedules) {
  const keep = new Set(schedules.map((s) => s.id));
  for (const tr of [...tbody.querySelectorAll('tr[data-schedule]')]) if (!keep.has(tr.dataset.schedule)) tr.remove();
  tbody.querySelector('tr.empty')?.remove();
  if (!schedules.length) {
    tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: 9, class: 'muted', id: 'schedules-empty' }, 'No schedules yet.')));
    return;
  }
  schedules.forEach((s, i) => {
    let tr = tbody.querySelector(`tr[data-schedule="${CSS.escape(s.id)}"]`);
    if (!tr) {
      tr = h('tr', { 'data-schedule': s.id }, h('th', { scope: 'row' }), ...Array.from({ length: 8 }, () => h('td')));
      tr.cells[5].className = 'num runs';
      tr.cells[6].className = 'num skipped';
      tr.cells[3].className = 'status';
    }
    if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
    const [link, cron, zone, status, next, runs, skipped, type, node] = tr.cells;
    refill(link, s.id, () => h('a', { href: `#/schedules/${encodeURIComponent(s.id)}` }, s.id));
    refill(cron, s.cron, () => h('code', {}, s.cron));
    refill(zone, s.timeZone, () => s.timeZone);
    refill(status, s.status, () => badge(s.status));
    refill(next, s.nextFireTimes, () => fireTimes(s, 3));
    refill(runs, s.fired, () => number(s.fired));
    refill(skipped, s.skipped, () => number(s.skipped));
    refill(type, s.task.type, () => s.task.type);
    refill(node, s.hostedBy, () => h('span', { class: 'node' }, s.hostedBy || '–'));
  });
}

/** The form's fields by the names the API's problems start with. */
const FIELD_OF = [['task.payload', 'schedule-payload'], ['task.', 'schedule-type'], ['task', 'schedule-type'],
  ['id', 'schedule-id'], ['cron', 'schedule-cron'], ['timeZone', 'schedule-zone'], ['overlap', 'schedule-overlap'],
  ['catchUp', 'schedule-catch-up']];

function createForm(types) {
  const id = h('input', { id: 'schedule-id', required: true, maxlength: 100, autocomplete: 'off', placeholder: 'nightly-report' });
  const cron = h('input', { id: 'schedule-cron', required: true, autocomplete: 'off', placeholder: '@every 30s or 0 2 * * *',
    'aria-describedby': 'schedule-cron-hint' });
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const zone = h('input', { id: 'schedule-zone', value: 'UTC', list: 'schedule-zones', autocomplete: 'off' });
  const type = h('input', { id: 'schedule-type', required: true, list: 'schedule-types', autocomplete: 'off', placeholder: 'noop' });
  const payload = h('textarea', { id: 'schedule-payload', rows: 3, spellcheck: 'false', 'aria-describedby': 'schedule-payload-hint' }, '{}');
  const overlap = h('select', { id: 'schedule-overlap' }, h('option', { value: 'SKIP' }, 'SKIP: skip a tick while the last run goes on'),
    h('option', { value: 'ALLOW' }, 'ALLOW: run anyway'));
  const catchUp = h('select', { id: 'schedule-catch-up' }, h('option', { value: 'SKIP' }, 'SKIP missed ticks'),
    h('option', { value: 'RUN_ONCE' }, 'RUN_ONCE for all missed ticks'));
  const problems = h('ul', { id: 'schedule-problems', class: 'problems error', role: 'alert', hidden: true });
  const form = h('form', { id: 'schedule-form', class: 'create', 'aria-labelledby': 'new-schedule', novalidate: true },
    h('h2', { id: 'new-schedule' }, 'New schedule'),
    problems,
    h('div', { class: 'filters' },
      field('Id', 'schedule-id', id),
      field('Cron', 'schedule-cron', cron, '5 fields (minute hour day month weekday) or @every <n><s|m|h|d>'),
      field('Time zone', 'schedule-zone', zone),
      field('Task type', 'schedule-type', type),
      field('Overlap', 'schedule-overlap', overlap),
      field('Catch-up', 'schedule-catch-up', catchUp)),
    h('div', { class: 'filters' }, field('Payload (JSON object)', 'schedule-payload', payload, 'Handed to each run\'s task.'),
      h('button', { type: 'submit', class: 'primary' }, 'Create schedule')),
    h('datalist', { id: 'schedule-zones' }, zones.map((z) => h('option', { value: z }))),
    h('datalist', { id: 'schedule-types' }, types.map((t) => h('option', { value: t }))));

  function show(list) {
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    fill(problems, list.map((p) => h('li', {}, p)));
    problems.hidden = !list.length;
    for (const p of list) {
      const match = FIELD_OF.find(([prefix]) => p.startsWith(prefix));
      if (match) document.getElementById(match[1]).setAttribute('aria-invalid', 'true');
    }
    const first = form.querySelector('[aria-invalid]');
    if (first) first.focus();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let taskPayload;
    try {
      taskPayload = payload.value.trim() ? JSON.parse(payload.value) : {};
    } catch (err) {
      show([`task.payload is not valid JSON: ${err.message}`]);
      return;
    }
    const body = { id: id.value.trim(), cron: cron.value.trim(), timeZone: zone.value.trim() || 'UTC',
      task: { type: type.value.trim(), payload: taskPayload }, overlap: overlap.value, catchUp: catchUp.value };
    try {
      const created = await api('POST', '/api/v1/schedules', body);
      show([]);
      goAndSay(`#/schedules/${encodeURIComponent(created.id)}`,
        `Schedule ${created.id} is ${created.status}; next run ${time(created.nextFireTimes[0])}.`);
    } catch (err) {
      if (err instanceof ApiError && err.details && Array.isArray(err.details.problems)) show(err.details.problems);
      else show([err instanceof ApiError ? `${err.message} (${err.status} ${err.code || ''})` : String(err)]);
    }
  });
  return form;
}

function listing(root) {
  const tbody = h('tbody', { id: 'schedule-rows' }, h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'Loading…')));
  const formBox = h('div');
  root.append(
    h('table', {}, h('caption', {}, 'In the order created'),
      h('thead', {}, h('tr', {}, ['Schedule', 'Cron', 'Time zone', 'Status', 'Next fire times', 'Runs', 'Skipped', 'Task type', 'Runs on']
        .map((c) => h('th', { scope: 'col', class: c === 'Runs' || c === 'Skipped' ? 'num' : null }, c)))), tbody),
    formBox);
  // The task types offered in the form are those with a breaker: every configured type has one.
  api('GET', '/api/v1/circuit-breakers').then((r) => r.circuitBreakers.map((b) => b.type).sort(), () => [])
    .then((types) => fill(formBox, createForm(types)));
  let timer = null;
  let stopped = false;
  let loaded = false;
  async function draw() {
    try {
      const { schedules } = await api('GET', '/api/v1/schedules');
      if (stopped) return;
      if (!loaded) tbody.replaceChildren();
      loaded = true;
      rows(tbody, schedules);
    } catch (e) {
      if (!loaded) fill(tbody, h('tr', {}, h('td', { colspan: 9, class: 'error' }, e.message)));
    }
    if (!stopped) timer = setTimeout(draw, REFRESH_MS);
  }
  draw();
  return () => { stopped = true; clearTimeout(timer); };
}

// ------------------------------------------------------------------ one schedule

function schedulePage(root, id) {
  const body = h('div', { id: 'schedule' }, h('p', { class: 'muted' }, 'Loading…'));
  root.querySelector('h1').textContent = 'Schedule';
  root.append(h('p', {}, h('a', { href: '#/schedules' }, '← All schedules')), body);
  let timer = null;
  let stopped = false;
  const path = `/api/v1/schedules/${encodeURIComponent(id)}`;

  async function change(title, what, button, action, done) {
    if (!await confirmAction(title, what, button)) return;
    await act(action, done);
    draw();
  }

  function buttons(s) {
    const active = s.status === 'ACTIVE';
    const pause = h('button', { type: 'button', disabled: !active }, 'Pause');
    pause.addEventListener('click', () => change(`Pause schedule ${s.id}?`, 'It fires nothing until resumed; triggering it by hand still works.',
      'Pause', () => api('POST', `${path}/pause`), (v) => `Schedule ${v.id} is ${v.status}.`));
    const resume = h('button', { type: 'button', disabled: s.status !== 'PAUSED' }, 'Resume');
    resume.addEventListener('click', () => change(`Resume schedule ${s.id}?`, 'It goes on from the next tick; ticks that fell while it was paused are not caught up.',
      'Resume', () => api('POST', `${path}/resume`), (v) => `Schedule ${v.id} is ${v.status}.`));
    const trigger = h('button', { type: 'button', disabled: s.status === 'DELETED' }, 'Trigger now');
    trigger.addEventListener('click', () => change(`Trigger schedule ${s.id} now?`,
      `A ${s.task.type} task is submitted at once, whatever the ticks, the pause and the overlap policy say.`,
      'Trigger now', () => api('POST', `${path}/trigger`), (t) => `Task ${t.id} submitted.`));
    const remove = h('button', { type: 'button', class: 'danger', disabled: s.status === 'DELETED' }, 'Delete');
    remove.addEventListener('click', async () => {
      if (!await confirmAction(`Delete schedule ${s.id}?`, 'It fires no more, for good; the tasks it submitted stay as they are.', 'Delete')) return;
      const deleted = await act(() => api('DELETE', path), (v) => `Schedule ${v.id} is ${v.status}.`);
      if (deleted) goAndSay('#/schedules', `Schedule ${deleted.id} is ${deleted.status}.`);
    });
    return h('div', { class: 'toolbar', id: 'schedule-actions' }, pause, resume, trigger, remove);
  }

  // Drawn in parts, each only when what it shows changed: the counts and runs move every tick,
  // the buttons only with the status, so that a button the operator is on keeps the focus.
  const head = h('div');
  const facts = h('div');
  const runs = h('div');
  let shown = false;
  async function draw() {
    clearTimeout(timer);
    let s;
    try {
      s = await api('GET', path);
    } catch (e) {
      if (stopped) return;
      fill(body, h('p', { class: 'error' }, e.message));
      shown = false;
      // Gone is gone; anything else (a shard moving, a timeout) may pass: ask again.
      if (e.status !== 404) timer = setTimeout(draw, 2 * REFRESH_MS);
      return;
    }
    if (stopped) return;
    if (!document.getElementById('confirm').open) {
      if (!shown) fill(body, head, facts, runs);
      shown = true;
      refill(head, [s.id, s.status, s.task.type], () => [
        h('div', { class: 'task-head' }, h('h2', { id: 'schedule-id-title' }, s.id), h('span', { id: 'schedule-status' }, badge(s.status))),
        buttons(s)]);
      const { recentRuns, ...rest } = s;
      refill(facts, rest, () => h('div', { class: 'columns' },
        h('dl', { class: 'facts' },
          h('dt', {}, 'Cron'), h('dd', {}, h('code', {}, s.cron), ' in ', s.timeZone),
          h('dt', {}, 'Task'), h('dd', {}, s.task.type, `, priority ${s.task.priority}`),
          h('dt', {}, 'Overlap'), h('dd', {}, s.overlap),
          h('dt', {}, 'Catch-up'), h('dd', {}, s.catchUp),
          h('dt', {}, 'Runs'), h('dd', { id: 'schedule-fired' }, number(s.fired)),
          h('dt', {}, 'Skipped ticks'), h('dd', { id: 'schedule-skipped' }, number(s.skipped)),
          h('dt', {}, 'Last tick'), h('dd', {}, time(s.lastTick)),
          h('dt', {}, 'Runs on'), h('dd', { class: 'node' }, s.hostedBy || '–'),
          h('dt', {}, 'Created'), h('dd', {}, time(s.createdAt)),
          h('dt', {}, 'Updated'), h('dd', {}, time(s.updatedAt))),
        h('section', { 'aria-labelledby': 'next-fires' }, h('h2', { id: 'next-fires' }, 'Next fire times'), fireTimes(s, 5),
          h('h2', {}, 'Payload'), h('pre', {}, JSON.stringify(s.task.payload, null, 2)))));
      const latest = recentRuns.slice().reverse();
      refill(runs, [recentRuns, s.fired], () => h('table', { id: 'schedule-runs' },
        h('caption', {}, `Latest runs, newest first (${latest.length} shown of ${number(s.fired)})`),
        h('thead', {}, h('tr', {}, ['Tick', 'Kind', 'Fired at', 'Task'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, latest.length ? latest.map((r) => h('tr', { 'data-task': r.taskId },
          h('td', {}, time(r.tick)), h('td', {}, badge(r.kind)), h('td', {}, time(r.firedAt)),
          h('td', {}, h('a', { href: `#/tasks/${r.taskId}`, class: 'mono' }, r.taskId))))
          : h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No runs yet.')))));
    }
    if (!stopped && s.status !== 'DELETED') timer = setTimeout(draw, REFRESH_MS);
  }
  draw();
  return () => { stopped = true; clearTimeout(timer); };
}

export default {
  path: 'schedules',
  title: 'Schedules',
  show(root, route) {
    if (route.rest[0]) return schedulePage(root, route.rest[0]);
    return listing(root);
  },
};
