import { connect } from 'cloudflare:sockets';
import {
  type BerElement,
  boolean,
  children,
  enumerated,
  integer,
  octetString,
  readElement,
  readInteger,
  readString,
  Tag,
  tlv,
} from './ber';
import { type Channel, rootCaTlsChannel, socketChannel } from './channel';
import { encodeFilter } from './filter';

/**
 * A small LDAPv3 client (RFC 4511) over Workers TCP sockets: simple bind,
 * subtree search, StartTLS (RFC 4513 §3) or LDAPS. One operation at a time
 * per connection, which is all a login needs.
 */

export type LdapTransport = 'plain' | 'starttls' | 'ldaps';

export interface LdapConnectOptions {
  host: string;
  port: number;
  transport: LdapTransport;
  /** Per operation, including the TCP/TLS handshake. */
  timeoutMs: number;
  /**
   * PEM of the only CA to trust for this server. Unset: the runtime's TLS and
   * trust store. Set: TLS is done here, over the plain socket (channel.ts).
   */
  rootCa?: string | undefined;
}

export interface LdapEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

/** A failure talking to the server: `stage` says which step (connect, starttls, bind, search). */
export class LdapError extends Error {
  constructor(
    readonly stage: string,
    message: string,
    readonly resultCode?: number,
  ) {
    super(message);
  }
}

/** RFC 4511 result codes a login distinguishes. */
export const ResultCode = { success: 0, invalidCredentials: 49 } as const;

const Op = {
  bindRequest: 0x60,
  bindResponse: 0x61,
  unbindRequest: 0x42,
  searchRequest: 0x63,
  searchEntry: 0x64,
  searchDone: 0x65,
  searchReference: 0x73,
  extendedRequest: 0x77,
  extendedResponse: 0x78,
} as const;

const START_TLS_OID = '1.3.6.1.4.1.1466.20037';

interface LdapResult {
  code: number;
  diagnostic: string;
}

