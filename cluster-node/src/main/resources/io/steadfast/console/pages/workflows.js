// Workflows: the listing from the read side, filtered by status and name and keyset-paged; and a
// workflow's page with its counts, its steps drawn stage by stage in dependency order (a step's
// stage is one after the latest of the steps it depends on), every step's readiness, what it
// waits for, its attempts, error and result, a link to its task, and cancel.
import { act, api, badge, confirmAction, duration, fill, go, h, query, refill, time } from '../core.js';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
const STATES = ['WAITING_FOR_DEPENDENCIES', 'READY', 'RUNNING', 'RETRY_WAIT', 'DEFERRED_BY_BREAKER', 'RATE_LIMITED',
  'SUCCEEDED', 'DEAD_LETTERED', 'CANCELLED'];
/** A workflow in these no longer changes: SUCCEEDED and CANCELLED are final (FAILED is left by a redrive). */
const FINAL = new Set(['SUCCEEDED', 'CANCELLED']);
const REFRESH_MS = 2000;

function field(label, id, control) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

async function listing(root, params) {
  const status = h('select', { id: 'wf-filter-status', name: 'status' }, h('option', { value: '' }, 'any'),
    STATUSES.map((s) => h('option', { value: s, selected: params.status === s }, s)));
  const name = h('input', { id: 'wf-filter-name', name: 'name', value: params.name || '', placeholder: 'any' });
  const filters = h('form', { class: 'filters', role: 'search' },
    field('Status', 'wf-filter-status', status), field('Name (exact)', 'wf-filter-name', name),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    go(`#/workflows${query({ status: status.value, name: name.value.trim() })}`);
  });
  const rows = h('tbody', { id: 'workflow-rows' });
  const pager = h('div', { class: 'pager' });
  root.append(h('p', { class: 'hint' }, 'From the read side, a moment behind the workflows themselves; ',
    'submit workflows with POST /api/v1/workflows.'), filters,
  h('table', {}, h('caption', {}, 'Newest first'),
    h('thead', {}, h('tr', {}, ['Workflow', 'Name', 'Status', 'Steps succeeded', 'Created', 'Updated']
      .map((c) => h('th', { scope: 'col' }, c)))), rows), pager);

  const cursors = [];
  const failed = (e) => fill(rows, h('tr', {}, h('td', { colspan: 6, class: 'error' }, String(e.message || e))));
  async function page(after) {
    const result = await api('GET', `/api/v1/workflows${query({ status: params.status, name: params.name, limit: 50, after })}`);
    fill(rows, result.workflows.length ? result.workflows.map((w) => h('tr', { 'data-workflow': w.id },
      h('td', {}, h('a', { href: `#/workflows/${w.id}`, class: 'mono' }, w.id)),
      h('td', {}, w.name), h('td', { class: 'status' }, badge(w.status)),
      h('td', { class: 'num' }, `${w.stepsSucceeded} of ${w.steps}`),
      h('td', {}, time(w.createdAt)), h('td', {}, time(w.updatedAt))))
      : h('tr', {}, h('td', { colspan: 6, class: 'muted', id: 'workflows-empty' }, 'No workflows match.')));
    const previous = h('button', { type: 'button', disabled: cursors.length === 0 }, 'Previous page');
    previous.addEventListener('click', () => { cursors.pop(); page(cursors[cursors.length - 1]).catch(failed); });
    const next = h('button', { type: 'button', disabled: !result.nextCursor }, 'Next page');
    next.addEventListener('click', () => { cursors.push(result.nextCursor); page(result.nextCursor).catch(failed); });
    fill(pager, previous, h('span', {}, `Page ${cursors.length + 1}`), next);
  }
  await page(undefined).catch(failed);
}

// ------------------------------------------------------------------ one workflow

/** Each step's stage: 0 without dependencies, else one more than its latest dependency's. */
function stages(steps) {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const stage = new Map();
  const of = (step, seen) => {
    if (stage.has(step.name)) return stage.get(step.name);
    if (seen.has(step.name)) return 0; // the API refuses cycles; never loop on one anyway
    seen.add(step.name);
    const deps = step.dependsOn.map((d) => byName.get(d)).filter(Boolean);
    const n = deps.length ? 1 + Math.max(...deps.map((d) => of(d, seen))) : 0;
    stage.set(step.name, n);
    return n;
  };
  const levels = [];
  for (const step of steps) (levels[of(step, new Set())] ||= []).push(step);
  return levels.filter(Boolean);
}

