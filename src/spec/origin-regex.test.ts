import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { originRegexRefusal } from "./origin-regex.js";

describe("originRegexRefusal", () => {
  it("accepts the RE2 patterns people write for origins", () => {
    for (const re of [
      "^https://[a-z0-9-]+\\.preview\\.example\\.com$",
      "(?i)^https://[a-z]+\\.example\\.org$",
      "https://(www\\.)?example\\.com",
      "https://([a-z0-9-]+\\.)?example\\.com(:[0-9]{2,5})?",
      "https://(?P<env>dev|staging)\\.example\\.com",
      "https://[[:alnum:]-]+\\.example\\.com",
      "http://localhost:\\d{4}",
      "https://a\\x2db\\.example\\.com",
      "https://[^/]+\\.example\\.com",
    ])
      assert.equal(originRegexRefusal(re), undefined, re);
  });

  it("refuses what HAProxy's PCRE2 would read differently, choke on, or backtrack on for long", () => {
    const cases: [string, RegExp][] = [
      ["https://([a-z0-9-]+\\.)+example\\.com", /cannot be repeated itself/],
      ["^(a+)+$", /cannot be repeated itself/],
      ["((ab)*c){2,3}", /cannot be repeated itself/],
      ["https://(?=x)example\\.com", /look-around/],
      ["https://(?<!x)a", /look-around/],
      ["(a)\\1", /\\1 is not supported/],
      ["\\p{Greek}", /\\p is not supported/],
      ["\\Qa.b\\E", /\\Q is not supported/],
      ["https://é\\.example", /printable ASCII/],
      ["https://it's", /single quote/],
      ["a{1001}", /at most 1000/],
      ["a{3,2}", /below the minimum/],
      ["a{", /literal "\{"/],
      ["a**", /cannot follow another/],
      ["*a", /nothing to repeat/],
      ["(a", /unterminated group/],
      ["[a-z", /unterminated character class/],
      ["\\xff", /up to 7F/],
      ["a\\", /trailing backslash/],
    ];
    for (const [re, why] of cases) assert.match(originRegexRefusal(re) ?? "accepted", why, re);
  });
});
