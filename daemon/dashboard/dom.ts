// A small element builder and the text formats of the page. Browser code: no Node imports.

export type Child = Node | string | number | null | undefined | false | Child[];
type Prop = string | number | boolean | null | undefined | ((e: Event) => void);

/**
 * h('button', {class: 'x', onclick: fn, disabled: true}, 'Stop'): `on*` props are listeners,
 * booleans toggle attributes, everything else is an attribute. Strings become text nodes,
 * never HTML, so a job's command or a worker's info cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Record<string, Prop> | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k === 'className' ? 'class' : k, String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces every child of `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** "4 s ago", "3 min ago", "2 h ago"; "never" for null. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** "in 12 s", "in 3 min" for a time to come; "now" once it has passed. */
export function until(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  return ms <= 500 ? 'now' : `in ${duration(ms).replace(/^(\d+)\.\d s$/, '$1 s')}`;
}

/** What remains until `iso`, counting down: "42 s", "12 min 5 s", "3 h 7 min"; "0 s" once passed. */
export function left(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((Date.parse(iso) - now) / 1000));
  return s < 60 ? `${s} s` : duration(s * 1000);
}

/** 850 ms, 4.2 s, 3 min 12 s, 2 h 5 min. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Time between two ISO stamps (the second defaults to now); '' when the first is missing. */
export function between(from: string | null, to: string | null, now = Date.now()): string {
  if (!from) return '';
  return duration((to ? Date.parse(to) : now) - Date.parse(from));
}

/**
 * A relative time that keeps moving: the element carries its timestamp and `tickTimes` renders
 * it again every second, with no fetch. `ago` ("4 s ago"), `since` (time run so far), `until`
 * ("in 12 s"), `left` (a countdown: "12 min 5 s").
 */
export function liveTime(kind: 'ago' | 'since' | 'until' | 'left', iso: string | null, now = Date.now()): HTMLElement {
  const el = h('span', { class: 'live-time', title: localTime(iso) });
  if (iso) el.dataset[kind] = iso;
  el.textContent = timeText(el, now);
  return el;
}

function timeText(el: HTMLElement, now: number): string {
  const d = el.dataset;
  if (d.ago !== undefined) return ago(d.ago, now);
  if (d.since !== undefined) return between(d.since, null, now);
  if (d.until !== undefined) return until(d.until, now);
  if (d.left !== undefined) return left(d.left, now);
  return ago(null);
}

/** Renders every live time under `root` for `now`. */
export function tickTimes(root: ParentNode = document, now = Date.now()): void {
  for (const el of root.querySelectorAll<HTMLElement>('.live-time')) {
    const t = timeText(el, now);
    if (el.textContent !== t) el.textContent = t;
  }
}

/** CPU and memory of a process tree: "12 % · 45.1 MiB"; "–" before the first sample. */
export function usageText(u: { cpu_percent: number; rss_bytes: number } | null): string {
  return u ? `${u.cpu_percent.toFixed(0)} % · ${bytes(u.rss_bytes)}` : '–';
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function localTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '–';
}

/** A coloured label for a task or job state (colours in style.css by data-state). */
export function badge(state: string): HTMLElement {
  return h('span', { class: 'badge', 'data-state': state }, state.replace('_', ' '));
}

/**
 * A button that asks for a second click before a disruptive action (stop a task, kill a job),
 * instead of a modal confirm() that blocks the page.
 */
export function confirmButton(label: string, confirmLabel: string, action: () => void, cls = 'danger'): HTMLButtonElement {
  const b = h('button', { type: 'button', class: cls }, label);
  let armed: ReturnType<typeof setTimeout> | undefined;
  b.addEventListener('click', () => {
    if (armed === undefined) {
      b.textContent = confirmLabel;
      b.classList.add('armed');
      armed = setTimeout(() => {
        armed = undefined;
        b.textContent = label;
        b.classList.remove('armed');
      }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = undefined;
    b.textContent = label;
    b.classList.remove('armed');
    action();
  });
  return b;
}
