import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { runWithContext } from './context.js';
import { createLogger, PinoNestLogger } from './logger.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, logger: createLogger({ app: 'test', level: 'debug', destination }) };
}

describe('logger', () => {
  it('writes one JSON object per line with the correlation context of the request or job', () => {
    const { lines, logger } = capture();
    runWithContext({ correlationId: 'corr-1', queue: 'events', jobId: 'j1' }, () => logger.info('inside'));
    logger.info('outside');
    expect(lines[0]).toMatchObject({
      level: 'info',
      app: 'test',
      msg: 'inside',
      correlationId: 'corr-1',
      queue: 'events',
      jobId: 'j1',
    });
    expect(lines[1]!.correlationId).toBeUndefined();
    expect(typeof lines[0]!.time).toBe('string');
  });

  it('redacts signatures, secrets and credentials', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        headers: { 'x-api-key': 'ak_1', 'x-api-signature': 'f'.repeat(64), authorization: 'Basic abc' },
        key: { secret: 's3cr3t' },
        params: { signature: 'sig' },
      },
      'request',
    );
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('f'.repeat(64));
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('Basic abc');
    expect(text).not.toContain('"sig"');
    expect(lines[0]!.headers).toMatchObject({ 'x-api-key': 'ak_1', 'x-api-signature': '[redacted]' });
  });

  it('maps Nest calls (message, context), (message, stack, context) and (fields, message, context)', () => {
    const { lines, logger } = capture();
    const nest = new PinoNestLogger(logger);
    nest.log('hello', 'Ctx');
    nest.error('boom', 'Error: boom\n    at somewhere (file.js:1:1)', 'Ctx');
    nest.warn({ accountId: 'a1' }, 'fields first', 'Ctx');
    nest.log('Mapped {/v1, GET} route', 'RouterExplorer');
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'hello', context: 'Ctx' });
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'boom', context: 'Ctx' });
    expect(String(lines[1]!.stack)).toContain('at somewhere');
    expect(lines[2]).toMatchObject({ level: 'warn', msg: 'fields first', accountId: 'a1' });
    expect(lines[3]).toMatchObject({ level: 'debug', context: 'RouterExplorer' });
  });
});
