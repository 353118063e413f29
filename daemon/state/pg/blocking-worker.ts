// Calls into a worker thread that the calling thread waits on: each call posts its request and
// sleeps in Atomics.wait until the worker has posted the answer and raised a flag, then takes
// the answer off the port with receiveMessageOnPort. This is how a synchronous interface (the
// broker's JobStore, written for an in-process SQLite file) is served by a client whose I/O is
// asynchronous (node-postgres): the event loop waits for one round trip, as it waits for a
// SQLite commit.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { BlError, ERROR_CODES, type ErrorCode } from '../../../contract/errors.js';

export interface Request {
  id: number;
  op: string;
  args: unknown[];
}

/** What a worker answers: a value, or an error made plain (errors do not cross threads whole). */
export type Reply = { id: number; value: unknown } | { id: number; error: PlainError };

/** What a dying worker posts instead of an answer (reportDeath). */
interface Death {
  fatal: PlainError;
}

export interface PlainError {
  message: string;
  name: string;
  code?: string;
}

export interface BlockingWorkerOptions {
  /** The worker's module (a URL of a .js file, or a .ts one when running from source). */
  module: URL;
  workerData: Record<string, unknown>;
  /** How long a call may wait for its answer. */
  timeoutMs: number;
  /** Messages the worker sends on its own (not answers): wake-ups, problems. */
  onEvent: (e: unknown) => void;
}

export class NoAnswerError extends Error {
  readonly code = 'WORKER_NO_ANSWER';
}

export class BlockingWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private seq = 0;
  private closed = false;
  private exited: Error | undefined;

  constructor(private readonly o: BlockingWorkerOptions) {
    const calls = new MessageChannel();
    const events = new MessageChannel();
    this.port = calls.port1;
    const fromSource = o.module.pathname.endsWith('.ts');
    this.worker = new Worker(o.module, {
      workerData: { ...o.workerData, calls: calls.port2, events: events.port2, flag: this.flag },
      transferList: [calls.port2, events.port2],
      // From source (tests run through tsx): the worker needs the same loader.
      execArgv: fromSource ? ['--import', 'tsx'] : [],
    });
    events.port1.on('message', (m) => o.onEvent(m));
    // The event port must not keep the daemon alive; the worker is ended by close().
    events.port1.unref();
    this.worker.unref();
    this.worker.on('error', (e) => (this.exited = e));
    this.worker.on('exit', (code) => (this.exited ??= new Error(`the store's worker thread exited (code ${code})`)));
  }

  /** Why the worker is gone, once it is: every call throws it. */
  get dead(): Error | undefined {
    return this.exited;
  }

  /** Runs `op` in the worker and returns its answer; throws what it threw. */
  call(op: string, args: unknown[] = []): unknown {
    if (this.closed) throw new Error('the store is closed');
    if (this.exited) throw this.exited;
    const id = ++this.seq;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ id, op, args } satisfies Request);
    const deadline = Date.now() + this.o.timeoutMs;
    for (;;) {
      const a = this.take(id);
      if (a) return a.value;
      const left = deadline - Date.now();
      if (left <= 0) throw new NoAnswerError(`no answer from the store within ${this.o.timeoutMs / 1000} s (${op})`);
      Atomics.wait(this.flag, 0, 0, Math.min(left, 1000));
    }
  }

  /**
   * Runs `op` without holding the event loop: for the first call (the worker is still starting,
   * and its death at start is only heard through the loop) and anything else that may wait.
   */
  async callAsync(op: string, args: unknown[] = []): Promise<unknown> {
    if (this.closed) throw new Error('the store is closed');
    const id = ++this.seq;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ id, op, args } satisfies Request);
    const deadline = Date.now() + this.o.timeoutMs;
    // A wait in Atomics.waitAsync keeps nothing alive: the worker does while it answers, and a
    // timer while it may die before answering (its exit must be heard, not the loop left empty).
    this.worker.ref();
    const alive = setInterval(() => {}, 60_000);
    try {
      for (;;) {
        const a = this.take(id);
        if (a) return a.value;
        const left = deadline - Date.now();
        if (left <= 0) throw new NoAnswerError(`no answer from the store within ${this.o.timeoutMs / 1000} s (${op})`);
        const w = waitAsync(this.flag, 0, 0, Math.min(left, 200));
        if (w.async) await w.value;
      }
    } finally {
      clearInterval(alive);
      this.worker.unref();
    }
  }

  /**
   * The answer to call `id` if it came (thrown when it is an error), after clearing the flag:
   * an answer posted after this look raises it again. Answers to calls that gave up waiting
   * earlier are dropped.
   */
  private take(id: number): { value: unknown } | undefined {
    Atomics.store(this.flag, 0, 0);
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const death = (m.message as Partial<Death>).fatal;
      if (death) this.exited ??= new WorkerDiedError(`the store's worker thread failed: ${death.message}`);
      const r = m.message as Reply;
      if (r.id !== id) continue;
      if ('error' in r) throw revive(r.error);
      return { value: r.value };
    }
    if (this.exited) throw this.exited;
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    await this.worker.terminate();
  }
}

// Node 20 has it; TypeScript's lib for this target does not declare it yet.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: unknown } }).waitAsync.bind(Atomics);

export class WorkerDiedError extends Error {
  readonly code = 'WORKER_DIED';
}

/**
 * In the worker: an error outside any call (an event nobody listened to) ends the thread, and
 * the thread waiting in Atomics.wait cannot hear the exit (it is an event of its own loop):
 * the death is posted on the call port and the flag raised, so the waiting call ends now.
 */
export function reportDeath(calls: MessagePort, flag: Int32Array): void {
  const die = (e: unknown): void => {
    calls.postMessage({ fatal: plainError(e) } satisfies Death);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
}

export function plainError(e: unknown): PlainError {
  const err = e as { message?: unknown; name?: unknown; code?: unknown };
  const out: PlainError = { message: typeof err?.message === 'string' ? err.message : String(e), name: typeof err?.name === 'string' ? err.name : 'Error' };
  if (typeof err?.code === 'string') out.code = err.code;
  return out;
}

class RevivedError extends Error {
  code?: string;
}

function revive(p: PlainError): Error {
  // The broker's own refusals (a bad `after`, …) stay what they are: a 4xx with their message.
  if (p.name === 'BlError' && p.code !== undefined && p.code in ERROR_CODES) return new BlError(p.code as ErrorCode, p.message);
  const e = new RevivedError(p.message);
  e.name = p.name;
  if (p.code !== undefined) e.code = p.code;
  return e;
}
