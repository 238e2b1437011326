// The monorepo's API: answers on $PORT (8080 by default).
const { createServer } = require("node:http");

const port = Number(process.env.PORT ?? 8080);
createServer((_req, res) => {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ message: "Hello from the API" }));
}).listen(port);
