import { connect } from 'cloudflare:sockets';

const encoder = new TextEncoder();
const TIMEOUT_MS = 15_000;

/** A line-oriented SMTP conversation over a Workers TCP socket (RFC 5321), STARTTLS-capable. */
export class SmtpSession {
  #socket: Socket;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #buffer = '';
  readonly #decoder = new TextDecoder();

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#reader = socket.readable.getReader();
    this.#writer = socket.writable.getWriter();
  }

  static async open(host: string, port: number, startTls: boolean): Promise<SmtpSession> {
    const socket = connect(
      { hostname: host, port },
      { secureTransport: startTls ? 'starttls' : 'off', allowHalfOpen: false },
    );
    await socket.opened;
    return new SmtpSession(socket);
  }

  /** Reads one (possibly multi-line) reply; throws unless its code is one of `expected`. */
  async expect(...expected: number[]): Promise<string[]> {
    const lines: string[] = [];
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const newline = this.#buffer.indexOf('\n');
      if (newline >= 0) {
        const line = this.#buffer.slice(0, newline).replace(/\r$/, '');
        this.#buffer = this.#buffer.slice(newline + 1);
        lines.push(line);
        if (line[3] !== '-') break;
        continue;
      }
      if (Date.now() > deadline) throw new Error('SMTP server did not answer in time');
      const { value, done } = await this.#reader.read();
      if (done) throw new Error(`SMTP server closed the connection (after: ${lines.join(' | ')})`);
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
    const code = Number(lines.at(-1)?.slice(0, 3));
    if (!expected.includes(code))
      throw new Error(`SMTP: expected ${expected.join('/')}, got "${lines.join(' | ')}"`);
    return lines;
  }

  async send(line: string): Promise<void> {
    await this.#writer.write(encoder.encode(`${line}\r\n`));
  }

  async command(line: string, ...expected: number[]): Promise<string[]> {
    await this.send(line);
    return this.expect(...expected);
  }

  /** Upgrades the connection after the server agreed to STARTTLS. */
  upgrade(host: string): void {
    this.#reader.releaseLock();
    this.#writer.releaseLock();
    this.#socket = this.#socket.startTls({ expectedServerHostname: host });
    this.#reader = this.#socket.readable.getReader();
    this.#writer = this.#socket.writable.getWriter();
    this.#buffer = '';
  }

  async close(): Promise<void> {
    try {
      await this.#socket.close();
    } catch {
      // already closed
    }
  }
}
