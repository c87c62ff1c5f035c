import {
  goFloat,
  humanize,
  humanize1024,
  humanizeDuration,
  humanizePercentage,
  humanizeTimestamp,
} from './go-format';

/**
 * The annotation templates of alerting rules, expanded the way Prometheus
 * expands them for the documented subset: `{{ $labels.x }}`, `{{ $value }}`,
 * `{{ $externalLabels.x }}` (and `.Labels.x`, `.Value`, `.ExternalLabels.x`),
 * pipes, and the formatting functions (`humanize`, `humanizePercentage`,
 * `humanizeDuration`, `printf "%.2f"`, `toUpper`, …).
 *
 * Not Go's template engine, on purpose: there is no `if`, `range`, `with`,
 * `define` or `query`, so a template can neither loop nor call out, and its
 * output is capped. Anything outside the subset expands to a visible
 * `<error: …>` marker and is reported, so the rule's health says why.
 */

export interface TemplateData {
  labels: Readonly<Record<string, string>>;
  externalLabels: Readonly<Record<string, string>>;
  value: number;
}

export interface Expansion {
  text: string;
  /** The first problem met, if any (the text then holds an `<error: …>` marker). */
  error?: string;
}

/** Bytes of one expanded annotation (the protocol's limit). */
export const MAX_EXPANDED_CHARS = 16 * 1024;
/** Actions in one template: more is not an annotation, it is a program. */
const MAX_ACTIONS = 256;

type Value = string | number | Readonly<Record<string, string>>;

class TemplateError extends Error {}

const asNumber = (v: Value): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
    throw new TemplateError(`cannot convert "${v.slice(0, 40)}" to a number`);
  }
  throw new TemplateError('cannot convert a label set to a number');
};
const asText = (v: Value): string => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloat(v);
  return `map[${Object.entries(v)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, x]) => `${k}:${x}`)
    .join(' ')}]`;
};

const numeric =
  (f: (n: number) => string) =>
  (args: Value[]): Value => {
    if (args.length !== 1) throw new TemplateError('expects one argument');
    return f(asNumber(args[0] as Value));
  };
const textual =
  (f: (s: string) => string) =>
  (args: Value[]): Value => {
    if (args.length !== 1) throw new TemplateError('expects one argument');
    return f(asText(args[0] as Value));
  };

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  humanize: numeric(humanize),
  humanize1024: numeric(humanize1024),
  humanizePercentage: numeric(humanizePercentage),
  humanizeDuration: numeric(humanizeDuration),
  humanizeTimestamp: numeric(humanizeTimestamp),
  toUpper: textual((s) => s.toUpperCase()),
  toLower: textual((s) => s.toLowerCase()),
  title: textual((s) =>
    s.replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_, a, b: string) => a + b.toUpperCase()),
  ),
  stripPort: textual((s) => {
    if (s.startsWith('[')) return s.slice(1, s.indexOf(']') > 0 ? s.indexOf(']') : undefined);
    const colons = s.split(':').length - 1;
    return colons === 1 ? (s.split(':')[0] ?? s) : s;
  }),
  stripDomain: textual((s) => {
    const [host = '', port] = s.split(/:(?=\d+$)/);
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return s;
    const short = host.split('.')[0] ?? host;
    return port ? `${short}:${port}` : short;
  }),
  index: (args) => {
    const [map, key] = args;
    if (args.length !== 2 || map === undefined || key === undefined || typeof map !== 'object')
      throw new TemplateError('index expects a label set and a name');
    return map[asText(key)] ?? '';
  },
  printf: (args) => {
    const [format, ...rest] = args;
    if (format === undefined) throw new TemplateError('printf expects a format');
    return printf(asText(format), rest);
  },
};

