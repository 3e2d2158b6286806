/** What the service tells the console at GET /console/config.json (no inline script carries it). */
export interface ConsoleConfig {
  oidc: { issuer: string; client_id: string } | null;
  dev_sign_in: boolean;
  roles_claim: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch('/console/config.json', { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new Error(`console configuration unavailable (HTTP ${res.status})`);
  return (await res.json()) as ConsoleConfig;
}
