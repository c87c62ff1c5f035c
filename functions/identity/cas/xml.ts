/**
 * A small XML 1.0 parser for short machine answers such as CAS's
 * serviceResponse: elements, attributes, text, CDATA, comments, processing
 * instructions, the five predefined entities and character references, and
 * namespaces (prefixes resolved to URIs). No DTDs: a `<!DOCTYPE` or
 * `<!ENTITY` is refused, so nothing is ever expanded or fetched. Workers
 * have no DOMParser.
 */

export interface XmlElement {
  /** Namespace URI ('' for none). */
  namespace: string;
  localName: string;
  /** Attributes by local name (namespace declarations left out). */
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), children's text left out. */
  text: string;
}

export class XmlError extends Error {}

const predefined: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const MAX_DEPTH = 32;
const nameChar = /[\w.:\u00b7\u00c0-\uffff-]/;

function decodeEntities(raw: string): string {
  return raw.replace(/&([^;&\s]{0,32});/g, (_, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      if (!Number.isInteger(code) || code < 1 || code > 0x10ffff)
        throw new XmlError(`bad character reference &${ref};`);
      return String.fromCodePoint(code);
    }
    const value = predefined[ref];
    if (value === undefined) throw new XmlError(`undeclared entity &${ref};`);
    return value;
  });
}

interface Open {
  qname: string;
  scope: Map<string, string>;
  element: XmlElement;
}

class Parser {
  private pos = 0;
  private readonly stack: Open[] = [];
  private root: XmlElement | undefined;

  constructor(private readonly text: string) {}

  parse(): XmlElement {
    const t = this.text;
    while (this.pos < t.length) {
      const lt = t.indexOf('<', this.pos);
      if (lt < 0) {
        this.addText(t.slice(this.pos));
        break;
      }
      if (lt > this.pos) this.addText(t.slice(this.pos, lt));
      this.pos = lt;
      if (t.startsWith('<?', lt)) this.skipPast('?>', 'processing instruction');
      else if (t.startsWith('<!--', lt)) this.skipPast('-->', 'comment');
      else if (t.startsWith('<![CDATA[', lt)) {
        const end = this.indexOrFail(']]>', lt + 9, 'CDATA section');
        this.addText(t.slice(lt + 9, end), true);
        this.pos = end + 3;
      } else if (t.startsWith('<!', lt))
        throw new XmlError('DTDs and entity declarations are not accepted');
      else if (t.startsWith('</', lt)) this.closeTag();
      else this.openTag();
    }
    if (this.stack.length) throw new XmlError(`<${this.stack.at(-1)?.qname}> is not closed`);
    if (!this.root) throw new XmlError('no root element');
    return this.root;
  }

  private indexOrFail(token: string, from: number, what: string): number {
    const at = this.text.indexOf(token, from);
    if (at < 0) throw new XmlError(`unterminated ${what}`);
    return at;
  }

  private skipPast(token: string, what: string) {
    this.pos = this.indexOrFail(token, this.pos + 2, what) + token.length;
  }

  private addText(raw: string, cdata = false) {
    const current = this.stack.at(-1);
    if (!current) {
      if (raw.trim()) throw new XmlError('text outside the root element');
      return;
    }
    current.element.text += cdata ? raw : decodeEntities(raw);
  }

  private readName(): string {
    const start = this.pos;
    while (this.pos < this.text.length && nameChar.test(this.text[this.pos] ?? '')) this.pos++;
    if (this.pos === start) throw new XmlError(`a name was expected at ${start}`);
    return this.text.slice(start, this.pos);
  }

  private skipSpace() {
    while (/\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private openTag() {
    this.pos++; // <
    const qname = this.readName();
    const rawAttributes: [string, string][] = [];
    for (;;) {
      this.skipSpace();
      const ch = this.text[this.pos];
      if (ch === '>' || ch === '/') break;
      if (ch === undefined) throw new XmlError(`<${qname}> is not terminated`);
      const name = this.readName();
      this.skipSpace();
      if (this.text[this.pos] !== '=') throw new XmlError(`attribute ${name} has no value`);
      this.pos++;
      this.skipSpace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") throw new XmlError(`attribute ${name} is not quoted`);
      const end = this.indexOrFail(quote, this.pos + 1, `attribute ${name}`);
      const raw = this.text.slice(this.pos + 1, end);
      if (raw.includes('<')) throw new XmlError(`"<" in attribute ${name}`);
      if (rawAttributes.some(([n]) => n === name)) throw new XmlError(`attribute ${name} repeated`);
      rawAttributes.push([name, decodeEntities(raw)]);
      this.pos = end + 1;
    }
    const selfClosing = this.text[this.pos] === '/';
    this.pos += selfClosing ? 1 : 0;
    if (this.text[this.pos] !== '>') throw new XmlError(`<${qname}> is not terminated`);
    this.pos++;
    if (this.root && this.stack.length === 0) throw new XmlError('more than one root element');
    if (this.stack.length >= MAX_DEPTH) throw new XmlError('elements nest too deep');
    this.begin(qname, rawAttributes);
    if (selfClosing) this.stack.pop();
  }

  private begin(qname: string, rawAttributes: [string, string][]) {
    const parent = this.stack.at(-1);
    const scope = new Map(parent?.scope ?? [['xml', 'http://www.w3.org/XML/1998/namespace']]);
    for (const [name, value] of rawAttributes) {
      if (name === 'xmlns') scope.set('', value);
      else if (name.startsWith('xmlns:')) scope.set(name.slice(6), value);
    }
    const resolve = (name: string, isAttribute: boolean) => {
      const colon = name.indexOf(':');
      if (colon < 0) return { namespace: isAttribute ? '' : (scope.get('') ?? ''), local: name };
      const prefix = name.slice(0, colon);
      const namespace = scope.get(prefix);
      if (namespace === undefined) throw new XmlError(`undeclared namespace prefix "${prefix}"`);
      return { namespace, local: name.slice(colon + 1) };
    };
    const { namespace, local } = resolve(qname, false);
    const attributes: Record<string, string> = {};
    for (const [name, value] of rawAttributes)
      if (name !== 'xmlns' && !name.startsWith('xmlns:'))
        attributes[resolve(name, true).local] = value;
    const element: XmlElement = { namespace, localName: local, attributes, children: [], text: '' };
    if (parent) parent.element.children.push(element);
    else this.root = element;
    this.stack.push({ qname, scope, element });
  }

  private closeTag() {
    this.pos += 2;
    const qname = this.readName();
    this.skipSpace();
    if (this.text[this.pos] !== '>') throw new XmlError(`</${qname}> is not terminated`);
    this.pos++;
    const open = this.stack.at(-1);
    if (!open || open.qname !== qname)
      throw new XmlError(`</${qname}> does not close ${open ? `<${open.qname}>` : 'anything'}`);
    this.stack.pop();
  }
}

/** Parses a whole document; throws XmlError on anything malformed or a DTD. */
export function parseXml(text: string): XmlElement {
  return new Parser(text.replace(/^\uFEFF/, '')).parse();
}

/** Child elements with this namespace and local name. */
export const childrenNamed = (element: XmlElement, namespace: string, localName: string) =>
  element.children.filter((c) => c.namespace === namespace && c.localName === localName);
