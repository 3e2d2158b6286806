import { type CallResult, eventually, type TestApp } from './app.js';

export interface SettledRotation {
  /** The answer to POST …/rotate: 200 when the rotation finished in the request, 202 while it retries. */
  response: CallResult;
  /** The rotation record once it completed or failed for good (as GET …/rotations shows it). */
  rotation: any;
}

/**
 * Starts a manual rotation and waits for it to settle. A first attempt that fails answers 202 and
 * the remaining attempts run in the background (src/rotation/README.md), so a failure is seen in
 * the rotation history, not in the response.
 */
export async function rotateAndSettle(app: TestApp, secretId: string, body?: unknown): Promise<SettledRotation> {
  const path = `/api/v1/secrets/${secretId}`;
  const response = await app.call('POST', `${path}/rotate`, body === undefined ? {} : { body });
  if (response.status !== 200 && response.status !== 202) return { response, rotation: response.body?.rotation };
  if (response.status === 200) return { response, rotation: response.body };
  const rotation = await eventually(async () => {
    const history = (await app.call('GET', `${path}/rotations`)).body as any[];
    const r = history.find((h) => h.id === response.body.id);
    return r && (r.status === 'completed' || r.status === 'failed') && r;
  });
  return { response, rotation };
}
