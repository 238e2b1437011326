import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pathLines } from "../haproxy-config.js";
import { renderStaticBackend, renderStaticCache } from "./render-static-backend.js";

const server = { host: "127.0.0.1", port: 9000 };

describe("renderStaticBackend", () => {
  it("names the site, replaces Host, strips the route's prefix before the edge cache and uses it", () => {
    assert.equal(
      renderStaticBackend({ app: "shop", component: "site" }, { server }),
      [
        "backend shop__site",
        "  http-request set-header x-slipway-site shop/site",
        "  http-request set-header X-Forwarded-Host %[req.hdr(host)]",
        "  http-request set-header Host site.shop.static.slipway.internal",
        ...pathLines(),
        "  http-request cache-use slipway_static",
        "  http-response cache-store slipway_static",
        "  server static 127.0.0.1:9000",
        "",
      ].join("\n"),
    );
  });

  it("renders no cache rules when the app sets disable_edge_cache", () => {
    const text = renderStaticBackend({ app: "shop", component: "site", disableEdgeCache: true }, { server });
    assert.doesNotMatch(text, /cache-use|cache-store/);
    assert.match(text, /server static 127\.0\.0\.1:9000/);
  });

  it("refuses names that would break the config", () => {
    assert.throws(() => renderStaticBackend({ app: "a b", component: "site" }, { server }), /"a b"/);
  });
});

describe("renderStaticCache", () => {
  it("renders the section with Vary processing and refuses an object bound over half the total", () => {
    assert.equal(
      renderStaticCache({ totalMaxSizeMb: 8, maxObjectBytes: 1024, maxAgeSeconds: 60 }),
      "cache slipway_static\n  total-max-size 8\n  max-object-size 1024\n  max-age 60\n  process-vary on\n",
    );
    assert.throws(() => renderStaticCache({ totalMaxSizeMb: 1, maxObjectBytes: 600_000 }), /half/);
  });
});
