#!/usr/bin/env python3
"""A small fake of the Hugging Face hub for Tern's Hub tests (standard library only).

Routes, as the real hub answers them:
  GET  /api/models/{repo}/revision/{rev}        listing: {"id", "sha", "siblings": [{"rfilename"}]}
  HEAD|GET /{repo}/resolve/{rev}/{file}         LFS files: 302 to /cdn/{sha256} on another origin
                                                (localhost instead of 127.0.0.1) with X-Repo-Commit,
                                                X-Linked-Etag, X-Linked-Size; small files: 200 with
                                                ETag (git blob sha1) and X-Repo-Commit
  HEAD|GET /cdn/{key}                           the bytes, with Range (206) and ETag
Faults: a gated repo (401 GatedRepo without `Bearer secret-token`), unknown repo, revision or file
(404 with X-Error-Code), a file whose bytes do not match its SHA-256, a file whose first GET is
cut after 40% (and again each time /_arm is called), a file whose first two HEADs get 503, a repo
renamed with a relative 307, and a repo whose names and headers try to climb out of the cache.
Test hooks: GET /_stats (bytes sent per CDN key, Authorization headers seen by the CDN),
GET /_arm?key=K&drops=N.

Usage: fake_hub.py DATA_DIR [--big-mb N] [--file REPO NAME PATH]...
Prints the port on its first line of output. --file serves a real local file as an LFS file of
REPO (a stand-in mirror for HF_ENDPOINT, e.g. to try scripts/serve without the network).
"""
import hashlib
import json
import os
import random
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATA = sys.argv[1]
BIG_MB = int(sys.argv[sys.argv.index("--big-mb") + 1]) if "--big-mb" in sys.argv else 0
TOKEN = "secret-token"
os.makedirs(DATA, exist_ok=True)


def make(name, size, seed):
    """A file of deterministic pseudo-random bytes, written once."""
    path = os.path.join(DATA, name)
    if not os.path.exists(path) or os.path.getsize(path) != size:
        rng = random.Random(seed)
        with open(path + ".tmp", "wb") as f:
            left = size
            while left:
                n = min(left, 1 << 22)
                f.write(rng.randbytes(n))
                left -= n
        os.replace(path + ".tmp", path)
    return path


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def git_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def commit_of(name):
    return hashlib.sha1(name.encode()).hexdigest()


# repo -> {"commit", "files": {name: {"path", "lfs", "etag", "size"}}, "gated", "renamed_to"}
REPOS = {}


def add_repo(repo, files, gated=False):
    entry = {"commit": commit_of(repo), "files": {}, "gated": gated}
    for name, spec in files.items():
        if isinstance(spec, bytes):  # a small (non-LFS) file
            path = os.path.join(DATA, hashlib.sha1(repo.encode() + name.encode()).hexdigest())
            with open(path, "wb") as f:
                f.write(spec)
            entry["files"][name] = {"path": path, "lfs": False, "etag": git_sha1(spec), "size": len(spec)}
        else:
            path, etag = spec
            entry["files"][name] = {"path": path, "lfs": True, "etag": etag or sha256(path), "size": os.path.getsize(path)}
    REPOS[repo] = entry


tiny_q4 = make("tiny-q4.bin", 3 << 20, 1)
tiny_q8 = make("tiny-q8.bin", 2 << 20, 2)
drop = make("drop.bin", 4 << 20, 3)
busy = make("busy.bin", 1 << 20, 4)
bad = make("bad.bin", 1 << 20, 5)
add_repo("tern-test/tiny-gguf", {
    "README.md": b"# tiny\n", "configs/config.json": b'{"model_type": "llama"}\n',
    "tiny.Q4_K_M.gguf": (tiny_q4, None), "tiny.Q8_0.gguf": (tiny_q8, None),
})
add_repo("tern-test/flaky", {"drop.gguf": (drop, None), "busy.gguf": (busy, None)})
add_repo("tern-test/bad-sha", {"bad.gguf": (bad, "0" * 64)})
add_repo("tern-test/gated", {"model.gguf": (tiny_q8, None)}, gated=True)
add_repo("tern-test/escape", {"evil.Q4_K_M.gguf": (tiny_q8, "../../../../tmp/tern-escape"),
                              "commit.gguf": (tiny_q8, None)})
if BIG_MB:
    add_repo("tern-test/big", {"big.gguf": (make(f"big-{BIG_MB}.bin", BIG_MB << 20, 6), None)})
# A real checkpoint folder (the tiny Qwen2 fixture): JSON files small, safetensors shards LFS.
tiny = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "tiny-qwen2")
if os.path.isdir(tiny):
    files = {}
    for name in sorted(os.listdir(tiny)):
        path = os.path.join(tiny, name)
        files[name] = (path, None) if name.endswith((".safetensors", ".gguf")) else open(path, "rb").read()
    add_repo("tern-test/tiny-qwen2", files)
    add_repo("tern-test/tiny-qwen2-safetensors", {k: v for k, v in files.items() if not k.endswith(".gguf")})
extra = {}
for i, arg in enumerate(sys.argv):
    if arg == "--file":
        repo, name, path = sys.argv[i + 1:i + 4]
        extra.setdefault(repo, {})[name] = (path, None)
for repo, files in extra.items():
    add_repo(repo, files)
