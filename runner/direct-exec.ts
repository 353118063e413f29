// GNU make's fast path: a command line with no shell syntax at all (no quotes, $, globs,
// redirections, separators, assignments) and no builtin or keyword as its first word runs
// the same with or without /bin/sh, so it is exec'd directly: one exec less a job. If that
// exec fails (not found, not executable) the job is started through the shell after all, so
// its exit code and message are the shell's.

const PLAIN = /^[A-Za-z0-9_@%+,./:=-]+(?:[ \t]+[A-Za-z0-9_@%+,./:=-]+)*$/;

// dash's builtins and the POSIX reserved words: these mean something else without a shell.
const SHELL_WORDS = new Set(
  (
    '. : [ alias bg break cd chdir command continue echo eval exec exit export false fc fg getopts hash jobs kill ' +
    'local printf pwd read readonly return set shift test times trap true type ulimit umask unalias unset wait ' +
    '! case do done elif else esac fi for function if in select then time until while { }'
  ).split(' '),
);

/** The argv a plain command line stands for, or null when it needs the shell. */
export function plainArgv(command: string): string[] | null {
  const line = command.trim();
  if (!PLAIN.test(line)) return null;
  const words = line.split(/[ \t]+/);
  const first = words[0]!;
  // `A=b cmd` is an assignment; a leading `-` would be read as an option by nothing sensible.
  if (SHELL_WORDS.has(first) || first.includes('=') || first.startsWith('-')) return null;
  return words;
}
