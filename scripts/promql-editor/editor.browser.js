/*
 * The PromQL editor of the monitoring editing page (the only page that
 * loads it): a progressive enhancement of each `textarea[data-promql]`,
 * which stays the real field. A <pre> behind it shows the same text
 * highlighted with Prometheus' own grammar (@prometheus-io/lezer-promql)
 * and @lezer/highlight's classHighlighter (`tok-*` classes); syntax errors
 * are underlined. Without a script the textarea is a plain textarea and the
 * server says where the error is (line and column).
 */
import { classHighlighter, highlightTree } from '@lezer/highlight';
import { parser } from '@prometheus-io/lezer-promql';

function errorsOf(tree) {
  const ranges = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) ranges.push([node.from, Math.max(node.to, node.from + 1)]);
    },
  });
  return ranges;
}

function paint(text, pre) {
  // An empty field is not an error yet (the form's spare panel row).
  if (!text.trim()) {
    pre.replaceChildren(`${text} `);
    return;
  }
  const tree = parser.parse(text);
  const classes = new Array(text.length + 1).fill('');
  highlightTree(tree, classHighlighter, (from, to, cls) => {
    for (let i = from; i < to; i++) classes[i] = cls;
  });
  for (const [from, to] of errorsOf(tree))
    for (let i = from; i < to && i <= text.length; i++)
      classes[i] = `${classes[i]} tok-invalid`.trim();
  const out = document.createDocumentFragment();
  let start = 0;
  for (let i = 1; i <= text.length + 1; i++) {
    if (i <= text.length && classes[i] === classes[start]) continue;
    const piece = i > text.length ? `${text.slice(start)} ` : text.slice(start, i);
    if (classes[start]) {
      const span = document.createElement('span');
      span.className = classes[start];
      span.textContent = piece;
      out.append(span);
    } else out.append(piece);
    start = i;
  }
  pre.replaceChildren(out);
}

for (const input of document.querySelectorAll('textarea[data-promql]')) {
  const box = document.createElement('div');
  box.className = 'promql-editor';
  const pre = document.createElement('pre');
  pre.className = 'promql-hl';
  pre.setAttribute('aria-hidden', 'true');
  input.parentNode.insertBefore(box, input);
  box.append(pre, input);
  input.classList.add('promql-input');
  input.spellcheck = false;
  const update = () => {
    paint(input.value, pre);
    pre.scrollTop = input.scrollTop;
  };
  input.addEventListener('input', update);
  input.addEventListener('scroll', () => {
    pre.scrollTop = input.scrollTop;
  });
  update();
}
