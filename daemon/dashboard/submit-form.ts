// Submit a job: a command line, an optional working directory, the urgent queue or not. What
// it did is said in the form itself (a floating notice would cover the job it opens).
import type { JobJson } from '../../contract/types.js';
import { api } from './api.js';
import { h } from './dom.js';

const HINT = 'Runs as a shell command line (/bin/sh -c) in that directory. Urgent jobs start before every normal one.';

export function submitForm(onSubmitted: (job: JobJson) => void, onError: (message: string) => void): HTMLElement {
  const command = h('input', { name: 'command', required: true, placeholder: 'command, e.g. make -C /srv/site all', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'command' });
  const cwd = h('input', { name: 'cwd', placeholder: "directory (default: the daemon's)", autocomplete: 'off', spellcheck: 'false', 'aria-label': 'working directory' });
  const urgent = h('input', { type: 'checkbox', name: 'urgent' });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Submit');
  const form = h('form', { class: 'submit' }, command, cwd, h('label', { class: 'check' }, urgent, ' urgent'), send);
  const hint = h('p', { class: 'hint muted', role: 'status' }, HINT);
  const box = h('div', null, h('h3', null, 'Submit a job'), form, hint);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body: { command: string; cwd?: string; queue: 'urgent' | 'normal' } = { command: command.value.trim(), queue: urgent.checked ? 'urgent' : 'normal' };
    if (!body.command) return;
    if (cwd.value.trim()) body.cwd = cwd.value.trim();
    send.disabled = true;
    api<JobJson>('POST', 'jobs', body)
      .then((job) => {
        command.value = '';
        hint.textContent = `Submitted job …${job.id.slice(-8)}: ${job.command ?? ''}`;
        hint.dataset.submitted = job.id;
        onSubmitted(job);
      })
      .catch((err: Error) => onError(`Submit failed: ${err.message}`))
      .finally(() => (send.disabled = false));
  });
  return box;
}
