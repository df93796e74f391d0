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
// The partner's customization: the locale of the page's URL (`&locale=fr-fr`) goes to every call of the flow
// API as `?locale=`; every text a screen gives with a key is drawn with `data-textkey`; nav#language switches
// the locale and draws the screen again in it.
// Plain DOM calls and textContent only: nothing the server sends is parsed as HTML.
"use strict";

const app = document.getElementById("app");
const switcher = document.getElementById("language");
let token = null;
let current = null;  // the screen on show, redrawn with the problems a 400 names
let locale = new URLSearchParams(location.search).get("locale") || "";  // "": the flow's own default

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

// A path of the flow API in the flow's locale.
function api(path) {
  return locale ? `${path}?locale=${encodeURIComponent(locale)}` : path;
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
  switcher.replaceChildren();
  show("Link expired", el("p", {class: "error", id: "refused"},
                          message(data, "This sync flow link has expired or is not valid. Ask for a new one.")));
}

function failed(status, data) {
  switcher.replaceChildren();
  show("Something went wrong", el("p", {class: "error", id: "failed"},
                                  message(data, `The sync flow answered ${status}.`)));
}

// -- drawing a screen ----------------------------------------------------------

// A text of the screen: with its key when it has one, as Codat's flow marks them.
function keyed(tag, attributes, shown) {
  return el(tag, {...attributes, "data-textkey": shown.textkey}, shown.text);
}

function words() {
  return (current && current.words) || {none: "(none)", language: "Language"};
}

// A choice's label: its keyed text, then the required marker (the rest of `label`) when it has one.
function label(spec) {
  if (!spec.textkey) return [`${spec.label} `];
  const rest = spec.label.slice(spec.text.length).trim();
  return [keyed("span", {}, {text: spec.text, textkey: spec.textkey}),
          rest ? " " : null, rest ? el("span", {class: "required"}, rest) : null, " "];
}

function field(spec) {
  if (spec.kind === "select") {
    const select = el("select", {name: spec.name});
    if (spec.blank) select.append(el("option", {value: ""}, words().none));
    for (const [value, text] of spec.options) {
      select.append(el("option", {value, selected: value === spec.value}, text));
    }
    return el("label", {}, ...label(spec), select);
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
  if (spec.note) {
    node.append(el("p", {class: "hint", id: "required-note"}, el("span", {class: "required"}, spec.note.marker), " ",
                   keyed("span", {}, spec.note.text)));
  }
  for (const set of spec.fieldsets) {
    const fields = set.fields.map(field);
    if (set.section) node.append(keyed("h2", {}, set.section));
    if (set.sectionDescription) node.append(keyed("p", {class: "description"}, set.sectionDescription));
    if (!set.legend) {
      node.append(el("div", {}, ...fields));
      continue;
    }
    const legend = keyed("legend", {}, {text: set.legend, textkey: set.legendKey});
    const about = set.description ? keyed("p", {class: "description"}, set.description) : null;
    node.append(el("fieldset", {}, legend, about, ...fields));
  }
  node.append(el("button", {type: "submit"}, spec.submit));
  node.addEventListener("submit", (event) => {
    event.preventDefault();
    node.querySelector("button").disabled = true;  // one submission per click
    const fields = Object.fromEntries(new FormData(node));
    act(call("POST", api(`/flow-api/s/${encodeURIComponent(token)}/${spec.action}`), fields));
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
    act(call("GET", api(`/flow-api/s/${encodeURIComponent(token)}/screens/${spec.screen}`)));
  });
  return el("p", {}, node);
}

// The set-up steps beside the configure form, as Codat's flow lists them.
function steps(spec) {
  return el("nav", {id: "setup-steps"}, keyed("h2", {}, spec.title),
            el("ol", {}, ...spec.items.map((item) => el("li", {}, keyed("span", {}, item)))));
}

// The language switch: the same screen again, in the locale chosen.
function languages(screen) {
  switcher.setAttribute("aria-label", screen.words.language);
  switcher.replaceChildren(...screen.languages.map((language) => {
    const node = el("a", {href: "#", hreflang: language.lang, lang: language.lang, "data-locale": language.locale,
                          "aria-current": language.current ? "true" : null}, language.name);
    node.addEventListener("click", (event) => {
      event.preventDefault();
      locale = language.locale;
      const address = new URL(location.href);
      address.searchParams.set("locale", locale);
      history.replaceState(null, "", address);
      act(call("GET", api(`/flow-api/s/${encodeURIComponent(token)}/screens/${current.name}`)));
    });
    return node;
  }));
}

function render(screen, problems) {
  current = screen;
  if (screen.locale) locale = screen.locale;  // the locale the flow shows is the one the next calls ask for
  if (screen.lang) document.documentElement.lang = screen.lang;
  if (screen.languages) languages(screen);
  const parts = [];
  if (screen.steps) parts.push(steps(screen.steps));
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
  act(call("POST", api(`/flow-api/${clientId}/${commerceKey}/${accountingKey}/session`), body));
}

start();
