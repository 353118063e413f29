// Broker status: the concurrency limit with its − / + controls, what runs and waits, counts by
// state, launchers.
import type { BrokerJson, JobState } from '../../contract/types.js';
import { ago, badge, fill, h } from './dom.js';

export interface BrokerActions {
  concurrency(delta: 1 | -1): Promise<void>;
}

const ORDER: JobState[] = ['waiting', 'pending', 'running', 'succeeded', 'failed', 'timed_out', 'dead', 'oom', 'cancelled', 'lost'];

export function renderBroker(el: HTMLElement, b: BrokerJson, actions: BrokerActions): void {
  const stat = (label: string, value: string | number, extra?: HTMLElement | null) =>
    h('div', { class: 'stat' }, h('span', { class: 'stat-value' }, String(value)), h('span', { class: 'stat-label' }, label), extra ?? null);
  fill(
    el,
    h(
      'div',
      { class: 'stats' },
      h(
        'div',
        { class: 'stat concurrency' },
        h(
          'div',
          { class: 'stepper' },
          h('button', { type: 'button', class: 'step', 'aria-label': 'decrease concurrency', title: 'decrease concurrency', disabled: b.concurrency === 0, onclick: () => void actions.concurrency(-1) }, '−'),
          h('span', { class: 'stat-value', 'data-concurrency': b.concurrency }, String(b.concurrency)),
          h('button', { type: 'button', class: 'step', 'aria-label': 'increase concurrency', title: 'increase concurrency', onclick: () => void actions.concurrency(+1) }, '+'),
        ),
        h('span', { class: 'stat-label' }, b.paused ? 'concurrency (paused)' : 'concurrency'),
      ),
      stat('running', b.running),
      stat('pending', b.pending),
      stat('urgent pending', b.pending_urgent),
      stat('waiting', b.waiting ?? 0),
    ),
    h(
      'p',
      { class: 'counts' },
      ORDER.filter((s) => s === 'pending' || s === 'running' || b.counts[s] > 0).map((s) => h('span', { class: 'count-item' }, badge(s), ` ${b.counts[s]}`)),
      h('span', { class: 'muted' }, ` · urgent bypass ${b.urgent_bypass ? 'on' : 'off'}`),
    ),
    b.launchers.length
      ? h(
          'p',
          { class: 'launchers muted' },
          'Launchers: ',
          b.launchers.map((l, i) => [i ? ', ' : '', h('span', { title: `last seen ${ago(l.last_seen_at)}` }, `${l.name} on ${l.host} (${l.running}/${l.slots})${l.state === 'silent' ? ` silent for ${l.silent_s} s` : l.state === 'gone' ? ` gone, silent for ${l.silent_s} s` : l.exiting ? ' exiting' : ''}`)]),
        )
      : null,
  );
}
