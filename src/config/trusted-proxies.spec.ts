import { describe, expect, it } from 'vitest';
import { parseConfig } from './app-config.js';

describe('TRUST_PROXY', () => {
  it('means no proxy when unset or false', () => {
    expect(parseConfig({}).trustProxy).toBe(false);
    expect(parseConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  it('takes addresses, CIDRs and the named ranges', () => {
    expect(parseConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1 ,fd00::/8,Loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each(['true', 'yes', '10.0.0.0/33', 'example.com', '10.0.0.1/8/1', '::1/129'])('refuses %s with one line', (value) => {
    expect(() => parseConfig({ TRUST_PROXY: value })).toThrow(/^TRUST_PROXY/);
  });
});
