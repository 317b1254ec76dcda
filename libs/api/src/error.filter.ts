import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainError, ErrorDetail, ErrorKind, UnavailableError } from '@app/core';
import { isPoolTimeout, isRetryableDbError } from '@app/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';

const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[]; correlationId: string };
}

export function correlationIdOf(request: FastifyRequest): string {
  const existing = (request as { correlationId?: string }).correlationId;
  return existing ?? randomUUID();
}

/** Turns framework-level HTTP errors (routing, body parsing) into our error shape and codes. */
function fromHttpException(exception: HttpException): { status: number; code: string; message: string } {
  const status = exception.getStatus();
  const byStatus: Record<number, string> = {
    400: 'REQUEST.MALFORMED',
    404: 'ROUTE.NOT_FOUND',
    405: 'ROUTE.METHOD_NOT_ALLOWED',
    413: 'REQUEST.TOO_LARGE',
    415: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  };
  return { status, code: byStatus[status] ?? `HTTP.${status}`, message: exception.message };
}

/** Fastify's own errors (bad JSON, body too large) carry a statusCode and an FST_ code. */
function fromFastifyError(error: unknown): { status: number; code: string; message: string } | null {
  const e = error as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof e?.statusCode !== 'number' || e.statusCode < 400 || e.statusCode >= 500) return null;
  const code =
    e.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      ? 'REQUEST.TOO_LARGE'
      : e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'REQUEST.UNSUPPORTED_MEDIA_TYPE'
        : 'REQUEST.MALFORMED';
  return { status: e.statusCode, code, message: typeof e.message === 'string' ? e.message : 'Bad request' };
}

/** The one place where errors become HTTP responses. Internals never leave the process. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const correlationId = correlationIdOf(request);
    const body = (status: number, code: string, message: string, details: ErrorDetail[] = []) => {
      const payload: ErrorBody = { error: { code, message, details, correlationId } };
      void reply.status(status).header('x-correlation-id', correlationId).send(payload);
    };

    if (exception instanceof DomainError) {
      const status = STATUS[exception.kind];
      if (exception.kind === 'rate_limited') {
        const retryAfter = exception.details.find((d) => typeof d.retryAfterSeconds === 'number');
        if (retryAfter) void reply.header('retry-after', String(retryAfter.retryAfterSeconds));
      }
      return body(status, exception.code, exception.message, exception.details);
    }
    if (exception instanceof HttpException) {
      const { status, code, message } = fromHttpException(exception);
      if (status < 500) return body(status, code, message);
    }
    const fastify = fromFastifyError(exception);
    if (fastify) return body(fastify.status, fastify.code, fastify.message);

    // Saturated or briefly unreachable database outside a transaction (those already retry): a
    // retryable 503, not an internal error.
    if (isPoolTimeout(exception) || isRetryableDbError(exception)) {
      const unavailable = new UnavailableError();
      this.logger.warn({ correlationId, err: exception }, 'database unavailable');
      return body(STATUS[unavailable.kind], unavailable.code, unavailable.message);
    }
    this.logger.error({ correlationId, err: exception }, 'unhandled error');
    body(500, 'INTERNAL', 'Internal error; quote the correlation id to support');
  }
}
