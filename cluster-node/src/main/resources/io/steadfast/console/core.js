// What every page shares: the API with the operator's token, the live event stream, building
// DOM nodes without HTML strings (task payloads and error messages are data, never markup), the
// confirmation dialog, notices and time formatting.

const TOKEN_KEY = 'steadfast.token';

/** An answer of the API that is not 2xx: its status and its JSON error body. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.details = body && body.details;
  }
}

let signingIn = null;

/** Asks for the token (once for all callers waiting on it) and keeps it in this tab. */
function signIn(message) {
  if (signingIn) return signingIn;
  const dialog = document.getElementById('sign-in');
  const error = document.getElementById('sign-in-error');
  error.hidden = !message;
  error.textContent = message || '';
  signingIn = new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const token = document.getElementById('token').value.trim();
      sessionStorage.setItem(TOKEN_KEY, token);
      document.getElementById('token').value = '';
      document.getElementById('sign-out').hidden = false;
      signingIn = null;
      resolve();
    }, { once: true });
  });
  dialog.showModal();
  return signingIn;
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
}

function headers(extra) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const all = { Accept: 'application/json', ...extra };
  if (token) all.Authorization = `Bearer ${token}`;
  return all;
}

/**
 * Calls the API; resolves with the JSON body, rejects with an ApiError. A 401 asks for the token
 * and tries again; every other error is the caller's to show.
 */
export async function api(method, path, body) {
  for (;;) {
    const init = { method, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(path, init);
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (response.ok) return json;
    if (response.status === 401) {
      await signIn(sessionStorage.getItem(TOKEN_KEY) ? 'That token was refused; try again.' : '');
      continue;
    }
    throw new ApiError(response.status, json);
  }
}

// ------------------------------------------------------------------ live events

const listeners = new Map(); // event type -> Set of functions
let stream = null; // the AbortController of the open stream, while someone listens

/**
 * Calls fn with each event of `type` from /api/v1/events (stats, throughput, cluster); returns
 * the function that stops it. One stream per tab, open only while a page listens. Read with
 * fetch rather than EventSource, which cannot send the token.
 */
export function live(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  if (!stream) connect();
  return () => {
    listeners.get(type).delete(fn);
    if ([...listeners.values()].every((set) => set.size === 0) && stream) {
      stream.abort();
      stream = null;
      liveStatus('', false);
    }
  };
}

function liveStatus(text, ok) {
  const el = document.getElementById('live');
  el.textContent = text;
  el.classList.toggle('ok', ok);
}

async function connect() {
  const controller = new AbortController();
  stream = controller;
  let delay = 1000;
  while (stream === controller) {
    try {
      const response = await fetch('/api/v1/events', { headers: headers({ Accept: 'text/event-stream' }), signal: controller.signal });
      if (response.status === 401) {
        await signIn('');
        continue;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      liveStatus('live', true);
      delay = 1000;
      await readEvents(response.body, dispatch);
    } catch (e) {
      if (controller.signal.aborted) return;
    }
    liveStatus('reconnecting…', false);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

/** Parses a text/event-stream body: blank-line separated blocks of "event:" and "data:" lines. */
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(type, JSON.parse(data.join('\n')));
    }
  }
}

function dispatch(type, data) {
  for (const fn of listeners.get(type) || []) fn(data);
  if (type === 'unavailable') notify(data.message);
}

// ------------------------------------------------------------------ DOM

/**
 * Builds an element: h('td', {class: 'num'}, 'text', child...). Strings become text nodes, never
 * markup; attributes starting with "on" are listeners.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces what `el` holds with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

/**
 * Fills `el` with what `build` returns only when `data` differs from what it was built from, so
 * that a live page redrawn every few seconds keeps the keyboard focus and the reader's place.
 */
export function refill(el, data, build) {
  const key = JSON.stringify(data);
  if (el.builtFrom === key) return;
  el.builtFrom = key;
  fill(el, build());
}

/** A status as a badge: its text stays readable without colour. */
export function badge(status) {
  const text = String(status);
  return h('span', { class: `badge s-${text.toLowerCase().replace(/_/g, '-')}` }, text);
}

// ------------------------------------------------------------------ dialogs and notices

/** Asks the operator to confirm `what`; resolves true when they do. */
export function confirmAction(title, what, button) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = what;
  document.getElementById('confirm-ok').textContent = button;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
    document.getElementById('confirm-ok').focus();
  });
}

/** Shows a message at the top of the page until the next one or a click. */
export function notify(message, kind = 'error') {
  const el = document.getElementById('notice');
  el.textContent = message;
  el.className = `notice ${kind}`;
  el.hidden = false;
}

export function clearNotice() {
  document.getElementById('notice').hidden = true;
}

/** Runs an action and shows its outcome: `done` on success, the API's message on failure. */
export async function act(action, done) {
  try {
    const result = await action();
    notify(typeof done === 'function' ? done(result) : done, 'ok');
    return result;
  } catch (e) {
    notify(e instanceof ApiError ? `${e.message} (${e.status} ${e.code || ''})` : String(e));
    return undefined;
  }
}

// ------------------------------------------------------------------ formatting

/** An API time as local date and time, to the second. */
export function time(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${d.toLocaleTimeString(undefined, { hour12: false })}`;
}

/** Milliseconds as "1.2 s", "3 min 4 s". */
export function duration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const [h, m, s] = [Math.floor(ms / 3600000), Math.floor((ms % 3600000) / 60000), Math.round((ms % 60000) / 1000)];
  return [h && `${h} h`, m && `${m} min`, s && `${s} s`].filter(Boolean).join(' ');
}

export function number(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US');
}

/**
 * Opens the page at `hash`; when it is the page shown already (a filter applied again), draws it
 * again, so that Apply always shows what the API has now.
 */
export function go(hash) {
  if (new URL(hash, location.href).hash === location.hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

/** A query string from the set values of `params`. */
export function query(params) {
  const set = Object.entries(params).filter(([, v]) => v !== '' && v !== null && v !== undefined);
  return set.length ? `?${new URLSearchParams(set)}` : '';
}
