import jwt from 'jsonwebtoken';
import { RUN_KEYS } from './settings.js';

/** An HS256 admin token as the service expects (see test/support/tokens.ts). */
export function adminToken(sub = 'bench-admin'): string {
  return jwt.sign({ roles: ['admin'] }, RUN_KEYS.jwtSecret, { algorithm: 'HS256', subject: sub, expiresIn: '6h' });
}
