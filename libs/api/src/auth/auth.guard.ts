import { CanActivate, ExecutionContext, Injectable, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Scope } from './api-key.repository.js';
import { AuthService, Principal, requireScope } from './auth.service.js';

const SCOPE = 'rfq:scope';
const PUBLIC = 'rfq:public';

/** The scope a route needs; every route needs a signed request unless marked @Public(). */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE, scope);
export const Public = () => SetMetadata(PUBLIC, true);

type AuthedRequest = FastifyRequest & { principal?: Principal; rawBody?: Buffer; correlationId?: string };

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<AuthedRequest>().principal!;
});

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const header = (name: string) => {
      const v = request.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const principal = await this.auth.authenticate({
      keyId: header('x-api-key'),
      timestamp: header('x-api-timestamp'),
      signature: header('x-api-signature'),
      method: request.method,
      pathWithQuery: request.url,
      body: request.rawBody ? request.rawBody.toString('utf8') : '',
    });
    principal.correlationId = request.correlationId ?? null;
    requireScope(principal, this.reflector.getAllAndOverride<Scope>(SCOPE, targets) ?? 'read');
    request.principal = principal;
    return true;
  }
}
