import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/app-config.js';
import { isNeverATarget, RotatorTargetPolicy, RotatorTargetRefused, type Resolver } from './rotator-target.js';

const policy = (hosts: string, resolver?: Resolver) =>
  new RotatorTargetPolicy(parseConfig({ ROTATOR_ALLOWED_HOSTS: hosts }).rotators.allowedHosts, 1000, resolver);
const never: Resolver = () => {
  throw new Error('no DNS expected');
};

describe('ROTATOR_ALLOWED_HOSTS', () => {
  it('is empty by default: no external target is allowed', () => {
    expect(parseConfig({}).rotators.allowedHosts).toEqual({ names: [], networks: [] });
    expect(policy('').refusal({ host: '127.0.0.1' })).toMatch(/ROTATOR_ALLOWED_HOSTS is empty/);
  });

  it('takes names, IPs and CIDRs, and names a bad entry in one line', () => {
    expect(parseConfig({ ROTATOR_ALLOWED_HOSTS: 'DB.internal., 10.0.0.0/8, ::1' }).rotators.allowedHosts).toEqual({
      names: ['db.internal'],
      networks: [
        { address: '10.0.0.0', prefix: 8, family: 4 },
        { address: '::1', prefix: 128, family: 6 },
      ],
    });
    for (const bad of ['10.0.0.0/33', 'db_internal', 'http://db', '10.0.0.1/8/1']) {
      expect(() => parseConfig({ ROTATOR_ALLOWED_HOSTS: bad })).toThrow(/^ROTATOR_ALLOWED_HOSTS entry ".*" is not a host name, an IP address or a CIDR/);
    }
  });
});

describe('RotatorTargetPolicy', () => {
  it('allows listed names (exactly) and addresses inside listed networks', () => {
    const p = policy('db.internal,10.0.0.0/8,127.0.0.1');
    expect(p.refusal({ host: 'db.internal' })).toBeNull();
    expect(p.refusal({ host: 'DB.Internal.' })).toBeNull();
    expect(p.refusal({ host: 'other.db.internal' })).toMatch(/not on ROTATOR_ALLOWED_HOSTS/);
    expect(p.refusal({ host: '10.20.30.40' })).toBeNull();
    expect(p.refusal({ host: '::ffff:10.1.2.3' })).toBeNull();
    expect(p.refusal({ host: '11.0.0.1' })).toMatch(/not on ROTATOR_ALLOWED_HOSTS/);
    expect(p.refusal({ host: '127.0.0.2' })).toMatch(/not on ROTATOR_ALLOWED_HOSTS/);
  });

  it('never allows link-local or metadata addresses, in any spelling, even when listed', () => {
    const p = policy('0.0.0.0/0,::/0,metadata.google.internal');
    for (const host of ['169.254.169.254', '169.254.0.1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', 'fd00:ec2::254', 'fe80::1', '64:ff9b::169.254.169.254', '2002:a9fe:a9fe::1', '100.100.100.200', '0.0.0.0', '::']) {
      expect(isNeverATarget(host), host).toBe(true);
      expect(p.refusal({ host }), host).toMatch(/never a rotator target/);
    }
    expect(p.refusal({ host: 'metadata.google.internal' })).toMatch(/cloud metadata service/);
    expect(p.refusal({ host: '10.0.0.1' })).toBeNull();
  });

  it('connects only to the addresses it checked: a listed name that resolves to a metadata address is refused', async () => {
    const rebinding: Resolver = async () => [
      { address: '10.0.0.5', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ];
    await expect(policy('db.internal', rebinding).check({ host: 'db.internal', port: 5432 })).rejects.toThrow(RotatorTargetRefused);
    const checked = await policy('db.internal', async () => [{ address: '10.0.0.5', family: 4 }]).check({ host: 'db.internal', port: 5432, sslmode: 'verify-full' });
    expect(checked).toMatchObject({ addresses: [{ address: '10.0.0.5', family: 4 }], sslmode: 'verify-full', tls: { rejectUnauthorized: true, servername: 'db.internal' } });
    // An IP literal needs no DNS; prefer falls back to plain only when the server has no TLS.
    expect(await policy('127.0.0.1', never).check({ host: '127.0.0.1', port: 1 })).toMatchObject({ sslmode: 'prefer', plainIfTlsRefused: true, tls: { rejectUnauthorized: false } });
    await expect(policy('', never).check({ host: '127.0.0.1', port: 1 })).rejects.toThrow(/ROTATOR_ALLOWED_HOSTS is empty/);
  });

  it('bounds the name lookup', async () => {
    const hang: Resolver = () => new Promise(() => undefined);
    await expect(new RotatorTargetPolicy({ names: ['db.internal'], networks: [] }, 20, hang).check({ host: 'db.internal', port: 1 })).rejects.toThrow(/took longer than 20 ms/);
  });
});
