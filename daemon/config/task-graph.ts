// The graph of tasks' `requires`, pure: every name must be a task and no task may wait for
// itself through others (it would never start). The orders here are the ones starts and stops
// follow: requirements before the tasks that need them, dependents before what they need.
import { didYouMean } from '../../contract/did-you-mean.js';

export interface GraphNode {
  readonly name: string;
  readonly requires: readonly string[];
  /** The config section that defined it, to name the field (`tasks.B.requires`). */
  readonly source?: string;
}

export type TaskGraph = ReadonlyMap<string, GraphNode>;

export class TaskGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskGraphError';
  }
}

const field = (n: GraphNode) => `${n.source === 'path' || n.source === undefined ? 'tasks' : n.source}.${n.name}.requires`;

/** Throws a TaskGraphError naming the field: an unknown task, or the first cycle found (`A → B → A`). */
export function checkTaskGraph(tasks: TaskGraph): void {
  for (const n of tasks.values()) {
    for (const r of n.requires) {
      if (tasks.has(r)) continue;
      const hint = didYouMean(r, tasks.keys());
      throw new TaskGraphError(`${field(n)}: expected names of tasks, found "${r}", which is no task${hint ? `; did you mean "${hint}"?` : ''}`);
    }
  }
  const cycle = findCycle(tasks);
  if (cycle) {
    throw new TaskGraphError(`${field(tasks.get(cycle[0]!)!)}: a cycle of requirements, ${cycle.join(' → ')}: none of them could ever start`);
  }
}

/** The first cycle in the graph as its names, the first one repeated at the end; undefined when none. */
export function findCycle(tasks: TaskGraph): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const at = onPath.indexOf(name);
    if (at >= 0) return [...onPath.slice(at), name];
    if (done.has(name)) return undefined;
    onPath.push(name);
    for (const r of tasks.get(name)?.requires ?? []) {
      const c = visit(r);
      if (c) return c;
    }
    onPath.pop();
    done.add(name);
    return undefined;
  };
  for (const name of tasks.keys()) {
    const c = visit(name);
    if (c) return c;
  }
  return undefined;
}

/** `names` and everything they require, requirements first (the order of starts); the graph has no cycle. */
export function withRequirements(tasks: TaskGraph, names: Iterable<string>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const r of tasks.get(name)?.requires ?? []) visit(r);
    out.push(name);
  };
  for (const n of names) visit(n);
  return out;
}

/** Every task that requires `name`, directly or through others, those furthest from it first (the order of stops). */
export function dependentsOf(tasks: TaskGraph, name: string): string[] {
  const direct = new Map<string, string[]>();
  for (const n of tasks.values()) for (const r of n.requires) direct.set(r, [...(direct.get(r) ?? []), n.name]);
  const all = new Set<string>();
  const walk = (x: string) => {
    for (const d of direct.get(x) ?? []) {
      if (all.has(d)) continue;
      all.add(d);
      walk(d);
    }
  };
  walk(name);
  // Requirements-first order over the dependents, reversed: a dependent stops before what it needs.
  return withRequirements(tasks, all).filter((n) => all.has(n)).reverse();
}

/**
 * `names` in rounds for a stop of them all: each round's tasks are required by none of the
 * tasks of later rounds, so dependents stop before what they need, and the tasks of one round
 * stop together. Tasks outside `names` do not count.
 */
export function stopRounds(tasks: TaskGraph, names: Iterable<string>): string[][] {
  const left = new Set(names);
  const rounds: string[][] = [];
  while (left.size > 0) {
    const needed = new Set<string>();
    for (const n of left) for (const r of tasks.get(n)?.requires ?? []) if (left.has(r)) needed.add(r);
    let round = [...left].filter((n) => !needed.has(n));
    // A cycle (a graph not checked): the rest together rather than never.
    if (round.length === 0) round = [...left];
    for (const n of round) left.delete(n);
    rounds.push(round.sort());
  }
  return rounds;
}
