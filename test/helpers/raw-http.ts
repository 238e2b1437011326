/**
 * Raw HTTP/1.1 over a TCP socket, for requests Node's client refuses to send (malformed Host
 * headers, NUL bytes, backslashes, oversized heads) and for slow clients.
 */
import { connect, type Socket } from "node:net";

/** What came back on one connection. */
export interface RawAnswer {
  /** The status code of the first response, 0 when none came. */
  status: number;
  /** Everything after the first response's head (possibly several responses). */
  body: string;
  /** The socket error that ended the connection (ECONNRESET, ...), if any. */
  error?: string;
}

/**
 * Connects to 127.0.0.1:`port`, writes `bytes` (latin1 when a string) and reads until the server
 * closes the connection or `timeoutMs` (default 10 s) passes. Requests should say `Connection: close`.
 */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const timer = setTimeout(() => {
      error = "timeout";
      socket.destroy();
    }, timeoutMs);
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ ...parse(Buffer.concat(chunks)), ...(error === undefined ? {} : { error }) });
    });
    socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
  });
}

function parse(data: Buffer): { status: number; body: string } {
  const text = data.toString("latin1");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  const end = text.indexOf("\r\n\r\n");
  return { status, body: end === -1 ? "" : text.slice(end + 4) };
}

/** A slow client: sends `head` and then one more byte every `everyMs`, never finishing the request. */
export interface SlowClient {
  socket: Socket;
  /** Resolves when the server closes the connection, with what it answered. */
  closed: Promise<RawAnswer>;
  /** Bytes sent so far. */
  sent(): number;
}

/** Starts a slowloris-style client; it stops after `maxBytes` extra bytes (a bound) or on close. */
export function slowClient(port: number, head: string, everyMs = 1000, maxBytes = 120): SlowClient {
  const socket = connect(port, "127.0.0.1");
  let sent = head.length;
  const chunks: Buffer[] = [];
  let error: string | undefined;
  socket.write(head);
  const timer = setInterval(() => {
    if (sent - head.length >= maxBytes) return;
    socket.write("X");
    sent++;
  }, everyMs);
  socket.on("data", (d: Buffer) => chunks.push(d));
  socket.on("error", (e: NodeJS.ErrnoException) => {
    error = e.code ?? e.message;
  });
  const closed = new Promise<RawAnswer>((resolve) =>
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ ...parse(Buffer.concat(chunks)), ...(error === undefined ? {} : { error }) });
    }),
  );
  return { socket, closed, sent: () => sent };
}