function parseResult(op: BerElement): LdapResult {
  const [code, , diagnostic] = children(op);
  return {
    code: code ? readInteger(code) : -1,
    diagnostic: diagnostic ? readString(diagnostic) : '',
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, stage: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LdapError(stage, `timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class LdapConnection {
  private messageId = 0;
  /** TLS is set up lazily: certificate problems surface on the first write or read. */
  private tlsUnconfirmed: boolean;
  private buffer = new Uint8Array(0);
  private channel: Channel;

  private constructor(
    private socket: Socket,
    private readonly options: LdapConnectOptions,
  ) {
    this.channel = socketChannel(socket);
    this.tlsUnconfirmed = options.transport === 'ldaps' && !options.rootCa;
  }

  private failure(stage: string, what: string, error: unknown): LdapError {
    if (error instanceof LdapError) return error;
    const detail = describe(error);
    return this.tlsUnconfirmed
      ? new LdapError(
          stage,
          `TLS with ${this.options.host} failed: is its certificate trusted and issued for that name? (${detail})`,
        )
      : new LdapError(stage, `${what} (${detail})`);
  }

  /** Connects (and upgrades with StartTLS when asked). */
  static async open(options: LdapConnectOptions): Promise<LdapConnection> {
    // With a rootCA the runtime's TLS (which would check its own trust store) is never started.
    const secureTransport = options.rootCa
      ? 'off'
      : ({ plain: 'off', starttls: 'starttls', ldaps: 'on' } as const)[options.transport];
    const socket = connect(
      { hostname: options.host, port: options.port },
      { allowHalfOpen: false, secureTransport },
    );
    try {
      await withTimeout(socket.opened, options.timeoutMs, 'connect');
    } catch (error) {
      socket.close().catch(() => {});
      throw error instanceof LdapError
        ? error
        : new LdapError(
            'connect',
            `cannot connect to ${options.host}:${options.port} (${describe(error)})`,
          );
    }
    const connection = new LdapConnection(socket, options);
    try {
      if (options.transport === 'ldaps' && options.rootCa) await connection.rootCaTls('connect');
      if (options.transport === 'starttls') await connection.startTls();
    } catch (error) {
      await connection.socket.close().catch(() => {});
      throw error;
    }
    return connection;
  }

  /** TLS against the provider's own CA, done here over the plain socket. */
  private async rootCaTls(stage: string) {
    const { host, rootCa, timeoutMs } = this.options;
    try {
      this.channel = await withTimeout(
        rootCaTlsChannel(this.channel, host, rootCa ?? ''),
        timeoutMs,
        stage,
      );
    } catch (error) {
      throw error instanceof LdapError
        ? error
        : new LdapError(
            stage,
            `TLS with ${host} failed against the configured rootCA: ${describe(error)} (the certificate must chain to rootCA and name ${host} as a DNS name; with rootCA edgetower speaks TLS 1.3 with P-256 and AES-128-GCM itself)`,
          );
    }
  }

  private async startTls() {
    const op = await this.request(
      tlv(Op.extendedRequest, octetString(START_TLS_OID, 0x80)),
      Op.extendedResponse,
      'starttls',
    );
    const result = parseResult(op);
    if (result.code !== ResultCode.success)
      throw new LdapError(
        'starttls',
        `server refused StartTLS (${result.code} ${result.diagnostic})`.trim(),
        result.code,
      );
    if (this.buffer.length)
      throw new LdapError('starttls', 'the server sent data before the TLS handshake');
    if (this.options.rootCa) return this.rootCaTls('starttls');
    this.channel.release();
    try {
      this.socket = this.socket.startTls({ expectedServerHostname: this.options.host });
      await withTimeout(this.socket.opened, this.options.timeoutMs, 'starttls');
    } catch (error) {
      throw error instanceof LdapError
        ? error
        : new LdapError('starttls', `TLS handshake failed (${describe(error)})`);
    }
    this.channel = socketChannel(this.socket);
    this.tlsUnconfirmed = true;
  }

  /** Simple bind; resolves with the LDAP result (49 = invalid credentials), throws on transport errors. */
  async bind(dn: string, password: string): Promise<LdapResult> {
    const op = await this.request(
      tlv(Op.bindRequest, integer(3), octetString(dn), octetString(password, 0x80)),
      Op.bindResponse,
      'bind',
    );
    return parseResult(op);
  }

  /** A subtree search; throws LdapError when the server answers with an error. */
  async search(
    base: string,
    filter: string,
    attributes: readonly string[],
    sizeLimit = 0,
  ): Promise<LdapEntry[]> {
    const id = ++this.messageId;
    const request = tlv(
      Op.searchRequest,
      octetString(base),
      enumerated(2), // wholeSubtree
      enumerated(0), // neverDerefAliases
      integer(sizeLimit),
      integer(Math.ceil(this.options.timeoutMs / 1000)),
      boolean(false),
      encodeFilter(filter),
      tlv(Tag.sequence, ...attributes.map((a) => octetString(a))),
    );
    await this.send(id, request, 'search');
    const entries: LdapEntry[] = [];
    for (;;) {
      const op = await this.receive(id, 'search');
      if (op.tag === Op.searchEntry) entries.push(parseEntry(op));
      else if (op.tag === Op.searchDone) {
        const result = parseResult(op);
        // 4 = sizeLimitExceeded: the entries read so far are still good.
        if (result.code !== ResultCode.success && result.code !== 4)
          throw new LdapError(
            'search',
            `search under "${base}" failed (${result.code} ${result.diagnostic})`.trim(),
            result.code,
          );
        return entries;
      } else if (op.tag !== Op.searchReference) {
        throw new LdapError('search', `unexpected response 0x${op.tag.toString(16)}`);
      }
    }
  }

  async close() {
    try {
      await withTimeout(
        this.channel.write(
          tlv(Tag.sequence, integer(++this.messageId), Uint8Array.of(Op.unbindRequest, 0)),
        ),
        1000,
        'unbind',
      );
    } catch {
      // The server may already be gone; closing is best effort.
    }
    await this.socket.close().catch(() => {});
  }

  private async request(op: Uint8Array, expected: number, stage: string) {
    const id = ++this.messageId;
    await this.send(id, op, stage);
    const response = await this.receive(id, stage);
    if (response.tag !== expected)
      throw new LdapError(stage, `unexpected response 0x${response.tag.toString(16)}`);
    return response;
  }

  private async send(id: number, op: Uint8Array, stage: string) {
    try {
      await withTimeout(
        this.channel.write(tlv(Tag.sequence, integer(id), op)),
        this.options.timeoutMs,
        stage,
      );
    } catch (error) {
      throw this.failure(stage, 'write failed', error);
    }
  }

  /** The protocolOp of the next message for `id` (others, e.g. notices of disconnection, are skipped). */
  private async receive(id: number, stage: string): Promise<BerElement> {
    for (;;) {
      const message = readElement(this.buffer);
      if (message) {
        this.buffer = this.buffer.slice(message.size);
        const [messageId, op] = children(message);
        if (!messageId || !op) throw new LdapError(stage, 'malformed LDAP message');
        if (readInteger(messageId) === 0 && op.tag === Op.extendedResponse) {
          const result = parseResult(op);
          throw new LdapError(
            stage,
            `server closed the connection (${result.diagnostic || result.code})`,
          );
        }
        if (readInteger(messageId) === id) return { ...op, content: op.content.slice() };
        continue;
      }
      let chunk: Uint8Array | undefined;
      try {
        chunk = await withTimeout(this.channel.read(), this.options.timeoutMs, stage);
      } catch (error) {
        throw this.failure(stage, 'read failed', error);
      }
      if (!chunk)
        throw this.failure(stage, 'server closed the connection', new Error('end of stream'));
      this.tlsUnconfirmed = false;
      const next = new Uint8Array(this.buffer.length + chunk.length);
      next.set(this.buffer);
      next.set(chunk, this.buffer.length);
      this.buffer = next;
    }
  }
}

function parseEntry(op: BerElement): LdapEntry {
  const [name, list] = children(op);
  const attributes: Record<string, string[]> = {};
  for (const attribute of list ? children(list) : []) {
    const [type, values] = children(attribute);
    if (!type) continue;
    attributes[readString(type).toLowerCase()] = values ? children(values).map(readString) : [];
  }
  return { dn: name ? readString(name) : '', attributes };
}
