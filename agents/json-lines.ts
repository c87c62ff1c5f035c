/**
 * Splits a byte stream into lines without holding more than the current
 * partial line: watch bodies are endless, one JSON event per line.
 */
export class LineSplitter {
  private pending = '';
  private readonly decoder = new TextDecoder();

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Uint8Array): void {
    const text = this.pending + this.decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl).trim();
      start = nl + 1;
      if (line) this.onLine(line);
    }
    this.pending = text.slice(start);
  }

  /** Flushes a final line that had no newline. */
  end(): void {
    const line = (this.pending + this.decoder.decode()).trim();
    this.pending = '';
    if (line) this.onLine(line);
  }
}
