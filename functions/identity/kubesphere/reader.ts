import type { FieldIssue } from '../../errors';

export interface TranslateContext {
  /** The entry's location in the document (`authentication.oauthOptions.identityProviders[0]`). */
  path: string;
  /** This edge's callback URL for a provider name, for the redirectURL note. */
  callbackUrl: (name: string) => string;
  issues: FieldIssue[];
  warnings: FieldIssue[];
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** KubeSphere configs write unset settings as "" or null: both mean "not set". */
export const unset = (v: unknown) => v === undefined || v === null || v === '';

/** Reads a KubeSphere `provider` map, noting what each edgetower field came from. */
export class ProviderReader {
  readonly config: Record<string, unknown> = {};
  readonly origin: Record<string, string> = {};
  private readonly read = new Set<string>();

  constructor(
    private readonly source: Record<string, unknown>,
    private readonly context: TranslateContext,
    private readonly kubeSphereType: string,
  ) {}

  private field = (key: string) => `${this.context.path}.provider.${key}`;

  get(key: string): unknown {
    this.read.add(key);
    return unset(this.source[key]) ? undefined : this.source[key];
  }

  set(to: string, value: unknown, from: string) {
    this.config[to] = value;
    this.origin[to] = from;
  }

  copy(from: string, to = from) {
    const value = this.get(from);
    if (value !== undefined) this.set(to, value, from);
  }

  problem(key: string, message: string) {
    this.context.issues.push({ path: this.field(key), message });
  }

  note(key: string, message: string) {
    this.context.warnings.push({ path: this.field(key), message });
  }

  /** A setting edgetower does not apply: noted when it is set, never an error. */
  ignore(key: string, why: string) {
    const value = this.get(key);
    if (value !== undefined && value !== false) this.note(key, `ignored: ${why}`);
  }

  /** `insecureSkipVerify: true` is refused: edgetower always verifies TLS. */
  refuseInsecure(hint: string) {
    if (this.get('insecureSkipVerify') === true)
      this.problem('insecureSkipVerify', `edgetower always verifies certificates; ${hint}`);
  }

  redirectNote(name: string) {
    if (this.get('redirectURL') !== undefined)
      this.note(
        'redirectURL',
        `replaced: register ${this.context.callbackUrl(name)} as the redirect (callback) URL at the provider`,
      );
  }

  /** Keys nobody read are settings edgetower does not know: refused, not silently dropped. */
  finish() {
    for (const key of Object.keys(this.source))
      if (!this.read.has(key))
        this.problem(key, `not a ${this.kubeSphereType} setting edgetower knows`);
  }
}
