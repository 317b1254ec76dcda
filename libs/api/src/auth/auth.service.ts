import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, DomainError } from '@app/core';
import { REDIS } from '@app/db';
import type { Actor } from '@app/rfq';
import type { Redis } from 'ioredis';
import { ApiKeyRepository, ResolvedKey, Scope } from './api-key.repository.js';
import { signatureMatches, signaturePayload } from './signature.js';

export interface Principal extends Actor {
  keyId: string;
  accountName: string;
  scopes: Scope[];
}

const unauthorized = (code: string, message: string) => new DomainError(code, message, 'unauthorized');

// Token bucket in Redis: one round trip, shared by every gateway instance.
const TOKEN_BUCKET = `
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate / 1000)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
return {allowed, wait}
`;

/** Signed-request authentication, replay protection and per-key rate limits (REST and WebSocket). */
@Injectable()
export class AuthService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async authenticate(input: {
    keyId: string | undefined;
    timestamp: string | undefined;
    signature: string | undefined;
    method: string;
    pathWithQuery: string;
    body: string;
  }): Promise<Principal> {
    const { keyId, timestamp, signature } = input;
    if (!keyId || !timestamp || !signature)
      throw unauthorized('AUTH.MISSING', 'X-Api-Key, X-Api-Timestamp and X-Api-Signature are required');
    if (!/^\d{13}$/.test(timestamp))
      throw unauthorized('AUTH.BAD_TIMESTAMP', 'X-Api-Timestamp must be milliseconds since the epoch');
    if (Math.abs(Date.now() - Number(timestamp)) > this.config.SIGNATURE_WINDOW_MS) {
      throw unauthorized(
        'AUTH.STALE_TIMESTAMP',
        `timestamp outside the ${this.config.SIGNATURE_WINDOW_MS / 1000} s window`,
      );
    }
    const key = /^ak_[\w-]{1,64}$/.test(keyId) ? await this.keys.find(keyId) : null;
    if (!key) throw unauthorized('AUTH.UNKNOWN_KEY', 'unknown API key');
    if (key.revoked) throw unauthorized('AUTH.REVOKED_KEY', 'API key revoked');
    if (
      !signatureMatches(
        key.secret,
        signaturePayload(timestamp, input.method, input.pathWithQuery, input.body),
        signature.toLowerCase(),
      )
    ) {
      throw unauthorized('AUTH.BAD_SIGNATURE', 'signature does not match');
    }
    // A signature is good once: remember it for as long as its timestamp is acceptable.
    const fresh = await this.redis.set(
      `${this.config.QUEUE_PREFIX}:sig:${signature.toLowerCase()}`,
      '1',
      'PX',
      this.config.SIGNATURE_WINDOW_MS * 2,
      'NX',
    );
    if (fresh !== 'OK') throw unauthorized('AUTH.REPLAYED', 'signature already used');
    await this.rateLimit(key);
    return toPrincipal(key);
  }

  async rateLimit(key: Pick<ResolvedKey, 'keyId'>): Promise<void> {
    const [allowed, wait] = (await this.redis.eval(
      TOKEN_BUCKET,
      1,
      `${this.config.QUEUE_PREFIX}:rl:${key.keyId}`,
      this.config.RATE_LIMIT_PER_SECOND,
      this.config.RATE_LIMIT_BURST,
      Date.now(),
    )) as [number, number];
    if (allowed !== 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil(wait / 1000));
      throw new DomainError('RATE_LIMITED', 'rate limit exceeded', 'rate_limited', [
        { message: `retry after ${retryAfterSeconds} s`, retryAfterSeconds },
      ]);
    }
  }
}

export function toPrincipal(key: ResolvedKey): Principal {
  return {
    accountId: key.accountId,
    role: key.role,
    keyId: key.keyId,
    accountName: key.accountName,
    scopes: key.scopes,
    correlationId: null,
  };
}

export function requireScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.includes(scope)) {
    throw new DomainError('AUTH.MISSING_SCOPE', `this key lacks the ${scope} scope`, 'forbidden');
  }
}
