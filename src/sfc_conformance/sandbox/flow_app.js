// The sync flow as a browser app: the sandbox's `--flow-style app`.
//
// The document always loads (200).  This script reads the OTP and the merchant
// from the page's own URL and trades them for a session at the flow API; a 401
// there (expired, changed, another merchant's or already used OTP) shows the
// refusal.  Every screen after that is described by the flow API as data
// (title, facts, forms, links) and drawn here, so the screens carry the same
// ids and field names as the server-rendered pages: form#authorize,
// form#configure, #problems, #success, form#settings, time#last-sync,
// time#next-sync, a#review-mapping, form#deauthorize, and #refused.
// Plain DOM calls and textContent only: nothing the server sends is parsed as HTML.
"use strict";

const app = document.getElementById("app");
let token = null;
let current = null;  // the screen on show, redrawn with the problems a 400 names

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function show(title, ...content) {
  document.title = title;
  app.replaceChildren(el("h1", {}, title), ...content);
}

async function call(method, path, body) {
  const init = {method, cache: "no-store", credentials: "same-origin", headers: {Accept: "application/json"}};
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const answer = await fetch(path, init);
  const data = answer.status === 204 ? null : await answer.json().catch(() => null);
  return {status: answer.status, data};
}

function message(data, fallback) {
  return (data && typeof data.error === "string" && data.error) || fallback;
}

function refused(data) {
  show("Link expired", el("p", {class: "error", id: "refused"},
                          message(data, "This sync flow link has expired or is not valid. Ask for a new one.")));
}

function failed(status, data) {
  show("Something went wrong", el("p", {class: "error", id: "failed"},
                                  message(data, `The sync flow answered ${status}.`)));
}

// -- drawing a screen ----------------------------------------------------------

function field(spec) {
  if (spec.kind === "select") {
    const select = el("select", {name: spec.name});
    if (spec.blank) select.append(el("option", {value: ""}, "(none)"));
    for (const [value, label] of spec.options) {
      select.append(el("option", {value, selected: value === spec.value}, label));
    }
    return el("label", {}, `${spec.label} `, select);
  }
  if (spec.kind === "checkbox") {
    return el("label", {}, el("input", {type: "checkbox", name: spec.name, value: "on", checked: spec.checked}),
              ` ${spec.label}`);
  }
  return el("label", {}, `${spec.label} `,
            el("input", {type: spec.type, name: spec.name, value: spec.value ?? "", min: spec.min, max: spec.max,
                         autocomplete: spec.autocomplete}));
}

function form(spec) {
  const node = el("form", {id: spec.id, method: "post"});
  for (const set of spec.fieldsets) {
    const fields = set.fields.map(field);
    node.append(set.legend ? el("fieldset", {}, el("legend", {}, set.legend), ...fields) : el("div", {}, ...fields));
  }
  node.append(el("button", {type: "submit"}, spec.submit));
  node.addEventListener("submit", (event) => {
    event.preventDefault();
    node.querySelector("button").disabled = true;  // one submission per click
    const fields = Object.fromEntries(new FormData(node));
    act(call("POST", `/flow-api/s/${encodeURIComponent(token)}/${spec.action}`, fields));
  });
  return node;
}

function fact(spec) {
  let value;
  if (spec.datetime) value = el("time", {id: spec.id, datetime: spec.datetime}, spec.text);
  else value = el(spec.strong ? "strong" : "span", {id: spec.id}, spec.text);
  return el("p", {}, `${spec.label}: `, value);
}

function link(spec) {
  const node = el("a", {id: spec.id, href: `#${spec.screen}`}, spec.text);
  node.addEventListener("click", (event) => {
    event.preventDefault();
    act(call("GET", `/flow-api/s/${encodeURIComponent(token)}/screens/${spec.screen}`));
  });
  return el("p", {}, node);
}

function render(screen, problems) {
  current = screen;
  const parts = [];
  if (problems && problems.length) {
    parts.push(el("ul", {class: "error", id: "problems"}, ...problems.map((p) => el("li", {}, p))));
  }
  for (const p of screen.paragraphs || []) parts.push(el("p", {id: p.id}, p.text));
  for (const f of screen.facts || []) parts.push(fact(f));
  for (const item of screen.parts || []) parts.push(item.form ? form(item.form) : link(item.link));
  show(screen.title, ...parts);
}

function problemsOf(data) {
  const errors = data && data.validation && Array.isArray(data.validation.errors) ? data.validation.errors : [];
  const listed = errors.map((e) => e.message).filter((m) => typeof m === "string");
  return listed.length ? listed : [message(data, "Those choices were not accepted.")];
}

// -- what an answer of the flow API leads to ---------------------------------------

async function act(pending) {
  let answer;
  try {
    answer = await pending;
  } catch (error) {
    failed(0, {error: `The sync flow could not be reached (${error}).`});
    return;
  }
  const {status, data} = answer;
  if (status === 204) {  // nothing to show: the page goes blank
    document.title = "";
    app.replaceChildren();
  } else if (status === 200 && data && typeof data.redirect === "string") {
    location.assign(data.redirect);
  } else if (status === 200 && data && data.screen) {
    if (data.token) token = data.token;
    render(data.screen);
  } else if (status === 400 && current) {
    render(current, problemsOf(data));
  } else if (status === 401) {
    refused(data);
  } else {
    failed(status, data);
  }
}

function start() {
  // The page's own URL: /sync-flow/{clientId}/{commerceKey}/{accountingKey}/start?otp=...&merchantIdentifier=...
  // (redirectUrl is in it too, but where the flow ends is the server's to say: it keeps the one the start
  // call was given, so an edited URL cannot send the merchant elsewhere).
  const [clientId, commerceKey, accountingKey] = location.pathname.split("/").slice(2, 5);
  const query = new URLSearchParams(location.search);
  const body = {otp: query.get("otp") || "", merchantIdentifier: query.get("merchantIdentifier") || ""};
  act(call("POST", `/flow-api/${clientId}/${commerceKey}/${accountingKey}/session`, body));
}

start();
