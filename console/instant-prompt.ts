// Shows `> ` at once while Ink and React load (~300 ms): the terminal goes raw straight away,
// so keys typed meanwhile are neither echoed twice nor lost; they wait in the terminal's
// buffer (nothing reads stdin yet) until Ink reads them. Ink's first frame draws over this
// line (powerlevel10k's "instant prompt" idea).
import type { ReadStream, WriteStream } from 'node:tty';

export interface InstantPrompt {
  /** Rewinds to column 0 so Ink's first frame replaces the line. */
  handOver(): void;
}

export function showInstantPrompt(stdin: ReadStream, stdout: WriteStream): InstantPrompt {
  stdin.setRawMode(true);
  stdout.write('> ');
  return {
    handOver() {
      stdout.write('\r\u001b[2K');
    },
  };
}
