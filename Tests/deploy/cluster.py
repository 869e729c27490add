#!/usr/bin/env python3
"""scripts/cluster (2 SmolLM2 replicas behind nginx with Config/deploy/nginx.conf) under the
real `openai` SDK with its default retries: the SDK suite through the proxy, 32 concurrent
streams, session affinity, a rolling restart under 16 streaming clients, and a replica
killed under load.
Run by Tests/sdk/run.py with TERN_KEYED_URL, TERN_CHECKPOINT_URL, TERN_GEMMA_URL set (the SDK
suite's other servers); usage: cluster.py MODEL_PATH"""
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import httpx2 as httpx
import openai

root = pathlib.Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("TERN_CLUSTER_PORT", "18480"))
BASE = f"http://127.0.0.1:{PORT}/v1"


class Cluster:
    """scripts/cluster as a child process; follows its `replica I pid PID port PORT` lines."""

    def __init__(self, model):
        self.proc = subprocess.Popen([str(root / "scripts/cluster"), "--replicas", "2", "--port", str(PORT), "--model", model,
                                      "--threads", "1"], stdout=subprocess.PIPE, text=True,
                                     env=dict(os.environ, TERN_SHUTDOWN_TIMEOUT="60"))
        self.pids, self.ready = {}, threading.Event()
        self.lock = threading.Lock()
        threading.Thread(target=self._follow, daemon=True).start()
        if not self.ready.wait(180):
            self.stop()
            sys.exit("scripts/cluster did not print ready")

    def _follow(self):
        for line in self.proc.stdout:
            words = line.split()
            if words[:1] == ["replica"]:
                with self.lock:
                    self.pids[int(words[1])] = int(words[3])
            elif words == ["ready"]:
                self.ready.set()

    def pid(self, i):
        with self.lock:
            return self.pids[i]

    def healthy(self, i):
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{PORT + i}/health", timeout=2).status == 200
        except Exception:
            return False

    def finished(self, i):
        """Requests replica i has finished (its /metrics), whatever the reason."""
        text = urllib.request.urlopen(f"http://127.0.0.1:{PORT + i}/metrics", timeout=5).read().decode()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("vllm:request_success_total{"))

    def restart(self, i, sig):
        """Sends `sig` to replica i, waits for the new process (the script starts it again) to be healthy."""
        old = self.pid(i)
        os.kill(old, sig)
        deadline = time.time() + 120
        while time.time() < deadline and not (self.pid(i) != old and self.healthy(i)):
            time.sleep(0.05)
        assert self.pid(i) != old and self.healthy(i), f"replica {i} did not come back"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        assert code == 0, f"scripts/cluster exited {code} after SIGTERM"


def stream_once(client, model, tokens=16, **kw):
    """One chat stream through the SDK (default retries); returns when its first event came,
    raises if it was cut short: the last event must be `data: [DONE]`, one chunk has a finish_reason."""
    events, first = [], None
    with client.chat.completions.with_streaming_response.create(
            model=model, messages=[{"role": "user", "content": "Tell me about the sea."}], max_tokens=tokens,
            temperature=0.8, stream=True, **kw) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                first = first or time.time()
                events.append(line[6:])
    assert events and events[-1] == "[DONE]", f"stream ended without [DONE] after {len(events)} events"
    finishes = [c for c in events[:-1] if '"finish_reason":"' in c]
    assert len(finishes) == 1 and any(f'"finish_reason":"{r}"' in finishes[0] for r in ("stop", "length")), \
        f"finished as {finishes}"
    return first


class Load:
    """`n` clients streaming back to back until stopped; every request's start, first event and error."""

    def __init__(self, n, model):
        self.model, self.stopping, self.results = model, threading.Event(), []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(n)]
        for t in self.threads:
            t.start()

    def _client(self):
        client = openai.OpenAI(base_url=BASE, api_key="unused")
        while not self.stopping.is_set():
            t0, first, error = time.time(), None, None
            try:
                first = stream_once(client, self.model)
            except (openai.APIError, httpx.HTTPError, AssertionError) as e:
                error = e
            with self.lock:
                self.results.append((t0, first, error))

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=120)
        return self.results


