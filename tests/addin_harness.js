// Runs the add-in's own script (addin/tthc.js, as `tthc-xl serve` serves it) in Node against a
// running server, with what Excel's task pane would provide around it: the page (the error box,
// the #config block, as the served taskpane.html has them), localStorage, XMLHttpRequest over
// Node's http module, and the Office/Excel/xlwings host objects (the workbook payload comes from a
// file; runActions records what it is given, or fails when asked to).
//
//   node addin_harness.js SCENARIOS.json   →   prints one JSON result per scenario
//
// A scenario: {origin, token, script, payload (file), ribbon, failActions}. Its result: what the
// error box shows, whether the task pane was opened and the command completed, the actions run.

"use strict";
const fs = require("fs");
const http = require("http");
const vm = require("vm");

class Element {
  constructor(id) {
    this.id = id;
    this.hidden = true;
    this.textContent = "";
    this.children = {};
    this.listeners = {};
  }
  querySelector(selector) {
    return (this.children[selector] = this.children[selector] || new Element(selector));
  }
  addEventListener(type, listener) {
    this.listeners[type] = listener;
  }
}

// The browser's XMLHttpRequest, the part tthc.js uses, on Node's http client.
class XMLHttpRequest {
  open(method, url) {
    this.method = method;
    this.url = new URL(url);
    this.headers = {};
    this.timeout = 0;
  }
  setRequestHeader(name, value) {
    this.headers[name] = value;
  }
  send(body) {
    const data = Buffer.from(body || "", "utf8");
    const request = http.request(
      // agent: false, a connection per request (a browser retries on a kept-alive socket the server closed)
      { host: this.url.hostname, port: this.url.port, path: this.url.pathname, method: this.method, agent: false,
        headers: { ...this.headers, "Content-Length": data.length } },
      (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("end", () => {
          this.status = response.statusCode;
          this.responseText = Buffer.concat(chunks).toString("utf8");
          this.onload();
        });
      },
    );
    if (this.timeout) request.setTimeout(this.timeout, () => { request.destroy(); this.ontimeout(); });
    // a server that closes the connection on a refused body (413) may do so before reading it all
    request.on("error", () => (this.status === undefined ? this.onerror() : null));
    request.end(data);
  }
}

async function run(scenario, script, page) {
  const elements = {};
  const element = (id) => (elements[id] = elements[id] || new Element(id));
  const configBlock = element("config");
  configBlock.textContent = page.config;
  const record = { taskpaneOpened: false, completed: false, actions: null, associated: [] };
  const storage = new Map(scenario.token ? [["tthc-xl-token", scenario.token]] : []);
  const payload = scenario.payload ? JSON.parse(fs.readFileSync(scenario.payload, "utf8")) : {};
  const context = {
    console: { error: () => {}, log: console.log },
    window: { location: { origin: scenario.origin } },
    document: {
      getElementById: (id) => (page.ids.includes(id) ? element(id) : null),
      querySelectorAll: () => [],
    },
    localStorage: {
      getItem: (key) => (storage.has(key) ? storage.get(key) : null),
      setItem: (key, value) => storage.set(key, value),
      removeItem: (key) => storage.delete(key),
    },
    XMLHttpRequest,
    Office: {
      onReady: (callback) => callback(),
      actions: { associate: (name, handler) => record.associated.push([name, handler]) },
      addin: { showAsTaskpane: async () => { record.taskpaneOpened = true; } },
    },
    Excel: { run: async (work) => work({ workbook: {} }) },
    xlwings: {
      getBookData: async (options) => {
        record.auth = options.auth;
        return payload;
      },
      runActions: async (answer) => {
        record.actions = answer.actions.map((a) => a.func);
        if (scenario.failActions) throw new Error("Action 3 (rangeMerge) failed: InvalidArgument");
      },
      registerCallback: () => {},
    },
  };
  vm.createContext(context);
  vm.runInContext(script, context, { filename: "tthc.js" });
  const event = { completed: () => { record.completed = true; } };
  if (scenario.ribbon) {
    const handler = record.associated.find(([name]) => name === scenario.ribbon)[1];
    await handler(event);
  } else {
    await vm.runInContext(`tthcRun(${JSON.stringify(scenario.script)}, null)`, context);
  }
  const box = elements["tthc-error"];
  return {
    name: scenario.name,
    shown: box ? !box.hidden : false,
    what: box ? box.querySelector(".tthc-error-what").textContent : "",
    todo: box ? box.querySelector(".tthc-error-todo").textContent : "",
    taskpaneOpened: record.taskpaneOpened,
    completed: record.completed,
    actions: record.actions,
    auth: record.auth || "",
  };
}

async function main() {
  const { script, page, scenarios } = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const source = fs.readFileSync(script, "utf8");
  const results = [];
  for (const scenario of scenarios) results.push(await run(scenario, source, page));
  console.log(JSON.stringify(results));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
