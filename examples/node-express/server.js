// A minimal web service: answers on $PORT (8080 by default) and has a health endpoint.
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 8080);
createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok\n");
  res.setHeader("content-type", "text/plain");
  res.end(`Hello from Slipway (${process.env.NODE_ENV ?? "development"})\n`);
}).listen(port, () => console.log(`listening on ${port}`));
