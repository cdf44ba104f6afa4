import { relative } from 'node:path';

/** The mark describeWhen (test/helpers/suite-requirements.ts) puts in a skipped suite's name. */
const SKIPPED_MARK = ' [skipped: ';

/** After the summary, the suites that did not run and why: a green run must not hide what it left out. */
export default class SkippedSuitesReporter {
  onRunComplete(_contexts, results) {
    const skipped = new Map();
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        const title = test.status === 'pending' && test.ancestorTitles.find((name) => name.includes(SKIPPED_MARK));
        if (title) skipped.set(title, relative(process.cwd(), file.testFilePath));
      }
    }
    if (skipped.size === 0) return;
    console.log(`\nSkipped suites (${skipped.size}):`);
    for (const [title, file] of skipped) console.log(`  ${file}: ${title}`);
  }
}
