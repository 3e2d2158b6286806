import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor } from './auth.types.js';

export const CurrentActor = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Actor => ctx.switchToHttp().getRequest<{ user: Actor }>().user,
);
