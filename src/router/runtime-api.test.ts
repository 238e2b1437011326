import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseServersState, sendCommand } from "./runtime-api.js";

// `show servers state be` from HAProxy 2.6.12, trimmed to two slots.
const ANSWER = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 a__web 1 s1 127.0.0.1 2 12 1 1 4 1 0 0 0 0 0 0 - 41234 - 0 0 - - 0
3 a__web 2 s2 127.0.0.1 0 5 7 1 4 1 0 0 0 0 0 0 - 3000 - 0 0 - - 0
`;

describe("runtime API", () => {
  it("parseServersState reads slots by the names in the header line", () => {
    assert.deepEqual(parseServersState(ANSWER), [
      {
        backend: "a__web",
        name: "s1",
        addr: "127.0.0.1",
        port: 41234,
        opState: 2,
        adminState: 12,
        weight: 1,
      },
      { backend: "a__web", name: "s2", addr: "127.0.0.1", port: 3000, opState: 0, adminState: 5, weight: 7 },
    ]);
  });

  it("sendCommand refuses a command that would smuggle a second one", async () => {
    await assert.rejects(sendCommand("/nonexistent.sock", "show info; shutdown frontend x", 100), {
      code: "invalid_argument",
    });
    await assert.rejects(sendCommand("/nonexistent.sock", "show info\nshutdown", 100), {
      code: "invalid_argument",
    });
  });

  it("sendCommand refuses a payload that is empty or has an empty line (it would end early)", async () => {
    await assert.rejects(sendCommand("/nonexistent.sock", "set ssl cert /x.pem", 100, "a\n\nb"), {
      code: "invalid_argument",
    });
    await assert.rejects(sendCommand("/nonexistent.sock", "set ssl cert /x.pem", 100, "\n"), {
      code: "invalid_argument",
    });
  });
});
