import { Rotator, type RotationCheck } from '../../rotator.port.js';

/** The default: the value lives only in Strongroom, so there is nothing to apply elsewhere. */
export class GeneratedRotator extends Rotator {
  readonly kind = 'generated';
  readonly external = false;
  async apply(): Promise<void> {}
  async verify(): Promise<void> {}
  async revert(): Promise<void> {}
  async check(): Promise<RotationCheck[]> {
    return [];
  }
}
