// Which variables a job's `env` may set when the daemon has allowed_commands: a program the
// list allows can be made to load or run another through its environment (the dynamic
// loader's LD_PRELOAD, the shell's BASH_ENV, an interpreter's PYTHONPATH, a tool's EDITOR…).
// Without `allowed_env` the keys below are refused; with it, only the keys it names pass. The
// list covers the loader, the C library, shells, common interpreters and the usual command
// hooks; it cannot know every program's variables, which is what `allowed_env` is for.

/** A name, or a prefix when it ends with `*`, and whose variable it is. */
export const REFUSED_ENV: readonly (readonly [pattern: string, whose: string])[] = [
  ...['LD_*', 'DYLD_*'].map((p) => [p, "the dynamic loader's"] as const),
  ...['GCONV_PATH', 'GLIBC_TUNABLES', 'GETCONF_DIR', 'HOSTALIASES', 'LOCALDOMAIN', 'LOCPATH', 'MALLOC_TRACE', 'NLSPATH', 'RESOLV_HOST_CONF', 'RES_OPTIONS'].map(
    (p) => [p, "the C library's"] as const,
  ),
  ...['PATH', 'IFS', 'ENV', 'BASH_ENV', 'SHELLOPTS', 'BASHOPTS', 'PS4', 'PROMPT_COMMAND', 'CDPATH', 'GLOBIGNORE', 'BASH_XTRACEFD', 'BASH_FUNC_*', 'FPATH', 'ZDOTDIR'].map(
    (p) => [p, "the shell's"] as const,
  ),
  ...['HOME', 'XDG_CONFIG_HOME', 'XDG_CONFIG_DIRS', 'XDG_DATA_HOME', 'XDG_DATA_DIRS'].map((p) => [p, 'where programs read their settings and start-up files'] as const),
  ...[
    'PYTHON*',
    'NODE_OPTIONS',
    'NODE_PATH',
    'NODE_REPL_EXTERNAL_MODULE',
    'PERL5OPT',
    'PERL5LIB',
    'PERLLIB',
    'PERL5DB',
    'RUBYOPT',
    'RUBYLIB',
    'JAVA_TOOL_OPTIONS',
    '_JAVA_OPTIONS',
    'JDK_JAVA_OPTIONS',
    'CLASSPATH',
    'LUA_INIT*',
    'LUA_PATH*',
    'LUA_CPATH*',
    'PHPRC',
    'PHP_INI_SCAN_DIR',
    'TCLLIBPATH',
  ].map((p) => [p, "an interpreter's"] as const),
  ...['GIT_*', 'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'LESSOPEN', 'LESSCLOSE', 'SSH_ASKPASS', 'SUDO_ASKPASS', 'BROWSER'].map((p) => [p, 'a command a program runs'] as const),
];

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function matches(pattern: string, key: string): boolean {
  return pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : key === pattern;
}

/** A valid `allowed_env` entry: a variable name, or a prefix of one followed by `*`. */
export function isEnvPattern(p: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(p) || p === '*';
}

/**
 * Why a job may not set `key` (a phrase to follow "env"), or null. `allowedEnv` undefined: the
 * refused list applies; a list: only the keys it names pass.
 */
export function envRefusal(key: string, allowedEnv: readonly string[] | undefined): string | null {
  if (allowedEnv) {
    if (allowedEnv.some((p) => matches(p, key))) return null;
    return `${JSON.stringify(key)} is not a key allowed_env names (${allowedEnv.join(', ')})`;
  }
  // bash reads a variable named `BASH_FUNC_f%%` as the function f: only plain names pass.
  if (!VAR_NAME.test(key)) return `${JSON.stringify(key)} is not a variable name`;
  const hit = REFUSED_ENV.find(([p]) => matches(p, key));
  if (!hit) return null;
  return `${key} is ${hit[1]} (${hit[0]})`;
}
