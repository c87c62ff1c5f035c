import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildEditorModule, OUTPUT } from '../../scripts/promql-editor/build';

describe('the PromQL editor script', () => {
  it('is the bundle of editor.browser.js and the grammar installed now (run the build script if not)', async () => {
    const committed = readFileSync(OUTPUT, 'utf8');
    expect(committed === (await buildEditorModule())).toBe(true);
  });

  it('highlights with the Prometheus grammar and classHighlighter, and stays small', () => {
    const committed = readFileSync(OUTPUT, 'utf8');
    expect(committed).toContain('tok-');
    expect(committed).toContain('textarea[data-promql]');
    expect(committed.length).toBeLessThan(100 * 1024);
  });
});
