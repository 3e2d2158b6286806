// The part of oidc-provider's API the test OAuth server and the test IdP use (the package ships no types).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface ClientModel {
    clientId: string;
  }
  export interface GrantModel {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }
  interface RefreshTokenModel {
    save(): Promise<string>;
  }
  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId?: string };
  }
  /** The koa context's `oidc` part, as configuration callbacks (loadExistingGrant) see it. */
  export interface OidcContext {
    oidc: {
      provider: Provider;
      client: ClientModel;
      session?: { accountId?: string };
      result?: { login?: { accountId?: string } };
      requestParamScopes?: Set<string>;
      params?: Record<string, unknown>;
    };
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    Client: { find(id: string): Promise<ClientModel | undefined> };
    Grant: new (init: { accountId: string; clientId: string }) => GrantModel;
    RefreshToken: new (init: { client: ClientModel; accountId: string; grantId: string; scope: string; gty: string }) => RefreshTokenModel;
  }
}
