import { SetMetadata } from '@nestjs/common';
import type { Role } from './auth.types.js';

export const ROLES_KEY = 'strongroom:roles';
/** Roles allowed on a route. Routes without @Roles are admin-only. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