function taskLink(step) {
  if (!step.taskId) return h('span', { class: 'muted' }, 'not started');
  return h('a', { href: `#/tasks/${step.taskId}`, class: 'mono', title: step.taskId },
    step.taskId.slice(0, 8), h('span', { class: 'visually-hidden' }, ` (task of step ${step.name})`));
}

/** What a step waits for, in words: the dependencies not succeeded, the ended ones first. */
function waits(step) {
  if (step.blockedBy.length) {
    const others = step.waitingFor.filter((d) => !step.blockedBy.includes(d));
    return h('span', {}, h('strong', { class: 'error' }, `blocked by ${step.blockedBy.join(', ')}`),
      ' (ended without success; redrive to go on)', others.length ? `; also waits for ${others.join(', ')}` : '');
  }
  if (step.waitingFor.length) return `waits for ${step.waitingFor.join(', ')}`;
  return h('span', { class: 'muted' }, step.dependsOn.length ? 'dependencies succeeded' : 'no dependencies');
}

function next(step) {
  const parts = [];
  if (step.nextAttemptAt) parts.push(time(step.nextAttemptAt));
  if (step.retryAfterMs !== null && step.retryAfterMs !== undefined) parts.push(`asked to wait ${duration(step.retryAfterMs)}`);
  if (step.state === 'RETRY_WAIT' || step.state === 'DEFERRED_BY_BREAKER') {
    parts.push(step.eligibleToRetry ? 'comes by itself' : 'not by itself');
  }
  return parts.length ? parts.join(', ') : '–';
}

function ran(step) {
  if (!step.startedAt) return '–';
  const end = step.endedAt ? Date.parse(step.endedAt) : Date.now();
  return `${time(step.startedAt)} (${step.endedAt ? '' : 'for '}${duration(end - Date.parse(step.startedAt))})`;
}

function result(step) {
  if (step.result === null || step.result === undefined) return h('span', { class: 'muted' }, '–');
  const text = JSON.stringify(step.result);
  if (text.length <= 40) return h('code', {}, text);
  return h('details', { class: 'result' }, h('summary', {}, h('code', {}, `${text.slice(0, 32)}…`)),
    h('pre', {}, JSON.stringify(step.result, null, 2)));
}

function graph(levels) {
  return h('ol', { class: 'graph', id: 'workflow-graph', 'aria-label': 'Steps by stage, in dependency order' },
    levels.map((level, i) => h('li', { class: 'stage' },
      h('h3', {}, `Stage ${i + 1}`, h('span', { class: 'muted' }, i === 0 ? ' · no dependencies' : ` · after stage ${i}`)),
      h('ul', {}, level.map((s) => h('li', { class: `step-card c-${s.state.toLowerCase().replace(/_/g, '-')}`, 'data-step': s.name },
        h('div', { class: 'step-name' }, s.taskId ? h('a', { href: `#/tasks/${s.taskId}` }, s.name) : h('strong', {}, s.name),
          ' ', badge(s.state)),
        h('div', { class: 'muted' }, s.type, s.dependsOn.length ? ` · after ${s.dependsOn.join(', ')}` : '')))))));
}

function stepsTable(levels) {
  return h('table', { class: 'steps', 'aria-labelledby': 'steps-title' },
    h('thead', {}, h('tr', {}, ['Step', 'Type', 'State', 'Waits for', 'Attempts', 'Next attempt', 'Ran', 'Last error', 'Result', 'Task']
      .map((c) => h('th', { scope: 'col' }, c)))),
    levels.map((level, i) => h('tbody', {},
      h('tr', { class: 'stage-row' }, h('th', { scope: 'rowgroup', colspan: 10 }, `Stage ${i + 1}`)),
      level.map((s) => h('tr', { 'data-step': s.name },
        h('th', { scope: 'row' }, s.name),
        h('td', {}, s.type),
        h('td', { class: 'state' }, badge(s.state)),
        h('td', {}, waits(s)),
        h('td', { class: 'num' }, `${s.attempts} of ${s.maxAttempts}`),
        h('td', {}, next(s)),
        h('td', {}, ran(s)),
        h('td', { class: 'message' }, s.lastError ? h('span', { class: 'error' }, `${s.lastError.type}: ${s.lastError.message}`) : '–'),
        h('td', { class: 'message' }, result(s)),
        h('td', { class: 'task' }, taskLink(s)))))));
}

