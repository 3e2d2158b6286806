import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Every environment variable the configuration reads is documented where operators look: the
// README's configuration table and .env.example.
const source = readFileSync('src/config/app-config.ts', 'utf8') + readFileSync('src/config/trusted-proxies.ts', 'utf8');
const variables = [...new Set([...source.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!))].sort();
const readme = readFileSync('README.md', 'utf8');
const envExample = readFileSync('.env.example', 'utf8');

describe('configuration documentation', () => {
  it('finds the variables the configuration reads', () => {
    expect(variables.length).toBeGreaterThan(40);
    expect(variables).toContain('DATABASE_URL');
  });

  it('lists every variable in the README', () => {
    expect(variables.filter((v) => !readme.includes(`\`${v}\``))).toEqual([]);
  });

  it('lists every variable in .env.example', () => {
    expect(variables.filter((v) => !new RegExp(`^(# )?${v}=`, 'm').test(envExample))).toEqual([]);
  });
});
