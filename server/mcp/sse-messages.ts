import { StringDecoder } from 'node:string_decoder';

/**
 * Reads the JSON-RPC messages of an SSE stream from the chunks written to it, in order: an event
 * may span several `data:` lines and several writes. What is not JSON (a keep-alive comment, an
 * event cut off by the end of the stream) yields nothing.
 */
export class SseMessageReader {
  private readonly decoder = new StringDecoder('utf8');
  private partialLine = '';
  private data: string[] = [];

  read(chunk: unknown): unknown[] {
    const lines = (this.partialLine + textOf(chunk, this.decoder)).split('\n');
    this.partialLine = lines.pop() ?? '';
    const messages: unknown[] = [];
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.startsWith('data:')) {
        this.data.push(line.slice('data:'.length).replace(/^ /, ''));
      } else if (line === '' && this.data.length > 0) {
        try {
          messages.push(JSON.parse(this.data.join('\n')));
        } catch {
          // Not JSON-RPC: nothing answered by it.
        }
        this.data = [];
      }
    }
    return messages;
  }
}

/** A chunk given to `res.write`/`res.end` as text; a decoder keeps characters split across chunks whole. */
export function textOf(chunk: unknown, decoder?: StringDecoder): string {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    return decoder ? decoder.write(bytes) : bytes.toString('utf8');
  }
  return '';
}