function workflowPage(root, id) {
  const body = h('div', { id: 'workflow' }, h('p', { class: 'muted' }, 'Loading…'));
  root.querySelector('h1').textContent = 'Workflow';
  root.append(h('p', {}, h('a', { href: '#/workflows' }, '← All workflows')), body);
  let timer = null;
  let stopped = false;
  const head = h('div');
  const rest = h('div');
  let shown = false;
  async function draw() {
    clearTimeout(timer);
    let wf;
    try {
      wf = await api('GET', `/api/v1/workflows/${encodeURIComponent(id)}`);
    } catch (e) {
      if (stopped) return;
      fill(body, h('p', { class: 'error' }, e.message));
      shown = false;
      // Gone is gone; anything else (a shard moving, a timeout) may pass: ask again.
      if (e.status !== 404) timer = setTimeout(draw, 2 * REFRESH_MS);
      return;
    }
    if (stopped) return;
    // Keep the page as it is while a dialog is open on it. The head (with the cancel button)
    // is redrawn only when the status changes, so that the button keeps the focus.
    if (!document.getElementById('confirm').open) {
      if (!shown) fill(body, head, rest);
      shown = true;
      refill(head, [wf.id, wf.name, wf.status], () => {
        const cancel = h('button', { type: 'button', class: 'danger', disabled: FINAL.has(wf.status) }, 'Cancel workflow');
        cancel.addEventListener('click', async () => {
          if (await confirmAction('Cancel this workflow?', `Workflow ${wf.name} (${wf.id}): steps not started never start; `
            + 'running steps are cancelled like any task and end with their attempt.', 'Cancel workflow')) {
            await act(() => api('POST', `/api/v1/workflows/${wf.id}/cancel`), (w) => `Workflow ${w.name} is ${w.status}.`);
            draw();
          }
        });
        return h('div', { class: 'task-head' }, h('h2', { id: 'workflow-name' }, wf.name),
          h('span', { id: 'workflow-status' }, badge(wf.status)), cancel);
      });
      const levels = stages(wf.steps);
      const succeeded = wf.stepsByState.SUCCEEDED || 0;
      refill(rest, wf, () => [
        h('dl', { class: 'facts' },
          h('dt', {}, 'Id'), h('dd', { class: 'mono', id: 'workflow-id' }, wf.id),
          h('dt', {}, 'Idempotency key'), h('dd', {}, wf.idempotencyKey || '–'),
          h('dt', {}, 'Steps succeeded'), h('dd', { id: 'workflow-progress' }, `${succeeded} of ${wf.steps.length}`),
          h('dt', {}, 'Created'), h('dd', {}, time(wf.createdAt)),
          h('dt', {}, 'Updated'), h('dd', {}, time(wf.updatedAt)),
          h('dt', {}, 'Ended'), h('dd', {}, wf.endedAt ? `${time(wf.endedAt)} (after ${duration(Date.parse(wf.endedAt) - Date.parse(wf.createdAt))})` : '–')),
        h('section', { 'aria-labelledby': 'step-counts' }, h('h2', { id: 'step-counts' }, 'Steps by state'),
          h('ul', { class: 'counts', id: 'workflow-counts' }, STATES.map((s) => h('li', { class: wf.stepsByState[s] ? '' : 'zero' },
            badge(s), ' ', h('span', { class: 'value', 'data-state': s }, String(wf.stepsByState[s] || 0)))))),
        h('section', { 'aria-labelledby': 'graph-title' }, h('h2', { id: 'graph-title' }, 'Graph'), graph(levels)),
        h('section', { 'aria-labelledby': 'steps-title' }, h('h2', { id: 'steps-title' }, 'Steps, stage by stage'), stepsTable(levels))]);
    }
    // Watch a workflow that can still change.
    if (!stopped && !FINAL.has(wf.status)) timer = setTimeout(draw, REFRESH_MS);
  }
  draw();
  return () => { stopped = true; clearTimeout(timer); };
}

export default {
  path: 'workflows',
  title: 'Workflows',
  show(root, route) {
    if (route.rest[0]) return workflowPage(root, route.rest[0]);
    listing(root, route.params).catch((e) => root.append(h('p', { class: 'error' }, String(e.message || e))));
    return () => {};
  },
};