/** Go's printf for the verbs annotations use: %s %v %q %d %f %e %g with width/precision, %%. */
function printf(format: string, args: Value[]): string {
  let next = 0;
  return format.replace(
    /%([-+ 0]*)(\d+)?(?:\.(\d+))?([svqdfeEgG%])/g,
    (_, flags: string, width, precision, verb: string) => {
      if (verb === '%') return '%';
      const arg = args[next++];
      if (arg === undefined) return `%!${verb}(MISSING)`;
      const prec = precision === undefined ? undefined : Number(precision);
      let out: string;
      switch (verb) {
        case 's':
        case 'v':
          out = asText(arg);
          if (prec !== undefined && verb === 's') out = out.slice(0, prec);
          break;
        case 'q':
          out = JSON.stringify(asText(arg));
          break;
        case 'd':
          out = String(Math.trunc(asNumber(arg)));
          break;
        case 'f':
          out = asNumber(arg).toFixed(prec ?? 6);
          break;
        case 'e':
        case 'E':
          out = asNumber(arg)
            .toExponential(prec ?? 6)
            .replace(/e([+-])(\d)$/, 'e$10$2');
          if (verb === 'E') out = out.toUpperCase();
          break;
        default:
          out = prec === undefined ? goFloat(asNumber(arg)) : asNumber(arg).toPrecision(prec);
      }
      if (flags.includes('+') && /^\d/.test(out) && verb !== 's' && verb !== 'q') out = `+${out}`;
      const w = width === undefined ? 0 : Math.min(Number(width), 256);
      if (out.length < w)
        out = flags.includes('-')
          ? out.padEnd(w)
          : flags.includes('0') && verb !== 's'
            ? out.padStart(w, '0')
            : out.padStart(w);
      return out;
    },
  );
}

type Token = { kind: 'string' | 'number' | 'word' | 'pipe' | 'open' | 'close'; text: string };

function tokenize(action: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < action.length) {
    const c = action[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '|') {
      tokens.push({ kind: 'pipe', text: c });
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'open' : 'close', text: c });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < action.length && action[j] !== '"') {
        if (action[j] === '\\') {
          const e = action[j + 1];
          text += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
          j += 2;
        } else text += action[j++];
      }
      if (j >= action.length) throw new TemplateError('unterminated string');
      tokens.push({ kind: 'string', text });
      i = j + 1;
    } else if (c === '`') {
      const end = action.indexOf('`', i + 1);
      if (end < 0) throw new TemplateError('unterminated raw string');
      tokens.push({ kind: 'string', text: action.slice(i + 1, end) });
      i = end + 1;
    } else {
      const m = /^[^\s|()"`]+/.exec(action.slice(i));
      const text = m?.[0] ?? c;
      tokens.push({ kind: /^[-+]?(\d|\.\d)/.test(text) ? 'number' : 'word', text });
      i += text.length;
    }
  }
  return tokens;
}

