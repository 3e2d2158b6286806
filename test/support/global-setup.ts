/** Runs once before all test files. Per-file databases are made by `test/support/database.ts`. */
export default function setup(): void {
  process.env.TZ = 'UTC';
}
