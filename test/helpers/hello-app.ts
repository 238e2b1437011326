/**
 * A tiny node service as inline source files (`source.files`): it answers
 * `hello <X-Forwarded-Proto> auth=<yes|no>` so tests see how the request reached it.
 */

/** A node service answering with the protocol HAProxy says the client used. */
export const HELLO_FILES = [
  {
    path: "package.json",
    content: `${JSON.stringify({ name: "hello", version: "1.0.0", private: true, scripts: { start: "node server.js" } })}\n`,
  },
  {
    path: "server.js",
    content: [
      'const { createServer } = require("node:http");',
      "createServer((req, res) => {",
      '  const auth = req.headers.authorization === undefined ? "no" : "yes";',
      '  res.end("hello " + req.headers["x-forwarded-proto"] + " auth=" + auth + "\\n");',
      "}).listen(Number(process.env.PORT || 8080));",
      "",
    ].join("\n"),
  },
];