/** Evaluates one `{{ … }}` action: a pipeline of commands over the alert's data. */
class ActionEvaluator {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly data: TemplateData,
  ) {}

  run(): Value {
    const value = this.pipeline();
    if (this.pos < this.tokens.length)
      throw new TemplateError(`unexpected "${this.tokens[this.pos]?.text}"`);
    return value;
  }

  private pipeline(): Value {
    let value = this.command(undefined);
    while (this.tokens[this.pos]?.kind === 'pipe') {
      this.pos++;
      value = this.command(value);
    }
    return value;
  }

  /** `f a b` or a lone operand; `piped` is appended as the last argument (Go's pipes). */
  private command(piped: Value | undefined): Value {
    const first = this.tokens[this.pos];
    if (!first) throw new TemplateError('missing value');
    if (first.kind === 'word' && !first.text.startsWith('$') && !first.text.startsWith('.')) {
      this.pos++;
      const fn = FUNCTIONS[first.text];
      if (!fn) throw new TemplateError(`function "${first.text}" not defined`);
      const args: Value[] = [];
      while (this.pos < this.tokens.length && this.isOperandStart()) args.push(this.operand());
      if (piped !== undefined) args.push(piped);
      try {
        return fn(args);
      } catch (error) {
        throw new TemplateError(`${first.text}: ${(error as Error).message}`);
      }
    }
    if (piped !== undefined) throw new TemplateError(`cannot pipe into "${first.text}"`);
    return this.operand();
  }

  private isOperandStart(): boolean {
    const kind = this.tokens[this.pos]?.kind;
    return kind !== 'pipe' && kind !== 'close' && kind !== undefined;
  }

  private operand(): Value {
    const token = this.tokens[this.pos++];
    if (!token) throw new TemplateError('missing value');
    switch (token.kind) {
      case 'string':
        return token.text;
      case 'number':
        return asNumber(token.text);
      case 'open': {
        const value = this.pipeline();
        if (this.tokens[this.pos++]?.kind !== 'close') throw new TemplateError('unclosed "("');
        return value;
      }
      case 'word':
        return this.variable(token.text);
      default:
        throw new TemplateError(`unexpected "${token.text}"`);
    }
  }

  private variable(path: string): Value {
    const [root = '', ...rest] = path.split('.');
    const key = rest.join('.');
    const map =
      root === '$labels' || (root === '' && rest[0] === 'Labels')
        ? this.data.labels
        : root === '$externalLabels' || (root === '' && rest[0] === 'ExternalLabels')
          ? this.data.externalLabels
          : undefined;
    if (root === '$value' || path === '.Value') {
      if (key && path !== '.Value') throw new TemplateError(`"${path}": $value has no fields`);
      return this.data.value;
    }
    if (!map) throw new TemplateError(`undefined variable "${path}"`);
    const field = root === '' ? rest.slice(1).join('.') : key;
    if (!field) return map;
    if (field.includes('.')) throw new TemplateError(`"${path}": labels have no fields`);
    // Prometheus templates run with missingkey=zero: an absent label is "".
    return map[field] ?? '';
  }
}

/** Expands one annotation (or label) template for one alert. Never throws. */
export function expandTemplate(template: string, data: TemplateData): Expansion {
  if (!template.includes('{{')) return { text: cap(template) };
  let out = '';
  let error: string | undefined;
  let i = 0;
  let actions = 0;
  let trimNext = false;
  while (i < template.length && out.length <= MAX_EXPANDED_CHARS) {
    const open = template.indexOf('{{', i);
    let literal = open < 0 ? template.slice(i) : template.slice(i, open);
    if (trimNext) literal = literal.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      out += literal;
      break;
    }
    const close = template.indexOf('}}', open + 2);
    if (close < 0) {
      error ??= 'unclosed action "{{"';
      out += `${literal}<error: ${error}>`;
      break;
    }
    let action = template.slice(open + 2, close);
    if (/^-\s/.test(action)) {
      literal = literal.replace(/\s+$/, '');
      action = action.slice(1);
    }
    if (/\s-$/.test(action)) {
      trimNext = true;
      action = action.slice(0, -1);
    }
    out += literal;
    i = close + 2;
    action = action.trim();
    if (action.startsWith('/*') && action.endsWith('*/')) continue;
    if (++actions > MAX_ACTIONS) {
      error ??= `more than ${MAX_ACTIONS} actions`;
      out += `<error: ${error}>`;
      break;
    }
    try {
      out += asText(new ActionEvaluator(tokenize(action), data).run());
    } catch (e) {
      const message = e instanceof TemplateError ? e.message : String(e);
      const problem = `{{ ${action.slice(0, 80)} }}: ${message}`;
      error ??= problem;
      out += `<error: ${problem}>`;
    }
  }
  return error ? { text: cap(out), error } : { text: cap(out) };
}

function cap(text: string): string {
  return text.length > MAX_EXPANDED_CHARS ? `${text.slice(0, MAX_EXPANDED_CHARS - 1)}…` : text;
}
