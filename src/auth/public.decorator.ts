import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'strongroom:public';
/** No authentication (health probes, metrics with their own token). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
