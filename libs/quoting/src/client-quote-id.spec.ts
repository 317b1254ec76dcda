import { describe, expect, it } from '@jest/globals';
import { autoQuoteId, nextAutoQuoteId } from './client-quote-id.js';

describe('built-in client quote ids', () => {
  it('numbers the quotes of one (RFQ, maker) chain', () => {
    const first = autoQuoteId('r-1', 'm-1');
    expect(first).toBe('auto:r-1:m-1');
    expect(nextAutoQuoteId(first)).toBe('auto:r-1:m-1:1');
    expect(nextAutoQuoteId('auto:r-1:m-1:41')).toBe('auto:r-1:m-1:42');
    expect(nextAutoQuoteId('manual')).toBe('manual:1');
  });
});
