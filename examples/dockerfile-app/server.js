// A minimal web service run from its Dockerfile: answers on $PORT (8080 by default).
const { createServer } = require("node:http");

const port = Number(process.env.PORT ?? 8080);
createServer((_req, res) => res.end("Hello from a Dockerfile on Slipway\n")).listen(port);
