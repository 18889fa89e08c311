/**
 * A hostile provider for tests: a raw TCP server on 127.0.0.1 that answers each HTTP/1.1 request
 * with exactly the bytes a test scripts (malformed heads, bare CR/LF, odd statuses) or with a huge
 * body generated on the fly (100 MiB without holding it in memory), with or without a
 * content-length, chunked or not.
 *
 * ```ts
 * await using up = startRawUpstream(() => ({ head: "HTTP/1.1 200 OK\r\ncontent-type: application/json", size: 100 << 20 }));
 * ```
 *
 * @module
 */

/** A generated answer: `head` (status line and headers, no final CRLF) and a body of `size` bytes. */
export interface GeneratedAnswer {
  head: string;
  /** Body bytes to send (the filler is `x`, or `fill` repeated). */
  size: number;
  /** How the body is framed: `content-length` (added to the head), `chunked`, or `close` (no framing). */
  framing?: "content-length" | "chunked" | "close";
  /** Text the body is made of, repeated (default `x`). */
  fill?: string;
}

/** Raw bytes, then the connection is closed (a body framed by the close). */
export interface ClosingAnswer {
  text: string;
  close: true;
}

/**
 * What the server sends for one request: raw bytes (then the connection stays open), raw bytes
 * and a close, or a generated answer.
 */
export type RawAnswer = string | ClosingAnswer | GeneratedAnswer;

/** A running raw upstream. */
export interface RawUpstream extends AsyncDisposable {
  /** `http://127.0.0.1:<port>/v1` */
  readonly baseUrl: string;
  /** Requests received (head and body as text). */
  readonly requests: string[];
  /** Body bytes written per generated answer before it ended or the client went away. */
  readonly sent: number[];
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const PIECE = 64 * 1024;

/** Starts the server; `answer` is called per request with the request text and its index. */
export function startRawUpstream(answer: (request: string, index: number) => RawAnswer): RawUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const requests: string[] = [];
  const sent: number[] = [];

  const generate = async (conn: Deno.Conn, a: GeneratedAnswer, slot: number) => {
    const framing = a.framing ?? "content-length";
    let head = a.head + "\r\n";
    if (framing === "content-length") head += `content-length: ${a.size}\r\n`;
    if (framing === "chunked") head += "transfer-encoding: chunked\r\n";
    if (framing === "close") head += "connection: close\r\n";
    await conn.write(enc.encode(head + "\r\n"));
    const fill = a.fill ?? "x";
    const piece = enc.encode(fill.repeat(Math.ceil(PIECE / fill.length)).slice(0, PIECE));
    const chunkHead = enc.encode(`${piece.length.toString(16)}\r\n`);
    const crlf = enc.encode("\r\n");
    let left = a.size;
    try {
      while (left > 0) {
        const part = left >= piece.length ? piece : piece.subarray(0, left);
        if (framing === "chunked") {
          await conn.write(part === piece ? chunkHead : enc.encode(`${part.length.toString(16)}\r\n`));
        }
        let off = 0;
        while (off < part.length) off += await conn.write(part.subarray(off));
        if (framing === "chunked") await conn.write(crlf);
        left -= part.length;
        sent[slot] += part.length;
      }
      if (framing === "chunked") await conn.write(enc.encode("0\r\n\r\n"));
      if (framing === "close") conn.close();
    } catch {
      // the client stopped reading and closed
    }
  };

  const serve = async (conn: Deno.Conn) => {
    let pending = "";
    const buf = new Uint8Array(65536);
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        pending += dec.decode(buf.subarray(0, n));
        while (true) {
          const end = pending.indexOf("\r\n\r\n");
          if (end < 0) break;
          const len = Number(/content-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
          if (pending.length < end + 4 + len) break;
          const request = pending.slice(0, end + 4 + len);
          pending = pending.slice(end + 4 + len);
          requests.push(request);
          const a = answer(request, requests.length - 1);
          if (typeof a === "string") await conn.write(enc.encode(a));
          else if ("text" in a) {
            await conn.write(enc.encode(a.text));
            conn.close();
            break;
          } else {
            const slot = sent.push(0) - 1;
            await generate(conn, a, slot);
          }
        }
      }
    } catch {
      // closed by the client or by close()
    }
    conns.delete(conn);
    try {
      conn.close();
    } catch {
      // already closed
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        const t = serve(conn);
        tasks.add(t);
        t.finally(() => tasks.delete(t));
      }
    } catch {
      // listener closed
    }
  })();

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      await accepting;
      await Promise.all([...tasks]);
    })();
  return {
    baseUrl: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/v1`,
    requests,
    sent,
    close,
    [Symbol.asyncDispose]: close,
  };
}
