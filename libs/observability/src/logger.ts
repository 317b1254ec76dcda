import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import { currentContext } from './context.js';

/**
 * Paths that never reach a log line: request signatures, secrets, credentials. Headers are logged
 * only on failed requests (see http-app.ts), and through these paths.
 */
export const REDACT_PATHS = [
  'headers["x-api-signature"]',
  'headers["x-api-secret"]',
  'headers.authorization',
  'headers.cookie',
  'req.headers["x-api-signature"]',
  'req.headers["x-api-secret"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'secret',
  'signature',
  'password',
  'apiSecret',
  '*.secret',
  '*.signature',
  '*.password',
  '*.apiSecret',
];

export interface LoggerOptions {
  /** The app name on every line: gateway, engine, quoter, platform. */
  app: string;
  level: string;
  destination?: DestinationStream;
}

let root: PinoLogger | null = null;

/**
 * One JSON line per event on stdout: ISO time, level label, app, message, and the correlation id
 * (plus queue and job id inside a job) of whatever is being handled, from AsyncLocalStorage.
 */
export function createLogger(options: LoggerOptions): PinoLogger {
  const logger = pino(
    {
      level: options.level,
      base: { app: options.app, pid: process.pid },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin() {
        const context = currentContext();
        if (!context) return {};
        const fields: Record<string, string> = {};
        if (context.correlationId) fields.correlationId = context.correlationId;
        if (context.queue) fields.queue = context.queue;
        if (context.jobId) fields.jobId = context.jobId;
        return fields;
      },
    },
    // Synchronous writes: nothing is lost when the process exits right after a line.
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  root = logger;
  return logger;
}

/** The process logger (a silent one until createLogger ran, e.g. in unit tests). */
export function rootLogger(): PinoLogger {
  root ??= pino({ level: 'silent' });
  return root;
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

// Nest's own start-up chatter (one line per module, route and gateway) is debug, not info.
const FRAMEWORK_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
  'WebSocketsController',
]);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Error);

/**
 * Nest's LoggerService on pino: every `new Logger(context)` in the code base writes JSON lines.
 * Accepts Nest's calling conventions: (message, context), (message, stack, context) for errors,
 * and (fields, message, context) as pino does.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: PinoLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const rest = [...params];
    // Nest appends the Logger's context as the last argument.
    const context = rest.length > 0 && typeof rest.at(-1) === 'string' ? (rest.pop() as string) : undefined;
    if (context && FRAMEWORK_CONTEXTS.has(context) && level === 'info') level = 'debug';
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = context ? { context } : {};
    let msg: string | undefined;
    if (message instanceof Error) {
      fields.err = message;
      msg = message.message;
    } else if (isPlainObject(message)) {
      Object.assign(fields, message);
    } else if (message !== undefined) {
      msg = typeof message === 'string' ? message : JSON.stringify(message);
    }
    for (const param of rest) {
      if (param === undefined) continue;
      if (param instanceof Error) fields.err = param;
      else if (isPlainObject(param)) Object.assign(fields, param);
      else if (typeof param === 'string' && /\n\s+at /.test(param)) fields.stack = param;
      else if (msg === undefined && typeof param === 'string') msg = param;
      else fields.args = [...((fields.args as unknown[] | undefined) ?? []), param];
    }
    this.logger[level](fields, msg);
  }
}
