/**
 * `COPY (query) TO STDOUT` on a node-postgres client, collected into one Buffer: PostgreSQL
 * formats the rows (CSV quoting included) in C, the process only relays bytes. Callers keep each
 * COPY small (a bounded seq range), so the buffer is bounded too.
 *
 * node-postgres runs COPY only through a "submittable" (pg-copy-streams is one); this is the
 * minimal one for COPY OUT. CopyData payloads are views into the driver's reusable read buffer,
 * so they are copied out as they arrive.
 *
 * A submittable must call its `callback` when it settles. With `query_timeout` set (our pool sets
 * it) pg wraps the callback to clear the read timer it starts per query; a query that never calls
 * it is held by that timer, buffer and all, until the timer fires (statement timeout + 2 s, 17 s by
 * default). That held every batch of an export: peak RSS grew by the size of the file (W5 measured
 * +332 MB for 1M rows against 100k).
 */
export interface PgClientLike {
  query(submittable: object): unknown;
}

interface PgConnection {
  query(text: string): void;
}

export interface CopyOutResult {
  data: Buffer;
  rows: number;
}

const EMPTY = Buffer.alloc(0);

class CopyOutQuery {
  /** Set (or wrapped) by pg: called once when the query settles, it clears pg's read timer. */
  callback?: (err: Error | null) => void;
  private buffer: Buffer;
  private length = 0;
  private rows = 0;
  private settled = false;

  constructor(
    private readonly text: string,
    sizeHint: number,
    private readonly resolve: (r: CopyOutResult) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(1 << 16, sizeHint));
  }

  submit(connection: PgConnection): null {
    connection.query(this.text);
    return null;
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    // After pg's read timeout the COPY may still be sending: the rest is dropped, not collected.
    if (this.settled) return;
    const need = this.length + msg.chunk.length;
    if (need > this.buffer.length) {
      let size = this.buffer.length * 2;
      while (size < need) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    msg.chunk.copy(this.buffer, this.length);
    this.length = need;
  }

  handleCommandComplete(msg: { text?: string }): void {
    const n = /^COPY (\d+)/.exec(msg.text ?? '');
    if (n) this.rows = Number(n[1]);
  }

  handleReadyForQuery(): void {
    this.settle(null);
  }

  /** A server error (ReadyForQuery follows), a lost connection, or pg's read timeout. */
  handleError(err: Error): void {
    this.settle(err);
  }

  private settle(err: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    if (err) this.reject(err);
    else this.resolve({ data: this.buffer.subarray(0, this.length), rows: this.rows });
    // The query object may outlive the batch (pg's queue, a timer): it keeps no reference to it.
    this.buffer = EMPTY;
    this.callback?.(err);
  }

  // Messages a COPY OUT does not produce, present because the client may call them.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: { sendCopyFail(msg: string): void }): void {
    connection.sendCopyFail('only COPY … TO STDOUT is supported here');
  }
}

/**
 * Runs one `COPY (…) TO STDOUT …` statement (no bind parameters: COPY takes none). `sizeHint`
 * (e.g. the previous batch's size) sizes the buffer up front, sparing the copies of growing it.
 */
export function copyOut(client: PgClientLike, copyStatement: string, sizeHint = 0): Promise<CopyOutResult> {
  return new Promise((resolve, reject) => {
    client.query(new CopyOutQuery(copyStatement, sizeHint, resolve, reject));
  });
}
