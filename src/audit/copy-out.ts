/**
 * `COPY (query) TO STDOUT` on a node-postgres client, collected into one Buffer: PostgreSQL
 * formats the rows (CSV quoting included) in C, the process only relays bytes. Callers keep each
 * COPY small (a bounded seq range), so the buffer is bounded too.
 *
 * node-postgres runs COPY only through a "submittable" (pg-copy-streams is one); this is the
 * minimal one for COPY OUT. CopyData payloads are views into the driver's reusable read buffer,
 * so they are copied out as they arrive.
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

class CopyOutQuery {
  private buffer: Buffer;
  private length = 0;
  private rows = 0;
  private failed = false;

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
    if (!this.failed) this.resolve({ data: this.buffer.subarray(0, this.length), rows: this.rows });
  }

  handleError(err: Error): void {
    this.failed = true;
    this.reject(err);
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
