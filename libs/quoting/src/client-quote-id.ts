/**
 * Client quote ids of the built-in makers. The first quote on an RFQ is `auto:<rfqId>:<makerId>` (so a
 * re-delivered broadcast job finds it and quotes nothing twice); each requote of it, or a new quote after
 * one was pulled, takes the next number: `auto:<rfqId>:<makerId>:1`, `:2`, ... A chain has at most one
 * live quote at a time, so the numbers never collide and the ids stay short however often it requotes.
 */
import { AUTO_QUOTE_PREFIX } from './quoting.repository.js';

export function autoQuoteId(rfqId: string, makerId: string): string {
  return `${AUTO_QUOTE_PREFIX}${rfqId}:${makerId}`;
}

const CHAIN = /^(auto:[^:]+:[^:]+)(?::(\d+))?$/;

export function nextAutoQuoteId(previous: string): string {
  const m = CHAIN.exec(previous);
  if (!m) return `${previous}:1`;
  return `${m[1]}:${Number(m[2] ?? 0) + 1}`;
}
