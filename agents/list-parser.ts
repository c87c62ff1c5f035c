/**
 * Streams a Kubernetes List body (`{"kind":..,"metadata":{..},"items":[..]}`)
 * and hands over one parsed item at a time, so a 500-item page never exists
 * as one string plus one parsed object tree: measured, that transient cost
 * ~10 MiB of peak RSS per page. Everything outside `items` is kept and parsed
 * at the end (with `items: []`) for the list's metadata.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

type Mode = 'outside' | 'between' | 'item';

export class ListBodyParser {
  private readonly decoder = new TextDecoder();
  private depth = 0;
  private inString = false;
  private escaped = false;
  private mode: Mode = 'outside';
  private readonly outside: string[] = [];
  private item: string[] = [];
  /** Text of the last string that ended at depth 1 (a key, or a short value). */
  private lastTopString = '';
  private topString: string[] | undefined;

  constructor(private readonly onItem: (raw: unknown) => void) {}

  push(bytes: Uint8Array): void {
    this.scan(this.decoder.decode(bytes, { stream: true }));
  }

  /** Ends the body; returns the list without its items (`{kind, metadata, items: []}`). */
  end(): unknown {
    this.scan(this.decoder.decode());
    if (this.mode !== 'outside' || this.depth !== 0) throw new Error('list body ended early');
    return JSON.parse(this.outside.join(''));
  }

  private scan(text: string): void {
    let segmentStart = 0;
    let stringStart = this.topString ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.topString) {
            this.topString.push(text.slice(stringStart, i));
            this.lastTopString = this.topString.join('');
            this.topString = undefined;
          }
        }
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        if (this.depth === 1 && this.mode === 'outside') {
          this.topString = [];
          stringStart = i + 1;
        }
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        this.depth++;
        if (
          this.mode === 'outside' &&
          this.depth === 2 &&
          c === OPEN_BRACKET &&
          this.lastTopString === 'items'
        ) {
          this.outside.push(text.slice(segmentStart, i + 1));
          this.mode = 'between';
        } else if (this.mode === 'between' && this.depth === 3) {
          this.mode = 'item';
          segmentStart = i;
        }
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.depth--;
        if (this.mode === 'item' && this.depth === 2) {
          this.item.push(text.slice(segmentStart, i + 1));
          const itemText = this.item.join('');
          this.item = [];
          this.mode = 'between';
          this.onItem(JSON.parse(itemText));
        } else if (this.mode === 'between' && this.depth === 1) {
          this.mode = 'outside';
          segmentStart = i;
        }
      }
    }
    // Carry the unfinished segment over to the next chunk.
    if (this.mode === 'outside') this.outside.push(text.slice(segmentStart));
    else if (this.mode === 'item') this.item.push(text.slice(segmentStart));
    if (this.topString) this.topString.push(text.slice(stringStart));
  }
}
