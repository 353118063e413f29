// What execve can take: a job's program, arguments and environment are C strings, so a NUL
// byte cannot be in one, and an environment entry is NAME=value, so a name cannot be empty or
// hold `=`. Such a job could never start as submitted (and once reached a spawn helper as a
// request it could not handle): every submit is checked here, after a sweep's values are put
// in, before anything is stored. Pure.
import { BlError } from '../../../contract/errors.js';
import type { NewJob } from '../types.js';

const NUL = '\0';

/** Why `j` cannot be started as it is, naming the field and what was expected; undefined: it can. */
export function spawnRefusal(j: NewJob): string | undefined {
  if (j.command !== null && j.command.includes(NUL)) return `expected \`command\` without a NUL byte (\\u0000), found one at character ${j.command.indexOf(NUL)}`;
  if (j.argv) {
    const i = j.argv.findIndex((a) => a.includes(NUL));
    if (i >= 0) return `expected \`argv[${i}]\` without a NUL byte (\\u0000), found one at character ${j.argv[i]!.indexOf(NUL)}`;
  }
  if (j.cwd.includes(NUL)) return 'expected `cwd` without a NUL byte (\\u0000), found one';
  for (const [name, value] of Object.entries(j.env)) {
    if (name === '') return 'expected `env` names to be non-empty, found an empty name';
    if (name.includes('=')) return `expected \`env\` names without \`=\`, found ${JSON.stringify(name)}`;
    if (name.includes(NUL)) return `expected \`env\` names without a NUL byte (\\u0000), found ${JSON.stringify(name)}`;
    if (value.includes(NUL)) return `expected \`env.${name}\` without a NUL byte (\\u0000), found one at character ${value.indexOf(NUL)}`;
  }
  return undefined;
}

/** A 400 for the first job of a submit that cannot start (then nothing of the submit is stored). */
export function checkSpawnable(jobs: readonly NewJob[]): void {
  for (let i = 0; i < jobs.length; i++) {
    const why = spawnRefusal(jobs[i]!);
    if (why === undefined) continue;
    const combo = jobs[i]!.params ? ` (the sweep's combination ${JSON.stringify(jobs[i]!.params)})` : '';
    const which = jobs.length > 1 ? `job ${i + 1} of ${jobs.length}${combo}: ` : combo ? `job${combo}: ` : '';
    throw new BlError('bad_value', `${which}${why}; nothing was submitted`);
  }
}
