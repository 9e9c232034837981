// Dead letters: the queue with filters, counts by type and by error, redrive one or a selection
// (optionally with another retry policy), redrive all that match, and purge older than N hours,
// each change after a confirmation.
import { act, api, confirmAction, fill, go, h, number, query, time } from '../core.js';

function field(label, id, control) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function counts(caption, map) {
  const entries = Object.entries(map || {});
  return h('table', { class: 'compact' }, h('caption', {}, caption),
    h('tbody', {}, entries.length ? entries.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, number(v))))
      : h('tr', {}, h('td', { class: 'muted' }, 'none'))));
}

export default {
  path: 'dead-letters',
  title: 'Dead letters',
  show(root, route) {
    const params = route.params;
    const type = h('input', { id: 'dl-type', value: params.type || '', placeholder: 'any' });
    const errorType = h('input', { id: 'dl-error', value: params.errorType || '', placeholder: 'any' });
    const filters = h('form', { class: 'filters', role: 'search' },
      field('Task type', 'dl-type', type), field('Error type', 'dl-error', errorType),
      h('button', { type: 'submit', class: 'primary' }, 'Apply'));
    filters.addEventListener('submit', (e) => {
      e.preventDefault();
      go(`#/dead-letters${query({ type: type.value.trim(), errorType: errorType.value.trim() })}`);
    });

    // Another retry policy for redrives, left empty to keep each task's own.
    const maxAttempts = h('input', { id: 'policy-max-attempts', type: 'number', min: 1, max: 1000, placeholder: 'keep' });
    const initialDelay = h('input', { id: 'policy-initial-delay', type: 'number', min: 0, placeholder: 'keep' });
    const strategy = h('select', { id: 'policy-strategy' }, h('option', { value: '' }, 'keep'),
      ['fixed', 'linear', 'exponential'].map((s) => h('option', { value: s }, s)));
    const policy = h('details', { class: 'policy' }, h('summary', {}, 'Redrive with another retry policy'),
      h('div', { class: 'filters' }, field('Max attempts', 'policy-max-attempts', maxAttempts),
        field('Initial delay (ms)', 'policy-initial-delay', initialDelay), field('Strategy', 'policy-strategy', strategy)));
    const retryPolicy = () => {
      const p = {};
      if (maxAttempts.value) p.maxAttempts = Number(maxAttempts.value);
      if (initialDelay.value) p.initialDelayMs = Number(initialDelay.value);
      if (strategy.value) p.strategy = strategy.value;
      return Object.keys(p).length ? { retryPolicy: p } : {};
    };

    const stats = h('div', { class: 'columns', id: 'dl-stats' });
    const rows = h('tbody', { id: 'dl-rows' });
    const selectAll = h('input', { type: 'checkbox', id: 'dl-select-all', 'aria-label': 'Select every dead letter on this page' });
    const redriveSelected = h('button', { type: 'button', class: 'primary', id: 'dl-redrive-selected' }, 'Redrive selected');
    const redriveMatching = h('button', { type: 'button', id: 'dl-redrive-matching' }, 'Redrive all that match');
    const hours = h('input', { id: 'purge-hours', type: 'number', min: 0, step: 'any', value: '24', required: true });
    const purge = h('form', { class: 'filters', id: 'purge' }, field('Purge entries older than (hours)', 'purge-hours', hours),
      h('button', { type: 'submit', class: 'danger' }, 'Purge'));
    const pager = h('div', { class: 'pager' });
    root.append(filters, stats, policy,
      h('div', { class: 'toolbar' }, redriveSelected, redriveMatching),
      h('table', {}, h('caption', {}, 'Newest first'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, selectAll),
          ['Task', 'Type', 'Error', 'Message', 'Attempts', 'Dead-lettered', ''].map((c) => h('th', { scope: 'col' }, c)))),
        rows),
      pager, h('h2', {}, 'Purge'), purge);

    const filter = { type: params.type, errorType: params.errorType };
    const cursors = [];
    async function draw(after) {
      const [page, s] = await Promise.all([api('GET', `/api/v1/dead-letters${query({ ...filter, limit: 50, after })}`),
        api('GET', '/api/v1/dead-letters/stats')]);
      fill(stats, h('p', { id: 'dl-total' }, `${number(s.total)} dead letters in the queue (kept by node ${s.hostedBy || '–'}).`),
        counts('By task type', s.byType), counts('By error type', s.byErrorType));
      selectAll.checked = false;
      fill(rows, page.entries.length ? page.entries.map((d) => {
        const redrive = h('button', { type: 'button' }, 'Redrive');
        redrive.addEventListener('click', () => redriveTasks([d.taskId]));
        return h('tr', { 'data-task': d.taskId },
          h('td', {}, h('input', { type: 'checkbox', class: 'pick', value: d.taskId, 'aria-label': `Select ${d.taskId}` })),
          h('td', {}, h('a', { href: `#/tasks/${d.taskId}`, class: 'mono' }, d.taskId)),
          h('td', {}, d.type), h('td', {}, d.errorType), h('td', { class: 'message' }, d.errorMessage),
          h('td', { class: 'num' }, d.attempts), h('td', {}, time(d.deadLetteredAt)), h('td', {}, redrive));
      }) : h('tr', {}, h('td', { colspan: 8, class: 'muted', id: 'dl-empty' }, 'No dead letters match.')));
      const previous = h('button', { type: 'button', disabled: cursors.length === 0 }, 'Previous page');
      previous.addEventListener('click', () => { cursors.pop(); draw(cursors[cursors.length - 1]); });
      const next = h('button', { type: 'button', disabled: !page.nextCursor }, 'Next page');
      next.addEventListener('click', () => { cursors.push(page.nextCursor); draw(page.nextCursor); });
      fill(pager, previous, h('span', {}, `Page ${cursors.length + 1}`), next);
    }

    async function redriveTasks(ids) {
      if (!ids.length) return;
      const body = retryPolicy();
      const how = body.retryPolicy ? ` with retry policy ${JSON.stringify(body.retryPolicy)}` : ' with their own retry policy';
      if (!await confirmAction(`Redrive ${ids.length} task${ids.length > 1 ? 's' : ''}?`,
        `They run again with a fresh attempt budget${how}.`, 'Redrive')) return;
      // One request per task, as a script would send them: each is checked and answered alone.
      const results = await Promise.allSettled(ids.map((id) => api('POST', `/api/v1/dead-letters/${id}/retry`, body)));
      const failed = results.filter((r) => r.status === 'rejected');
      await act(async () => {
        if (failed.length) throw failed[0].reason;
      }, `Redriven: ${ids.length} task${ids.length > 1 ? 's' : ''}.`);
      draw(cursors[cursors.length - 1]);
    }

    selectAll.addEventListener('change', () => {
      for (const box of rows.querySelectorAll('.pick')) box.checked = selectAll.checked;
    });
    redriveSelected.addEventListener('click', () => redriveTasks([...rows.querySelectorAll('.pick:checked')].map((b) => b.value)));
    redriveMatching.addEventListener('click', async () => {
      const which = [filter.type && `type ${filter.type}`, filter.errorType && `error ${filter.errorType}`].filter(Boolean).join(', ') || 'every entry';
      if (!await confirmAction('Redrive all that match?', `Every dead letter matching ${which} runs again with its own retry policy.`, 'Redrive all')) return;
      await act(() => api('POST', `/api/v1/dead-letters/retry${query(filter)}`), (r) => `Redriven: ${r.redriven} tasks.`);
      draw();
    });
    purge.addEventListener('submit', async (e) => {
      e.preventDefault();
      const n = hours.value;
      if (!await confirmAction('Purge dead letters?', `Every dead letter${filter.type ? ` of type ${filter.type}` : ''} older than ${n} hours is removed for good; its task stays DEAD_LETTERED.`, 'Purge')) return;
      await act(() => api('DELETE', `/api/v1/dead-letters${query({ olderThanHours: n, type: filter.type })}`), (r) => `Purged: ${r.purged} dead letters.`);
      draw();
    });
    draw().catch((e) => fill(rows, h('tr', {}, h('td', { colspan: 8, class: 'error' }, e.message))));
    return () => {};
  },
};
