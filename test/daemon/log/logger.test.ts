// The logger: a level threshold, the lines to the sink and to the log file (the start-up's
// too, once the file is opened), the file rotated at its size limit keeping one older file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '../../../daemon/log/logger.js';
import { LogFile } from '../../../daemon/log/log-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bl-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('only entries at the level or more severe are written; lines before the file opens reach it first', () => {
  const lines: string[] = [];
  const log = new Logger({ level: 'warn', write: (l) => lines.push(l) });
  log.info('not this');
  log.warn('early');
  const file = path.join(dir, 'a', 'bl-daemon.log');
  log.openFile(file);
  log.error('later');
  log.debug('not this either');
  log.closeFile();
  log.warn('after the close: stderr only');
  assert.deepEqual(lines.map((l) => l.slice(25)), ['warn  early', 'error later', 'warn  after the close: stderr only']);
  assert.deepEqual(readFileSync(file, 'utf8').split('\n').map((l) => l.slice(25)), ['warn  early', 'error later', '']);
  assert.equal(log.enabled('debug'), false);
  assert.equal(log.enabled('error'), true);
});

test('the file is appended to across opens (a restarted daemon keeps the lines before)', () => {
  const file = path.join(dir, 'append.log');
  for (const msg of ['one', 'two']) {
    const log = new Logger({ write: () => {} });
    log.openFile(file);
    log.info(msg);
    log.closeFile();
  }
  assert.deepEqual(readFileSync(file, 'utf8').trim().split('\n').map((l) => l.slice(25)), ['info  one', 'info  two']);
});

test('at its size limit the file becomes .1 (the older .1 goes) and a new one begins', () => {
  const file = path.join(dir, 'rot.log');
  const f = new LogFile(file, 100);
  const line = (c: string) => c.repeat(39); // 40 bytes with the newline
  f.write(line('a'));
  f.write(line('b'));
  f.write(line('c')); // would pass 100: a and b go to .1
  assert.equal(readFileSync(file + '.1', 'utf8'), `${line('a')}\n${line('b')}\n`);
  assert.equal(readFileSync(file, 'utf8'), `${line('c')}\n`);
  f.write(line('d'));
  f.write(line('e'));
  assert.equal(readFileSync(file + '.1', 'utf8'), `${line('c')}\n${line('d')}\n`, 'one older file kept, no .2');
  assert.equal(existsSync(file + '.2'), false);
  f.close();
  // A file already at the limit when opened is rotated at the first line.
  const g = new LogFile(file, 30);
  g.write('x');
  g.close();
  assert.equal(readFileSync(file, 'utf8'), 'x\n');
  assert.ok(statSync(file + '.1').size > 0);
});
