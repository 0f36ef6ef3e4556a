import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends a run with one plain `N passed, N failed, N skipped` line that CI tooling can read. A test
 * file that fails before any test runs (an import that throws, a missing fixture directory) has no
 * tests to count: it counts as one failed, and the line names it, so a run that loaded nothing
 * never reads "0 failed".
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const unloaded: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      if (module.errors().length > 0) {
        counts.failed++;
        unloaded.push(module.relativeModuleId);
      }
    }
    const note = unloaded.length === 0 ? '' : ` (${unloaded.length} failed to load: ${unloaded.join(', ')})`;
    process.stdout.write(`tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${note}\n`);
  }
}
