import HTTP

/// The chat page served at `/`: one self-contained HTML document (style and script inline, no
/// fonts, images or scripts from elsewhere) that talks to `/v1/chat/completions` with streaming.
/// Its inline `<script>` and `<style>` run under a Content-Security-Policy that allows them by a
/// nonce drawn anew for every response; everything else is limited to this origin.
enum ChatPage {
    static func response() -> HTTPResponse {
        var random = SystemRandomNumberGenerator()
        let nonce = (0 ..< 2).map { _ in  // 128 random bits as 32 hex digits
            let hex = String(UInt64.random(in: .min ... .max, using: &random), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
        let policy = [
            "default-src 'self'", "script-src 'nonce-\(nonce)'", "style-src 'nonce-\(nonce)'", "img-src 'self' data:",
            "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'", "object-src 'none'",
        ].joined(separator: "; ")
        return HTTPResponse(status: 200, contentType: "text/html; charset=utf-8", body: html.replacing("{{nonce}}", with: nonce), headers: [
            ("Content-Security-Policy", policy), ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
            ("Cache-Control", "no-store"),
        ])
    }

    /// The document; `{{nonce}}` is replaced per response.
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tern</title>
<link rel="icon" href="data:,">
<style nonce="{{nonce}}">
:root { color-scheme: light dark; --bg: #f6f7f9; --panel: #ffffff; --text: #1d232b; --muted: #677281; --line: #d9dee5;
  --user: #dcebff; --assistant: #ffffff; --accent: #2563eb; --on-accent: #ffffff; --danger: #c2410c; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171c; --panel: #1c2027; --text: #e6e9ee; --muted: #98a2b0; --line: #2e3440; --user: #1f3656;
    --assistant: #1c2027; --accent: #6ea0ff; --on-accent: #0b1220; --danger: #fb923c; }
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { display: flex; align-items: center; gap: 12px; padding: 8px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 17px; margin: 0; }
#model { min-width: 0; color: var(--muted); font-size: 13px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#stats { margin-left: auto; color: var(--muted); font-size: 13px; font-variant-numeric: tabular-nums; white-space: nowrap; }
main { flex: 1; display: flex; min-height: 0; position: relative; }
#settings { width: 270px; padding: 14px 16px; border-right: 1px solid var(--line); background: var(--panel); overflow-y: auto; }
#settings label { display: block; margin: 0 0 12px; font-size: 13px; color: var(--muted); }
#settings textarea, #settings input { display: block; width: 100%; margin-top: 4px; }
#settings .hint { font-size: 12px; color: var(--muted); margin: 0 0 12px; }
#chat { flex: 1; display: flex; flex-direction: column; min-width: 0; }
#log { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 10px; }
#log:empty::before { content: "Send a message to start."; color: var(--muted); margin: auto; }
.msg { max-width: min(760px, 92%); padding: 8px 12px; border-radius: 10px; border: 1px solid var(--line);
  white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.user { align-self: flex-end; background: var(--user); border-color: transparent; }
.msg.assistant { align-self: flex-start; background: var(--assistant); }
.msg.assistant:empty::after { content: "…"; color: var(--muted); }
.msg.error { align-self: stretch; max-width: none; color: var(--danger); border-color: var(--danger); background: transparent; }
.note { display: block; font-size: 12px; color: var(--muted); margin-top: 4px; }
#composer { display: flex; gap: 8px; padding: 12px 16px; border-top: 1px solid var(--line); background: var(--panel); }
#input { flex: 1; resize: none; min-height: 44px; max-height: 200px; }
textarea, input { font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 7px 9px; }
textarea:focus, input:focus { outline: 2px solid var(--accent); outline-offset: -1px; }
button { font: inherit; border-radius: 8px; border: 1px solid var(--line); background: var(--panel); color: var(--text); padding: 7px 14px; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--on-accent); }
button.danger { background: var(--danger); border-color: var(--danger); color: var(--on-accent); }
button:disabled { opacity: .5; cursor: default; }
[hidden] { display: none !important; }
dialog { border: 1px solid var(--line); border-radius: 12px; background: var(--panel); color: var(--text); width: min(420px, 90vw); }
dialog::backdrop { background: rgb(0 0 0 / .4); }
dialog input { width: 100%; margin: 8px 0 12px; }
#key-error { color: var(--danger); font-size: 13px; min-height: 1em; }
body.toggled #settings { display: none; }
@media (max-width: 720px) {
  header { flex-wrap: wrap; row-gap: 4px; }
  #stats { order: 1; flex-basis: 100%; margin-left: 0; }
  #toggle-settings { margin-left: auto; }
  #settings { display: none; }
  body.toggled #settings { display: block; position: absolute; inset: 0 0 auto 0; width: auto; max-height: 100%; z-index: 1; border-bottom: 1px solid var(--line); }
}
</style>
</head>
<body>
<header>
  <h1>Tern</h1><span id="model">connecting…</span>
  <span id="stats"></span>
  <button id="toggle-settings" type="button">Settings</button>
  <button id="clear" type="button">New chat</button>
</header>
<main>
  <aside id="settings">
    <label>System prompt<textarea id="system" rows="5" placeholder="You are a helpful assistant."></textarea></label>
    <label>Temperature<input id="temperature" type="number" min="0" max="2" step="0.1" placeholder="model default"></label>
    <label>top_p<input id="top_p" type="number" min="0" max="1" step="0.05" placeholder="model default"></label>
    <label>max_tokens<input id="max_tokens" type="number" min="1" step="1" placeholder="until the context ends"></label>
    <label>Seed<input id="seed" type="number" step="1" placeholder="random"></label>
    <p class="hint">Empty fields use the server's defaults. Settings and the conversation stay in this tab.</p>
    <button id="forget-key" type="button" hidden>Forget API key</button>
  </aside>
  <section id="chat">
    <div id="log" role="log" aria-live="polite"></div>
    <form id="composer">
      <textarea id="input" rows="2" placeholder="Message (Enter sends, Shift+Enter for a new line)" autofocus></textarea>
      <button id="send" class="primary" type="submit">Send</button>
      <button id="stop" class="danger" type="button" hidden>Stop</button>
    </form>
  </section>
</main>
<dialog id="key-dialog">
  <form id="key-form">
    <strong>This server needs an API key.</strong>
    <p id="key-error"></p>
    <input id="key" type="password" autocomplete="off" placeholder="API key" required>
    <button class="primary" type="submit">Use key</button>
    <span class="note">Kept for this tab only (sessionStorage), sent as a Bearer token.</span>
  </form>
</dialog>
<script nonce="{{nonce}}">
"use strict";
const $ = (id) => document.getElementById(id);
const KEY = "tern.apiKey", CHAT = "tern.chat", SETTINGS = "tern.settings";
const fields = ["system", "temperature", "top_p", "max_tokens", "seed"];
const read = (name, fallback) => { try { return JSON.parse(sessionStorage.getItem(name)) ?? fallback; } catch { return fallback; } };
const write = (name, value) => { try { sessionStorage.setItem(name, JSON.stringify(value)); } catch {} };
let messages = read(CHAT, []);  // [{role, content}] of the conversation, system prompt excluded
let model = null, controller = null, keyWaiters = [];

function bubble(role, text, note) {
  const div = document.createElement("div");
  div.className = "msg " + role;
  div.textContent = text;
  if (note) addNote(div, note);
  $("log").append(div);
  div.scrollIntoView({ block: "end" });
  return div;
}
function addNote(div, text) {
  const span = document.createElement("span");
  span.className = "note";
  span.textContent = text;
  div.append(span);
}
function render() {
  $("log").replaceChildren();
  for (const m of messages) bubble(m.role, m.content, m.note);
}

// The API key: asked for when the server answers 401, kept in sessionStorage.
function authHeaders() {
  const key = read(KEY, null);
  $("forget-key").hidden = !key;
  return key ? { Authorization: "Bearer " + key } : {};
}
function askKey(message) {
  $("key-error").textContent = message;
  $("key").value = "";
  if (!$("key-dialog").open) $("key-dialog").showModal();
  return new Promise((resolve) => keyWaiters.push(resolve));
}
$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  write(KEY, $("key").value.trim());
  $("key-dialog").close();
  const waiting = keyWaiters; keyWaiters = [];
  waiting.forEach((resolve) => resolve());
});
$("key-dialog").addEventListener("cancel", (e) => e.preventDefault());
$("forget-key").addEventListener("click", () => { sessionStorage.removeItem(KEY); authHeaders(); });

async function errorText(res) {
  try { const body = await res.json(); return body.error?.message ?? JSON.stringify(body); } catch { return res.status + " " + res.statusText; }
}
// fetch with the key; a 401 asks for a (new) key and tries again.
async function api(path, init = {}) {
  for (;;) {
    const res = await fetch(path, { ...init, headers: { ...init.headers, ...authHeaders() } });
    if (res.status !== 401) return res;
    await askKey(await errorText(res));
  }
}

async function loadModel() {
  for (;;) {
    try {
      const res = await api("/v1/models");
      if (res.ok) { model = (await res.json()).data[0].id; $("model").textContent = model; return; }
      $("model").textContent = res.status === 503 ? "the model is loading…" : await errorText(res);
    } catch (e) { $("model").textContent = "cannot reach the server"; }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function settings() {
  const s = {};
  for (const f of fields) s[f] = $(f).value;
  write(SETTINGS, s);
  const body = {};
  for (const f of ["temperature", "top_p"]) if (s[f] !== "") body[f] = Number(s[f]);
  for (const f of ["max_tokens", "seed"]) if (s[f] !== "") body[f] = Math.trunc(Number(s[f]));
  return body;
}

function showStats(tokens, start, first, last) {
  if (!tokens || first === null) { $("stats").textContent = ""; return; }
  const rate = tokens > 1 && last > first ? ((tokens - 1) / ((last - first) / 1000)).toFixed(1) : "–";
  $("stats").textContent = `${tokens} tokens · ${rate} tok/s · first token ${((first - start) / 1000).toFixed(2)} s`;
}

function busy(on) {
  $("send").disabled = on;
  $("stop").hidden = !on;
  $("send").hidden = on;
}

async function send() {
  const text = $("input").value.trim();
  if (!text || controller) return;
  $("input").value = "";
  const conversation = messages;
  conversation.push({ role: "user", content: text });
  write(CHAT, conversation);
  bubble("user", text);
  const div = bubble("assistant", "");
  const system = $("system").value.trim();
  const body = { model: model ?? "default", stream: true, stream_options: { include_usage: true }, ...settings(),
    messages: [...(system ? [{ role: "system", content: system }] : []), ...conversation.map(({ role, content }) => ({ role, content }))] };
  controller = new AbortController();
  busy(true);
  let answer = "", tokens = 0, usage = null, finish = null, note = null, failed = null;
  const start = performance.now();
  let first = null, last = null;
  try {
    const res = await api("/v1/chat/completions", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body), signal: controller.signal });
    if (!res.ok) throw new Error(await errorText(res));
    const reader = res.body.getReader(), decoder = new TextDecoder();
    let buffer = "", data = [];
    const dispatch = () => {  // one server-sent event: its data lines joined
      const payload = data.join("\n"); data = [];
      if (!payload || payload === "[DONE]") return;
      const chunk = JSON.parse(payload);
      if (chunk.error) throw new Error(chunk.error.message);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (!choice) return;
      const delta = choice.delta?.content ?? "";
      if (delta) {
        last = performance.now(); first ??= last; tokens += 1;
        answer += delta; div.textContent = answer;
        div.scrollIntoView({ block: "end" });
        showStats(tokens, start, first, last);
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, end).replace(/\r$/, ""); buffer = buffer.slice(end + 1);
        if (line === "") dispatch();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
    }
    dispatch();
    if (finish === "length") note = "stopped at max_tokens";
  } catch (e) {
    if (e.name === "AbortError") note = "stopped";
    else { failed = e.message || String(e); controller.abort(); }  // an error event mid-stream: hang up
  }
  controller = null;
  busy(false);
  if (conversation !== messages) return;  // "New chat" was pressed meanwhile
  if (usage?.completion_tokens) tokens = usage.completion_tokens;
  showStats(tokens, start, first, last);
  if (answer) {
    conversation.push({ role: "assistant", content: answer, ...(note ? { note } : {}) });
    write(CHAT, conversation);
    if (note) addNote(div, note);
  } else {
    div.remove();
    if (note) bubble("error", note);
  }
  if (failed) bubble("error", failed);
  $("input").focus();
}

$("composer").addEventListener("submit", (e) => { e.preventDefault(); send(); });
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
});
$("stop").addEventListener("click", () => controller?.abort());
$("clear").addEventListener("click", () => {
  controller?.abort();
  messages = []; write(CHAT, messages); render(); $("stats").textContent = "";
});
$("toggle-settings").addEventListener("click", () => document.body.classList.toggle("toggled"));
const saved = read(SETTINGS, {});
for (const f of fields) { if (saved[f] !== undefined) $(f).value = saved[f]; $(f).addEventListener("change", settings); }
render();
loadModel();
</script>
</body>
</html>
"""#
}
