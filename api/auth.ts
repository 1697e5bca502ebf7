import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { ForbiddenError, UnauthorizedError } from '../core/errors';

export type Role = 'user' | 'admin';

export interface Principal {
  sub: string;
  role: Role;
}

export interface AuthOptions {
  secret: string;
  issuer?: string;
  audience?: string;
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(200),
  role: z.enum(['user', 'admin']),
});

/** The one algorithm accepted; a token naming any other (or `none`) is rejected. */
const ALGORITHM = 'HS256';

/** Tokens whose verification is remembered; beyond it the oldest is forgotten (and verified again when next seen). */
const MAX_REMEMBERED = 10_000;

interface Verified {
  principal: Principal;
  /** From the token's exp and nbf claims, ms. */
  expiresAt: number;
  notBefore: number;
}

export class TokenVerifier {
  private readonly key: Uint8Array;
  /**
   * Tokens already verified, by their exact text: a client sends the same token
   * on every request, and an HMAC check per request was a thread-pool round trip
   * on the hot path. Any other text (one changed byte) is verified in full; a
   * remembered token still stops working at its exp.
   */
  private readonly verified = new Map<string, Verified>();

  constructor(private readonly opts: AuthOptions) {
    this.key = new TextEncoder().encode(opts.secret);
  }

  /** Verifies a bearer token; any failure is an UnauthorizedError with a reason. */
  async verify(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    const now = Date.now();
    if (known && now < known.expiresAt && now >= known.notBefore) return known.principal;
    this.verified.delete(token);
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        requiredClaims: ['exp', 'sub'],
        issuer: this.opts.issuer,
        audience: this.opts.audience,
      });
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw new UnauthorizedError('token claims: sub and role (user|admin) are required');
      this.remember(token, { principal: claims.data, expiresAt: payload.exp! * 1000, notBefore: (payload.nbf ?? 0) * 1000 });
      return claims.data;
    } catch (err) {
      if (err instanceof UnauthorizedError) throw err;
      if (err instanceof errors.JWTExpired) throw new UnauthorizedError('token expired');
      if (err instanceof errors.JOSEError) throw new UnauthorizedError(`invalid token (${err.code})`);
      throw new UnauthorizedError('invalid token');
    }
  }

  private remember(token: string, entry: Verified): void {
    this.verified.set(token, entry);
    if (this.verified.size > MAX_REMEMBERED) this.verified.delete(this.verified.keys().next().value!);
  }
}

/** Signs a token the API accepts (the `token` command and tests use this). */
export function signToken(opts: AuthOptions, principal: Principal, expiresIn: string | number = '12h'): Promise<string> {
  let jwt = new SignJWT({ role: principal.role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(principal.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (opts.issuer) jwt = jwt.setIssuer(opts.issuer);
  if (opts.audience) jwt = jwt.setAudience(opts.audience);
  return jwt.sign(new TextEncoder().encode(opts.secret));
}

/** Extracts the token from `Authorization: Bearer …`. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

export type Access = 'public' | 'user' | 'admin';

const ANONYMOUS: Principal = { sub: '', role: 'user' };

/** Resolves the caller for a route's access level: 401 without a valid token, 403 without the role. */
export async function authenticate(
  verifier: TokenVerifier,
  authorization: string | undefined,
  access: Access,
  token?: string,
): Promise<Principal> {
  if (access === 'public') return ANONYMOUS;
  const raw = token ?? bearerToken(authorization);
  if (!raw) throw new UnauthorizedError(authorization ? 'malformed Authorization header: expected "Bearer <token>"' : undefined);
  const principal = await verifier.verify(raw);
  if (access === 'admin' && principal.role !== 'admin') throw new ForbiddenError();
  return principal;
}
