// Which file a job's program is, for allowed_commands: a word with a `/` against the job's cwd,
// a bare name through the daemon's PATH (absolute folders only: a relative one would mean the
// job's cwd). The folder part is resolved physically (realpath: no `..`, no symlinked folder
// left) and the file name kept, so a multi-call program reached by a link (unxz → xz, echo →
// busybox) keeps the name it runs by; `real` is the file itself, past any link. The job then
// runs `path`, the file checked, not the word it wrote.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';

export type Program = { ok: true; path: string; real: string } | { ok: false; why: string };

function joinDir(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** An absolute path, its folder made real; an executable regular file or why not. */
export function physicalProgram(abs: string): Program {
  const cut = abs.lastIndexOf('/');
  const dir = abs.slice(0, cut) || '/';
  const name = abs.slice(cut + 1);
  if (name === '') return { ok: false, why: `${abs} is a folder` };
  let realDir: string;
  try {
    realDir = realpathSync.native(dir);
  } catch {
    return { ok: false, why: `there is no folder ${dir}` };
  }
  const p = joinDir(realDir, name);
  let st;
  try {
    st = statSync(p);
  } catch {
    return { ok: false, why: `there is no file ${p}` };
  }
  if (st.isDirectory()) return { ok: false, why: `${p} is a folder` };
  if (!st.isFile()) return { ok: false, why: `${p} is not a regular file` };
  try {
    accessSync(p, constants.X_OK);
  } catch {
    return { ok: false, why: `${p} is not executable` };
  }
  return { ok: true, path: p, real: realpathSync.native(p) };
}

/** The program a word names: resolved against `cwd` when it has a `/`, else looked up in `searchPath`. */
export function resolveProgram(word: string, cwd: string, searchPath: string): Program {
  if (word === '') return { ok: false, why: 'the program is empty' };
  if (word.includes('/')) return physicalProgram(word.startsWith('/') ? word : `${cwd}/${word}`);
  for (const dir of searchPath.split(':')) {
    if (!dir.startsWith('/')) continue;
    const candidate = joinDir(dir, word);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    return physicalProgram(candidate);
  }
  return { ok: false, why: `there is no program ${JSON.stringify(word)} on the daemon's PATH` };
}

/** A folder entry made real, or null when it is not a folder now. */
export function realFolder(p: string): string | null {
  try {
    const real = realpathSync.native(p);
    return statSync(real).isDirectory() ? real : null;
  } catch {
    return null;
  }
}
