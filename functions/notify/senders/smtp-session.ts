import { connect } from 'cloudflare:sockets';

const encoder = new TextEncoder();

/** How the conversation is protected: TLS from the first byte (465), STARTTLS (587), or not at all. */
export type SmtpTls = 'implicit' | 'starttls' | 'none';

/** How long each step may take, in ms. */
export interface SmtpDeadlines {
  connect: number;
  tls: number;
  /** Each reply, the greeting included. */
  reply: number;
  /** The whole conversation, however many steps it has. */
  total: number;
}

/**
 * Connect 10 s, TLS handshake 10 s, each reply 30 s (RFC 5321 allows
 * minutes, but a queue consumer cannot wait that long and a server that
 * slow is better retried later), at most 2 minutes in all.
 */
export const defaultDeadlines: SmtpDeadlines = {
  connect: 10_000,
  tls: 10_000,
  reply: 30_000,
  total: 120_000,
};

/** A step that did not finish in time; names the step. */
export class SmtpTimeout extends Error {
  override readonly name = 'SmtpTimeout';
}

/**
 * The server answered with a code the step did not expect. A 5xx is a
 * permanent refusal (RFC 5321 4.2.1: bad credentials, an unknown mailbox,
 * a policy refusal); a 4xx asks to try again later.
 */
export class SmtpReplyError extends Error {
  override readonly name = 'SmtpReplyError';
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
  get permanent(): boolean {
    return this.code >= 500 && this.code < 600;
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A line-oriented SMTP conversation over a Workers TCP socket (RFC 5321)
 * with implicit TLS or STARTTLS, where every step (connect, TLS handshake,
 * each reply) has a deadline: a server that accepts the connection and then
 * says nothing cannot hold a delivery forever.
 */
export class SmtpSession {
  #socket: Socket;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #buffer = '';
  readonly #decoder = new TextDecoder();
  readonly #target: string;
  readonly #deadlines: SmtpDeadlines;
  readonly #endsAt: number;
  /**
   * TLS was asked for and not yet proven by a reply read through it: workerd
   * reports a refused certificate only as a failed read or write, so a
   * failure now is explained as a TLS one.
   */
  #tlsUnproven: boolean;

  private constructor(socket: Socket, target: string, deadlines: SmtpDeadlines) {
    this.#socket = socket;
    this.#reader = socket.readable.getReader();
    this.#writer = socket.writable.getWriter();
    this.#target = target;
    this.#deadlines = deadlines;
    this.#endsAt = Date.now() + deadlines.total;
    this.#tlsUnproven = false;
  }

  /**
   * Connects; with `implicit` TLS the handshake is part of opening (workerd
   * resolves `opened` only once it is done), so both share one deadline.
   */
  static async open(
    host: string,
    port: number,
    tls: SmtpTls,
    deadlines: SmtpDeadlines = defaultDeadlines,
  ): Promise<SmtpSession> {
    const target = `${host}:${port}`;
    const implicit = tls === 'implicit';
    const socket = connect(
      { hostname: host, port },
      {
        secureTransport: implicit ? 'on' : tls === 'starttls' ? 'starttls' : 'off',
        allowHalfOpen: false,
      },
    );
    const step = implicit ? 'connect and TLS handshake' : 'connect';
    const ms = implicit ? deadlines.connect + deadlines.tls : deadlines.connect;
    try {
      await withDeadline(socket.opened, ms, `SMTP ${step} with ${target}`);
    } catch (error) {
      socket.close().catch(() => undefined);
      if (error instanceof SmtpTimeout) throw error;
      throw new Error(
        implicit
          ? `SMTP ${step} with ${target} failed: is it listening with TLS (port 465 style), and is its certificate trusted and issued for ${host}? (${describe(error)})`
          : `SMTP connect to ${target} failed (${describe(error)})`,
      );
    }
    // Implicit TLS is proven already: `opened` resolved only after the handshake.
    return new SmtpSession(socket, target, deadlines);
  }

  /** The deadline for a step: its own, but never past the conversation's. */
  #limit(ms: number): number {
    return Math.max(0, Math.min(ms, this.#endsAt - Date.now()));
  }

  /** Runs `work` under the step's deadline; on a timeout the socket is closed, so nothing keeps waiting. */
  async #step<T>(step: string, ms: number, work: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(work(), this.#limit(ms), `SMTP ${step} with ${this.#target}`);
    } catch (error) {
      if (error instanceof SmtpTimeout) {
        await this.close();
        throw error;
      }
      if (this.#tlsUnproven)
        throw new Error(
          `SMTP ${step} with ${this.#target}: TLS failed. Is the server's certificate trusted and issued for the host configured? (${describe(error)})`,
        );
      throw error;
    }
  }

  async #readReply(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const newline = this.#buffer.indexOf('\n');
      if (newline >= 0) {
        const line = this.#buffer.slice(0, newline).replace(/\r$/, '');
        this.#buffer = this.#buffer.slice(newline + 1);
        lines.push(line);
        if (line[3] !== '-') return lines;
        continue;
      }
      const { value, done } = await this.#reader.read();
      if (done)
        throw new Error(
          `SMTP server ${this.#target} closed the connection${lines.length ? ` (after: ${lines.join(' | ')})` : ''}`,
        );
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  /** Reads one (possibly multi-line) reply within the deadline; throws unless its code is one of `expected`. */
  async expect(step: string, ...expected: number[]): Promise<string[]> {
    return this.#exchange(step, this.#deadlines.reply, undefined, expected);
  }

  /** Sends a line and reads the reply, both within the step's deadline. */
  async command(step: string, line: string, ...expected: number[]): Promise<string[]> {
    return this.#exchange(step, this.#deadlines.reply, line, expected);
  }

  async #exchange(
    step: string,
    ms: number,
    line: string | undefined,
    expected: number[],
  ): Promise<string[]> {
    // The first exchange over a STARTTLS upgrade also carries the handshake.
    const handshake = this.#tlsUnproven ? this.#deadlines.tls : 0;
    const lines = await this.#step(step, ms + handshake, async () => {
      if (line !== undefined) await this.#writer.write(encoder.encode(`${line}\r\n`));
      return this.#readReply();
    });
    this.#tlsUnproven = false;
    const code = Number(lines.at(-1)?.slice(0, 3));
    if (!expected.includes(code))
      throw new SmtpReplyError(
        `SMTP ${step}: expected ${expected.join('/')}, got "${lines.join(' | ')}"`,
        code,
      );
    return lines;
  }

  /** Upgrades the connection after the server agreed to STARTTLS; the handshake runs with the next exchange. */
  upgrade(host: string): void {
    this.#reader.releaseLock();
    this.#writer.releaseLock();
    this.#socket = this.#socket.startTls({ expectedServerHostname: host });
    this.#reader = this.#socket.readable.getReader();
    this.#writer = this.#socket.writable.getWriter();
    this.#buffer = '';
    this.#tlsUnproven = true;
  }

  async close(): Promise<void> {
    try {
      await this.#socket.close();
    } catch {
      // already closed
    }
  }
}

/** `work`, or an SmtpTimeout naming `what` after `ms`; a late failure of `work` is swallowed. */
async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  work.catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SmtpTimeout(`${what}: no answer within ${formatMs(ms)}`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const formatMs = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
