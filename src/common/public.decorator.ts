import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'strongroom:public';
/**
 * No authentication (health probes, metrics with their own token). A route marker the auth guards
 * read, kept in common so the probes and metrics do not depend on auth.
 */
export const Public = () => SetMetadata(IS_PUBLIC, true);
