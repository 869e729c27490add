#!/usr/bin/env python3
"""Starts `tern serve` three times with SmolLM2 (an open server on :8080 as the README shows it,
a keyed one with one sequence and no waiting room, and one speculating by prompt lookup on
:8085), once with the tiny Qwen2 safetensors checkpoint folder (:8082), once with Gemma 3
(:8083) and once with the tiny BERT encoder's GGUF (:8084), runs the README's curl
examples verbatim and every Tests/sdk/test_*.py suite against them, then the scaling-out stage
(Tests/deploy: recipes against their schemas, the SDK through nginx in front of two replicas),
then stops them with SIGTERM and checks they exit 0. Usage: run.py TERN_BINARY MODEL_PATH"""
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import urllib.request

root = pathlib.Path(__file__).resolve().parents[2]
binary, model = sys.argv[1], sys.argv[2]


def start(port, *extra, model_path=None):
    log = open(f"/tmp/tern-sdk-{port}.log", "w")
    p = subprocess.Popen([binary, "serve", "--model", model_path or model, "--port", str(port), *extra], stdout=log, stderr=log)
    for _ in range(600):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/health").status == 200:
                return p
        except Exception:
            time.sleep(0.1)
        if p.poll() is not None:
            sys.exit(f"tern serve on {port} exited: see /tmp/tern-sdk-{port}.log")
    sys.exit(f"tern serve on {port} did not become healthy")


def readme_curl_examples():
    text = (root / "README.md").read_text()
    blocks = [part.split("<!-- /curl-examples -->")[0] for part in text.split("<!-- curl-examples -->")[1:]]
    return [ex for block in blocks for ex in re.findall(r"```sh\n(.*?)```", block, re.S)]


def main():
    gemma = os.path.join(os.path.dirname(model), "gemma-3-270m-q4_k_m.gguf")
    servers = []
    failed = False
    try:
        # Inside the try: a server that fails to start stops the ones started before it.
        for port, extra, path in [(8080, [], None), (8081, ["--api-key", "test-key", "--max-num-seqs", "1", "--max-waiting", "0"], None),
                                  (8082, [], str(root / "Tests/Fixtures/tiny-qwen2")), (8083, [], gemma),
                                  (8084, [], str(root / "Tests/Fixtures/tiny-bert/model.gguf")),
                                  (8085, ["--speculative-config", '{"method": "ngram", "num_speculative_tokens": 4}',
                                          "--kv-cache-memory", "256MiB"], None)]:
            servers.append(start(port, *extra, model_path=path))
        examples = readme_curl_examples()
        assert len(examples) >= 3, "README has no curl examples"
        for ex in examples:
            r = subprocess.run(["bash", "-c", "set -euo pipefail\n" + ex], capture_output=True, text=True, timeout=120)
            # An error body is {"error": {…}}; a Responses API object carries "error": null.
            ok = r.returncode == 0 and not re.search(r'"error":\s*\{', r.stdout)
            print(f"README example {'ok' if ok else 'FAILED'}: {ex.strip().splitlines()[0]}")
            if not ok:
                print(r.stdout[-2000:], r.stderr[-2000:])
                failed = True
        env = dict(os.environ, TERN_BASE_URL="http://127.0.0.1:8080/v1", TERN_KEYED_URL="http://127.0.0.1:8081/v1",
                   TERN_CHECKPOINT_URL="http://127.0.0.1:8082/v1", TERN_GEMMA_URL="http://127.0.0.1:8083/v1",
                   TERN_ENCODER_URL="http://127.0.0.1:8084/v1", TERN_SPECULATIVE_URL="http://127.0.0.1:8085/v1",
                   TERN_FIXTURES=str(root / "Tests/Fixtures"), TERN_BINARY=binary, TERN_MODEL_PATH=model)
        for suite in sorted((root / "Tests/sdk").glob("test_*.py")):
            r = subprocess.run([sys.executable, str(suite)], env=env, timeout=1200)
            failed |= r.returncode != 0
        # Scaling out: the recipes against their schemas, then two replicas behind nginx.
        r = subprocess.run([sys.executable, str(root / "Tests/deploy/test_manifests.py")], timeout=300)
        failed |= r.returncode != 0
        r = subprocess.run([sys.executable, str(root / "Tests/deploy/cluster.py"), model], env=env, timeout=1800)
        failed |= r.returncode != 0
    finally:
        for p in servers:
            p.send_signal(signal.SIGTERM)
        for p in servers:
            code = p.wait(timeout=60)
            if code != 0:
                print(f"tern serve exited {code} after SIGTERM")
                failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
