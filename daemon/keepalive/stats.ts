// Counters of keep-alives, shown by /healthz and /metrics: what came, what counted, what
// was dropped and why (a malformed message is counted and dropped, never fatal).
export class KeepaliveStats {
  received = 0;
  accepted = 0;
  malformed = 0;
  unknownTask = 0;
  unknownPid = 0;
  lastDropReason: string | undefined;
  byTask = new Map<string, number>();

  count(result: 'ok' | 'unknown_task' | 'unknown_pid', task: string): void {
    this.received++;
    if (result === 'ok') {
      this.accepted++;
      this.byTask.set(task, (this.byTask.get(task) ?? 0) + 1);
    } else if (result === 'unknown_task') {
      this.unknownTask++;
      this.lastDropReason = `unknown task "${task.slice(0, 80)}"`;
    } else {
      this.unknownPid++;
      this.lastDropReason = `pid is not a worker of "${task.slice(0, 80)}"`;
    }
  }

  drop(reason: string): void {
    this.received++;
    this.malformed++;
    this.lastDropReason = reason;
  }

  toJSON(): Record<string, unknown> {
    return {
      received: this.received,
      accepted: this.accepted,
      malformed: this.malformed,
      unknown_task: this.unknownTask,
      unknown_pid: this.unknownPid,
      last_drop_reason: this.lastDropReason ?? null,
    };
  }
}
