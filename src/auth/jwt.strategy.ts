import { createHash, createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy, type StrategyOptionsWithRequest } from 'passport-jwt';
import { AppConfig, RuntimeKeys } from '../config/index.js';
import type { Actor } from './auth.types.js';
import { actorFromClaims } from './claims.js';
import { claimProblem } from './token-claims.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** A signed token whose claims we refuse; its message is safe to return (no token content). */
export class TokenRejected extends Error {
  override readonly name = 'TokenRejected';
}

type Req = { headers: Record<string, unknown> };
const extractToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/** Asymmetric algorithms accepted from an identity provider's JWKS. */
export const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384'] as const;

/**
 * Verifies Bearer JWTs. With JWT_JWKS_URI only asymmetric algorithms pass (so an HS256 token
 * signed with a public key can never pass); otherwise only HS256 with JWT_SECRET. `none` never
 * passes. exp is required and bounded (JWT_MAX_TOKEN_LIFETIME_SECONDS), iat and nbf may not lie
 * in the future beyond JWT_CLOCK_SKEW_SECONDS, sub must name a non-reserved actor (token-claims.ts);
 * iss and aud when configured.
 */
const tokenKey = (token: string) => createHash('sha256').update(token).digest('base64');

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly config: AppConfig,
    keys: RuntimeKeys,
  ) {
    const { jwksUri, issuer, audience } = config.auth;
    const common = {
      jwtFromRequest: extractToken,
      ignoreExpiration: false,
      passReqToCallback: true as const,
      ...(issuer ? { issuer } : {}),
      ...(audience ? { audience } : {}),
      jsonWebTokenOptions: { clockTolerance: config.auth.clockSkewSeconds },
    };
    const options: StrategyOptionsWithRequest = jwksUri
      ? {
          ...common,
          algorithms: [...JWKS_ALGORITHMS],
          secretOrKeyProvider: passportJwtSecret({
            jwksUri,
            cache: true,
            cacheMaxAge: 10 * 60_000,
            rateLimit: true,
            jwksRequestsPerMinute: 10,
            timeout: 5_000,
          }),
        }
      : // A KeyObject, not a string: jsonwebtoken otherwise first tries (and fails) to parse the
        // secret as a PEM public key on every request, which was a sixth of a read's CPU time.
        { ...common, algorithms: ['HS256'], secretOrKey: createSecretKey(Buffer.from(keys.jwtSecret ?? '')) as unknown as string };
    super(options);
    this.verified = new VerifiedTokenCache({ clockToleranceSeconds: config.auth.clockSkewSeconds, issuer, audience });
  }

  private readonly verified: VerifiedTokenCache;

  /**
   * A token whose signature was verified before is not verified again until its exp: the cache
   * (keyed by SHA-256 of the whole token, so any other signature misses) hands back its claims,
   * which are checked again now (exp, nbf, iss, aud, and our own claim rules in validate) and
   * turned into the actor as on a miss. Everything else goes through passport-jwt as before.
   */
  override authenticate(req: Req, options?: unknown): void {
    const token = extractToken(req as never);
    const claims = token ? this.verified.get(tokenKey(token)) : undefined;
    if (claims) {
      const self = this as unknown as { success(user: Actor): void; error(e: unknown): void };
      let actor: Actor;
      try {
        actor = this.validate(req, claims);
      } catch (e) {
        self.error(e);
        return;
      }
      self.success(actor);
      return;
    }
    (Strategy.prototype as unknown as { authenticate(this: unknown, req: unknown, options?: unknown): void }).authenticate.call(this, req, options);
  }

  /** Called by passport-jwt once the signature and the standard claims passed (and on a cache hit). */
  validate(req: Req, payload: Record<string, unknown>): Actor {
    // Real time, as jsonwebtoken uses for exp: the service's Clock is for scheduling, not for tokens.
    const problem = claimProblem(payload, this.config.auth, Math.floor(Date.now() / 1000));
    if (problem) throw new TokenRejected(problem);
    const token = extractToken(req as never);
    if (token) this.verified.remember(tokenKey(token), payload);
    return actorFromClaims(payload, this.config.auth.rolesClaim, this.config.auth.implicitReader);
  }
}