ESCAPE_SIBLINGS = ["../../evil.gguf", "ok/../../x.gguf", "/abs.gguf", "evil.Q4_K_M.gguf", "commit.gguf"]
CDN = {}  # key (the real SHA-256 of the bytes) -> path
for repo in REPOS.values():
    for f in repo["files"].values():
        if f["lfs"]:
            f["cdn"] = sha256(f["path"])
            CDN[f["cdn"]] = f["path"]

STATE_LOCK = threading.Lock()
STATS = {"bytes": {}, "cdn_auth": [], "requests": 0}
DROPS = {}  # CDN key -> how many more GETs to cut (set through /_arm)
BUSY = {"busy.gguf": 2}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, headers=(), body=b"", head=False):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def error(self, status, code, message, head):
        self.reply(status, [("X-Error-Code", code), ("X-Error-Message", message), ("Content-Type", "application/json")],
                   json.dumps({"error": message}).encode(), head)

    def do_HEAD(self):
        self.route(head=True)

    def do_GET(self):
        self.route(head=False)

    def route(self, head):
        with STATE_LOCK:
            STATS["requests"] += 1
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        if parts[0] == "_stats":
            return self.reply(200, [("Content-Type", "application/json")], json.dumps(STATS).encode())
        if parts[0] == "_arm":
            q = urllib.parse.parse_qs(url.query)
            with STATE_LOCK:
                DROPS[q["key"][0]] = int(q["drops"][0])
            return self.reply(200)
        if parts[0] == "cdn":
            return self.cdn(parts[1], head)
        if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] == "revision":
            return self.listing("/".join(parts[2:4]), parts[5], head)
        if len(parts) >= 5 and parts[2] == "resolve":
            return self.resolve("/".join(parts[:2]), parts[3], "/".join(parts[4:]), head)
        self.reply(404)

    def find(self, repo, revision, head):
        if repo == "tern-test/old-name":
            return None, "renamed"
        entry = REPOS.get(repo)
        if entry is None:
            self.error(401, "RepoNotFound", "Repository not found", head)
            return None, None
        if entry["gated"] and self.headers.get("Authorization") != "Bearer " + TOKEN:
            self.error(401, "GatedRepo", f"Access to model {repo} is restricted. You must have access to it and be authenticated to access it. Please log in.", head)
            return None, None
        if revision not in ("main", entry["commit"]):
            self.error(404, "RevisionNotFound", f"Invalid rev id: {revision}", head)
            return None, None
        return entry, None

    def listing(self, repo, revision, head):
        entry, renamed = self.find(repo, revision, head)
        if renamed:
            return self.reply(307, [("Location", self.path.replace("old-name", "tiny-gguf"))], b"", head)
        if entry is None:
            return
        names = ESCAPE_SIBLINGS if repo == "tern-test/escape" else sorted(entry["files"])
        body = json.dumps({"id": repo, "sha": entry["commit"], "siblings": [{"rfilename": n} for n in names]}).encode()
        self.reply(200, [("Content-Type", "application/json")], body, head)

    def resolve(self, repo, revision, name, head):
        entry, renamed = self.find(repo, revision, head)
        if renamed:
            return self.reply(307, [("Location", self.path.replace("old-name", "tiny-gguf"))], b"", head)
        if entry is None:
            return
        f = entry["files"].get(name)
        if f is None:
            return self.error(404, "EntryNotFound", f"{name} does not exist on \"{revision}\"", head)
        with STATE_LOCK:
            if BUSY.get(name, 0) > 0:
                BUSY[name] -= 1
                return self.reply(503, [], b"busy", head)
        commit = "../../escape" if name == "commit.gguf" else entry["commit"]
        common = [("X-Repo-Commit", commit)]
        if f["lfs"]:
            port = self.server.server_address[1]
            location = f"http://localhost:{port}/cdn/{f['cdn']}"
            return self.reply(302, common + [("X-Linked-Etag", f'"{f["etag"]}"'), ("X-Linked-Size", str(f["size"])),
                                             ("Location", location)], b"", head)
        with open(f["path"], "rb") as fh:
            data = fh.read()
        self.reply(200, common + [("ETag", f'"{f["etag"]}"')], data, head)

    def cdn(self, key, head):
        path = CDN.get(key)
        if path is None:
            return self.reply(404, [], b"no such blob", head)
        with STATE_LOCK:
            STATS["cdn_auth"].append(self.headers.get("Authorization"))
        size = os.path.getsize(path)
        start, status = 0, 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= size:
                return self.reply(416, [("Content-Range", f"bytes */{size}")], b"", head)
            status = 206
        count = size - start
        self.send_response(status)
        self.send_header("Content-Length", str(count))
        self.send_header("ETag", f'"{key}"')
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.end_headers()
        if head:
            return
        with STATE_LOCK:
            cut = DROPS.get(key, 0) > 0
            if cut:
                DROPS[key] -= 1
        send = int(count * 0.4) if cut else count
        self.wfile.flush()
        with open(path, "rb") as fh:
            sent = self.connection.sendfile(fh, start, send) if send else 0
        with STATE_LOCK:
            STATS["bytes"][key] = STATS["bytes"].get(key, 0) + sent
        if cut:
            self.close_connection = True
            self.connection.shutdown(2)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
