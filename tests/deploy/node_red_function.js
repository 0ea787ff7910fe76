// Runs one Node-RED function node's code the way Node-RED calls it (msg, node, flow, env), for the tests:
// stdin {"func", "msg", "flow", "env"} -> stdout {"result", "flow", "warnings"}.
"use strict";
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { func, msg, flow: state, env: vars } = JSON.parse(input);
  const warnings = [];
  const flow = { get: (k) => state[k], set: (k, v) => { state[k] = v; } };
  const env = { get: (k) => vars[k] };
  const node = { warn: (w) => warnings.push(String(w)), error: (e) => warnings.push(String(e)) };
  const body = new Function("msg", "node", "flow", "env", "Buffer", func);
  const result = body(msg, node, flow, env, Buffer);
  const plain = JSON.parse(JSON.stringify(result === undefined ? null : result, (k, v) =>
    v && v.type === "Buffer" && Array.isArray(v.data) ? Buffer.from(v.data).toString() : v));
  process.stdout.write(JSON.stringify({ result: plain, flow: state, warnings }));
});
