import { describe, expect, it } from '@jest/globals';
import { parseConfig } from './config.js';

describe('configuration', () => {
  it('defaults to local PostgreSQL and Redis', () => {
    const config = parseConfig({});
    expect(config.DATABASE_URL).toBe('postgresql://postgres@127.0.0.1:5432/rfq');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.PORT).toBe(3000);
    expect(config.QUEUE_PREFIX).toBe('{rfq}');
  });

  it('coerces and keeps valid values', () => {
    const config = parseConfig({ PORT: '8080', DEMO_TAKER: 'true', QUEUE_PREFIX: '{desk1}' });
    expect(config.PORT).toBe(8080);
    expect(config.DEMO_TAKER).toBe(true);
    expect(config.QUEUE_PREFIX).toBe('{desk1}');
  });

  it.each([
    ['PORT', 'abc', /^Invalid configuration: PORT: /],
    ['DATABASE_URL', 'mysql://x', /^Invalid configuration: DATABASE_URL: must be a postgresql:\/\/ URL$/],
    ['QUEUE_PREFIX', 'rfq', /^Invalid configuration: QUEUE_PREFIX: must be a hash tag/],
    ['API_KEY_ENCRYPTION_KEY', 'short', /^Invalid configuration: API_KEY_ENCRYPTION_KEY: must be 64 hex/],
  ])('rejects a malformed %s with one line naming it', (name, value, message) => {
    expect(() => parseConfig({ [name]: value })).toThrow(message);
  });

  it('ignores unrelated variables', () => {
    expect(() => parseConfig({ HOME: '/root', PATH: '/bin' })).not.toThrow();
  });
});
