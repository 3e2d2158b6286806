/**
 * npm run audit:verify -- FILE --public-key KEY [--allow-partial] [--json]
 * Verifies a JSON Lines audit export offline: exit 0 valid, 1 invalid, 2 usage error.
 */
import { runAuditVerify } from './audit-verify.js';

const code = await runAuditVerify(process.argv.slice(2), {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
});
process.exitCode = code;
