import { createHmac, timingSafeEqual } from 'node:crypto';

/** The signed message: timestamp + METHOD + path-with-query + body (empty for no body). */
export function signaturePayload(
  timestamp: string,
  method: string,
  pathWithQuery: string,
  body: string,
): string {
  return `${timestamp}${method.toUpperCase()}${pathWithQuery}${body}`;
}

export function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

export function signatureMatches(secret: string, payload: string, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  return timingSafeEqual(Buffer.from(sign(secret, payload), 'hex'), Buffer.from(signature, 'hex'));
}
