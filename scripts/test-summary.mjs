// Prints vitest's JSON results as the plain line CI reads: "N passed, N failed".
// A missing or unreadable results file counts as one failure, never as success.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? ".vitest-results.json";
let passed = 0;
let failed = 1;
try {
  const results = JSON.parse(readFileSync(file, "utf8"));
  passed = results.numPassedTests;
  // A file that failed without a failing test (an import error, a failing hook) counts once.
  const brokenFiles = (results.testResults ?? []).filter(
    (file) => file.status === "failed" && !(file.assertionResults ?? []).some((test) => test.status === "failed"),
  ).length;
  failed = results.numFailedTests + brokenFiles;
  if (results.numTotalTests === 0) failed += 1;
} catch (error) {
  console.error(`test-summary: cannot read ${file}: ${error.message}`);
}
console.log(`${passed} passed, ${failed} failed`);
