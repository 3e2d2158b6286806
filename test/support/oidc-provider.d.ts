// The part of oidc-provider's API the test OAuth server uses (the package ships no types).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface ClientModel {
    clientId: string;
  }
  interface GrantModel {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }
  interface RefreshTokenModel {
    save(): Promise<string>;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    Client: { find(id: string): Promise<ClientModel | undefined> };
    Grant: new (init: { accountId: string; clientId: string }) => GrantModel;
    RefreshToken: new (init: { client: ClientModel; accountId: string; grantId: string; scope: string; gty: string }) => RefreshTokenModel;
  }
}
