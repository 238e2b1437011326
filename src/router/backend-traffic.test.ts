import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBackendTotals } from "./backend-traffic.js";

// Cut from a real HAProxy 2.6 `show stat` (columns kept in HAProxy's order, later ones dropped).
const SHOW_STAT = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,
http,FRONTEND,,,1,2,2000,9,700,800,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,3,,,,0,9,0,0,0,0,,0,3,9,
shop__web,s1,0,0,0,1,,7,500,600,,0,,0,0,0,0,UP,1,1,0,,,,,,1,3,1,,7,,2,0,,2,,,,0,7,0,0,0,0,,,,,
shop__web,BACKEND,0,0,0,1,200,7,500,600,0,0,,0,0,0,0,UP,1,1,0,,0,10,0,,1,3,0,,7,,1,0,,2,,,,0,7,0,0,0,0,,,,7,
__spare_0,BACKEND,0,0,0,0,200,4,0,0,0,0,,0,0,0,0,DOWN,0,0,0,,0,10,0,,1,4,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,,
`;

describe("parseBackendTotals", () => {
  it("reads req_tot of each BACKEND row, falling back to stot when it is empty", () => {
    assert.deepEqual(
      [...parseBackendTotals(SHOW_STAT)],
      [
        ["shop__web", 7],
        ["__spare_0", 4],
      ],
    );
  });

  it("returns nothing for an answer without a header", () => {
    assert.equal(parseBackendTotals("Unknown command.\n").size, 0);
  });
});