def check(name, ok, detail=""):
    print(f"cluster: {name}: {'ok' if ok else 'FAILED'} {detail}", flush=True)
    return ok


def main():
    model_path, started = sys.argv[1], time.time()
    cluster = Cluster(model_path)
    good = True
    try:
        model = openai.OpenAI(base_url=BASE, api_key="unused").models.list().data[0].id
        # The SDK suite, unchanged but for the base URL (its other servers as before).
        env = dict(os.environ, TERN_BASE_URL=BASE)
        r = subprocess.run([sys.executable, str(root / "Tests/sdk/test_openai_sdk.py")], env=env, timeout=900)
        good &= check("openai SDK suite through nginx", r.returncode == 0)

        # Affinity: one session's requests all reach one replica; requests without a session
        # header are spread over both (least_conn: each replica busy with a stream gets the next).
        client = openai.OpenAI(base_url=BASE, api_key="unused")
        for session in ("alpha", "beta", "gamma", "delta"):
            before = [cluster.finished(i) for i in (1, 2)]
            for _ in range(4):
                client.completions.create(model=model, prompt="Hello", max_tokens=1, extra_headers={"X-Session-Id": session})
            grew = sorted(cluster.finished(i) - before[i - 1] for i in (1, 2))
            good &= check(f"session {session} stays on one replica", grew == [0, 4], f"{grew}")
        before = [cluster.finished(i) for i in (1, 2)]
        threads = [threading.Thread(target=stream_once, args=(openai.OpenAI(base_url=BASE, api_key="unused"), model)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        grew = [cluster.finished(i) - before[i - 1] for i in (1, 2)]
        good &= check("requests without a session are spread", sum(grew) == 4 and min(grew) >= 1, f"{grew}")

        # 32 concurrent streams, all complete and well-formed.
        errors = []
        def one():
            try:
                stream_once(openai.OpenAI(base_url=BASE, api_key="unused"), model, tokens=32)
            except Exception as e:
                errors.append(e)
        threads = [threading.Thread(target=one) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        good &= check("32 concurrent streams", not errors, repr(errors[:3]))

        # Rolling restart: each replica in turn gets SIGTERM and is started again.
        load = Load(16, model)
        time.sleep(2)
        for i in (1, 2):
            cluster.restart(i, signal.SIGTERM)
            time.sleep(3)  # as a rollout waits for readiness before the next replica
        results = load.stop()
        failed = [e for _, _, e in results if e]
        good &= check("rolling restart under 16 streaming clients", len(results) > 32 and not failed,
                      f"{len(results)} requests, {len(failed)} failed {failed[:3]!r}")

        # SIGKILL under load: only requests in flight then fail; new ones reach the survivor.
        load = Load(16, model)
        time.sleep(2)
        killed_at = time.time()
        os.kill(cluster.pid(1), signal.SIGKILL)
        time.sleep(3)
        results = load.stop()
        failed = [(t0, e) for t0, _, e in results if e]
        late = [e for t0, e in failed if t0 >= killed_at]
        after = sorted(t1 for t0, t1, e in results if t0 >= killed_at and not e)
        first = after[0] - killed_at if after else float("inf")  # a new request's first event
        good &= check("SIGKILL of a replica under load", not late and first < 1.0,
                      f"{len(results)} requests, {len(failed)} failed (all in flight at the kill: {not late}), "
                      f"a new request's first event {first:.2f} s after the kill; errors {[type(e).__name__ for _, e in failed][:4]}")
    finally:
        cluster.stop()
    print(f"cluster: stage took {time.time() - started:.0f} s", flush=True)
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
