import type { Asset } from './assets';
import { promqlEditorScript } from './monitoring-editor-script';

/**
 * The monitoring pages' own stylesheet (charts, usage bars, the editor
 * overlay), kept apart from the shared one and linked only from these
 * pages; and the PromQL editor script, loaded only on the editing page.
 * Both under content-hashed paths, cached for good.
 */
const stylesheet = [
  '.mgrid{display:grid;gap:12px;grid-template-columns:1fr}',
  '@media (min-width:900px){.mgrid{grid-template-columns:1fr 1fr}}',
  '.mchart{margin:0}',
  '.mrange{display:flex;flex-wrap:wrap;gap:4px 14px;margin:8px 0}',
  '.mchart svg{width:100%;max-width:520px;height:auto;display:block;background:var(--bg);border-radius:8px;color:var(--fg)}',
  '.mchart .grid{stroke:var(--line);stroke-width:1}',
  '.mchart .axis{stroke:var(--muted);stroke-width:1}',
  '.mchart .tick{fill:var(--muted)}',
  '.mchart .line{fill:none;stroke-width:2;vector-effect:non-scaling-stroke;stroke-linejoin:round}',
  '.mchart .legend li{overflow-wrap:anywhere}',
  '.swatch.alt{background:repeating-linear-gradient(90deg,currentColor 0 3px,transparent 3px 5px)}',
  '.usage{display:flex;align-items:center;gap:6px;min-width:7em}',
  '.usage meter{flex:1;min-width:3em;height:10px}',
  '.usage span{white-space:nowrap;font-variant-numeric:tabular-nums}',
  '.qerr{color:var(--bad);font-weight:600;margin:4px 0 0}',
  'fieldset.panel{border:1px solid var(--line);border-radius:8px;padding:8px 12px;margin:12px 0}',
  '.two{display:grid;gap:8px;grid-template-columns:1fr 1fr}',
  'textarea.query,.promql-hl{font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;tab-size:2}',
  '.promql-editor{position:relative}',
  '.promql-hl{position:absolute;inset:0;margin:0;padding:8px 10px;border:1px solid transparent;overflow:hidden;white-space:pre-wrap;overflow-wrap:anywhere;pointer-events:none;background:none;color:var(--fg)}',
  'textarea.promql-input{position:relative;background:transparent;color:transparent;caret-color:var(--fg);white-space:pre-wrap;overflow-wrap:anywhere}',
  '.tok-keyword,.tok-modifier{color:#8250df}.tok-function,.tok-operatorKeyword{color:#0b57d0}',
  '.tok-string{color:#146c2e}.tok-number{color:#953800}.tok-labelName{color:#b3261e}',
  '.tok-operator,.tok-logicOperator{color:#6f42c1}.tok-comment{color:var(--muted);font-style:italic}',
  '.tok-invalid{text-decoration:underline wavy var(--bad)}',
  '@media (prefers-color-scheme:dark){.tok-function,.tok-operatorKeyword{color:#8ab4f8}.tok-string{color:#6dd58c}.tok-number{color:#ffb95c}.tok-labelName{color:#f2b8b5}.tok-keyword,.tok-modifier,.tok-operator,.tok-logicOperator{color:#d0bcff}}',
].join('');

/** FNV-1a (32 bit), as the shared assets are named. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export const monitoringAssets = {
  css: {
    path: `/ui/assets/monitoring.${fingerprint(stylesheet)}.css`,
    type: 'text/css; charset=utf-8',
    body: stylesheet,
  },
  editor: {
    path: `/ui/assets/promql-editor.${fingerprint(promqlEditorScript)}.js`,
    type: 'text/javascript; charset=utf-8',
    body: promqlEditorScript,
  },
} satisfies Record<string, Asset>;
