import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setImmediate as turnEnd, setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createLogger, type LogFields } from '../../src/server/logger.js';

function textLines(fields: LogFields): string[] {
  let written = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString('utf8');
      done();
    },
  });
  const logger = createLogger('text', out);
  logger.info('request', fields);
  logger.flush();
  return written.split('\n').slice(0, -1);
}

describe('text log lines', () => {
  it('write each field as key=value, plain when it is one token, skipping unset ones', () => {
    const [line, ...rest] = textLines({ method: 'GET', path: '/v1/packages/a%2Fb', status: 200, ms: 0.4, aborted: undefined, ok: true });
    assert.deepEqual(rest, []);
    assert.match(line!, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  request method=GET path=\/v1\/packages\/a%2Fb status=200 ms=0\.4 ok=true$/);
  });

  it('quote a value a reader would split or a client could use to forge a line', () => {
    for (const value of ['two words', 'a"quote', 'line\nbreak', 'tab\there', 'bell\u0007', 'wide\u3000space', 'del\u007f']) {
      const lines = textLines({ path: value });
      assert.equal(lines.length, 1, `${JSON.stringify(value)} stays on one line`);
      assert.ok(lines[0]!.endsWith(` path=${JSON.stringify(value)}`), lines[0]);
    }
  });

  it('leave other text unquoted, non-ASCII letters included', () => {
    assert.ok(textLines({ name: 'café/ünïcode' })[0]!.endsWith(' name=café/ünïcode'));
  });
});

describe('the request log under load', () => {
  function recorder(): { writes: string[]; logger: ReturnType<typeof createLogger> } {
    const writes: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        writes.push(chunk.toString('utf8'));
        done();
      },
    });
    return { writes, logger: createLogger('text', out) };
  }

  it('writes a quiet server\'s line when its turn ends, and a busy one\'s lines together, at most 20 ms later', async () => {
    const { writes, logger } = recorder();
    logger.info('request', { n: 1 });
    assert.equal(writes.length, 0, 'not within the turn');
    await turnEnd();
    assert.equal(writes.length, 1, 'at the end of its turn');
    // the lines of the next turns, soon after that write, wait and go out in one
    for (const n of [2, 3, 4]) {
      logger.info('request', { n });
      await turnEnd();
    }
    assert.equal(writes.length, 1, 'held for the next write');
    await sleep(60);
    assert.equal(writes.length, 2);
    assert.deepEqual(writes[1]!.trimEnd().split('\n').map((l) => l.slice(l.lastIndexOf('=') + 1)), ['2', '3', '4']);
  });

  it('writes held lines before a warning, in order, at once', async () => {
    const { writes, logger } = recorder();
    logger.info('request', { n: 1 });
    await turnEnd();
    logger.info('request', { n: 2 });
    logger.warn('trouble');
    assert.equal(writes.length, 2);
    assert.match(writes[1]!, /n=2\n.*WARN  trouble\n$/);
    await sleep(60);
    assert.equal(writes.length, 2, 'nothing left to write');
  });
});
