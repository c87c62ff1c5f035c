/**
 * The dashboard's one stylesheet, served from a hashed URL (no inline
 * styles, so the CSP can forbid them). Mobile first: one column from 360 px,
 * wider grids from 700 px; touch targets at least 44 px; dark mode follows
 * the system. Colours keep 4.5:1 contrast on their backgrounds in both.
 */
export const stylesheet = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#16181d;--muted:#4d5562;--line:#d5d9e0;--accent:#0b57d0;--on-accent:#fff;--ok:#146c2e;--bad:#b3261e;--warn:#8a5300;--focus:#0b57d0}
@media (prefers-color-scheme:dark){:root{--bg:#101317;--card:#1a1e24;--fg:#e8eaed;--muted:#aab1bc;--line:#343a44;--accent:#8ab4f8;--on-accent:#0b1a33;--ok:#6dd58c;--bad:#f2b8b5;--warn:#ffb95c;--focus:#8ab4f8}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;overflow-wrap:anywhere}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:var(--card);padding:8px;z-index:2}
header{background:var(--card);border-bottom:1px solid var(--line)}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:4px 12px;padding:4px 12px;max-width:1100px;margin:0 auto}
.brand{font-weight:700;margin-right:auto;min-height:44px;display:flex;align-items:center;text-decoration:none;color:var(--fg)}
nav ul{display:flex;flex-wrap:wrap;gap:4px;list-style:none;margin:0;padding:0 8px 4px;max-width:1100px;margin:0 auto}
nav a{display:flex;align-items:center;min-height:44px;padding:0 12px;border-radius:8px;text-decoration:none}
nav a[aria-current=page]{background:var(--accent);color:var(--on-accent)}
main{max-width:1100px;margin:0 auto;padding:12px}
h1{font-size:1.4rem;margin:8px 0 12px}h2{font-size:1.1rem;margin:20px 0 8px}
.grid{display:grid;gap:12px;grid-template-columns:1fr}
@media (min-width:700px){.grid{grid-template-columns:repeat(auto-fill,minmax(240px,1fr))}}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:12px 14px;min-width:0}
.card h2{margin-top:0}
.big{font-size:1.8rem;font-weight:700;margin:0}
.muted{color:var(--muted)}
ul.list{list-style:none;margin:0;padding:0}
ul.list>li{border-top:1px solid var(--line);padding:10px 0}
ul.list>li:first-child{border-top:0}
.row{display:flex;flex-wrap:wrap;gap:4px 12px;align-items:center;justify-content:space-between}
.row>a{min-height:44px;display:flex;align-items:center;font-weight:600}
.badge{display:inline-block;border:1px solid currentColor;border-radius:999px;padding:0 10px;font-size:.875rem;white-space:nowrap}
.s-connected{color:var(--ok)}.s-disconnected{color:var(--bad)}.s-pending{color:var(--warn)}
.h-healthy{color:var(--ok)}.h-critical,.h-disconnected{color:var(--on-accent);background:var(--bad);border-color:var(--bad)}.h-warning,.h-pending{color:var(--warn)}
.sev-critical{color:var(--bad)}.sev-warning{color:var(--warn)}.sev-info,.sev-none{color:var(--muted)}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:8px 6px;border-top:1px solid var(--line);vertical-align:top;overflow-wrap:break-word}
/* Words stay whole in tables (the wrapper scrolls instead); elsewhere long names may break anywhere. */
th{color:var(--muted);font-weight:600}
form{margin:0}
label{display:block;font-weight:600;margin:10px 0 4px}
input,select,textarea{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--muted);border-radius:8px;min-height:44px;padding:8px 10px;width:100%;max-width:100%}
button{font:inherit;min-height:44px;min-width:44px;padding:8px 16px;border-radius:8px;border:1px solid var(--accent);background:var(--accent);color:var(--on-accent);cursor:pointer;font-weight:600}
button.quiet{background:transparent;color:var(--accent)}
a.button{display:flex;align-items:center;justify-content:center;min-height:44px;padding:8px 16px;border-radius:8px;border:1px solid var(--accent);color:var(--accent);font-weight:600;text-decoration:none}
ul.providers{list-style:none;margin:0;padding:0;display:grid;gap:8px}
label.check{display:flex;align-items:center;gap:8px;min-height:44px}label.check>input{width:auto;min-height:0;margin:0}
span.actions{display:flex;gap:8px;flex-wrap:wrap}
fieldset{border:0;padding:0;margin:8px 0}legend{font-weight:600}
.inline{display:flex;flex-wrap:wrap;gap:8px;align-items:end}
.inline>*{flex:1 1 140px}.inline>button{flex:0 0 auto}
pre{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:10px;overflow-x:auto;max-width:100%;font-size:.85rem;white-space:pre}
.notice{border-left:4px solid var(--accent);background:var(--card);padding:10px 12px;margin:12px 0;border-radius:4px}
.error{border-left-color:var(--bad)}
details>summary{min-height:44px;display:flex;align-items:center;cursor:pointer;color:var(--accent);font-weight:600}
footer{max-width:1100px;margin:0 auto;padding:16px 12px 32px;color:var(--muted);font-size:.9rem}
footer form{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin-top:8px}
footer label{margin:0}footer select{width:auto}
.chart{margin:0 0 12px}.chart svg{width:100%;height:140px;display:block;background:var(--bg);border-radius:8px}
.chart .axis{stroke:var(--line);stroke-width:1}.chart .tick{fill:var(--muted);font-size:11px}
.chart .line{fill:none;stroke-width:2;vector-effect:non-scaling-stroke}
/* Lines differ by dash as well as colour, so overlapping or colour-blind-confusable lines stay apart. */
.line.c1{stroke-dasharray:6 3}.line.c2{stroke-dasharray:2 3}.line.c3{stroke-dasharray:8 3 2 3}.line.c4{stroke-dasharray:1 2}
.c0{stroke:#0b57d0;background:#0b57d0}.c1{stroke:#b3261e;background:#b3261e}.c2{stroke:#146c2e;background:#146c2e}.c3{stroke:#8a5300;background:#8a5300}.c4{stroke:#6f42c1;background:#6f42c1}
@media (prefers-color-scheme:dark){.c0{stroke:#8ab4f8;background:#8ab4f8}.c1{stroke:#f2b8b5;background:#f2b8b5}.c2{stroke:#6dd58c;background:#6dd58c}.c3{stroke:#ffb95c;background:#ffb95c}.c4{stroke:#d0bcff;background:#d0bcff}}
ul.legend{list-style:none;padding:0;margin:6px 0 0;font-size:.9rem}.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-1px}
ul.list.card{padding:2px 14px}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}

.att{border-left:4px solid var(--warn);padding-left:10px!important}.att-critical{border-left-color:var(--bad)}
.lbl{display:inline-block;margin-right:10px}
.links{display:flex;flex-wrap:wrap;gap:0 12px}.links a,.paging a,h2>a,p>a,td>a{min-height:44px;display:inline-flex;align-items:center}
.paging{display:flex;flex-wrap:wrap;gap:4px 16px;align-items:center;margin-top:8px}.paging a[aria-current]{font-weight:700;text-decoration:none}
.filters{margin-bottom:8px}
.notice.ok{border-left-color:var(--ok)}
.small{font-size:.8rem}
pre.wrap{white-space:pre-wrap;word-break:break-all}pre.yaml{max-height:50vh;overflow:auto}
.copyable{margin:10px 0}.copyable .label{font-weight:600}
button.danger{background:var(--bad);border-color:var(--bad);color:var(--on-accent)}
a.danger-link{color:var(--bad);border-color:var(--bad);display:inline-flex}
form.inline>a.button{flex:0 0 auto}
`.trim();
