// Prints CI's closing line from vitest's JSON report: "N passed, N failed[, N skipped]".
// A failing run with no failed test (typecheck error, a test file that cannot load) still counts as failed.
const fs = require('node:fs');
const [file, status] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch {
  report = undefined;
}
const passed = report?.numPassedTests ?? 0;
let failed = report?.numFailedTests ?? 0;
if (Number(status) !== 0 && failed === 0) failed = Math.max(1, report?.numFailedTestSuites ?? 0);
const skipped = (report?.numPendingTests ?? 0) + (report?.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
