"""Small seeded slices of the robustness campaigns (issue 17), against the open SmolLM2 server
(TERN_BASE_URL) and the release binary: scripts/soak for 45 s (16 clients, 30% of them
disconnecting at random points; every other answer well-formed, no KV blocks left in use once
idle) and 2,000 cases of scripts/fuzz-model-file (mutated tiny GGUF and safetensors files: a clean
error or success, never a crash or a hang). The full campaigns are in README's "Robustness
campaigns"."""
import os
import pathlib
import subprocess
import sys
import unittest
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(args, timeout):
    r = subprocess.run([sys.executable] + args, capture_output=True, text=True, timeout=timeout)
    print(r.stdout[-3000:], r.stderr[-3000:])
    return r


class RobustnessSlices(unittest.TestCase):
    def test_soak_slice(self):
        u = urllib.parse.urlparse(os.environ["TERN_BASE_URL"])
        r = run([str(ROOT / "scripts/soak"), "--url", f"http://{u.hostname}:{u.port}", "--clients", "16", "--duration", "45",
                 "--seed", "3", "--max-tokens", "16"], timeout=400)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])

    def test_model_file_fuzz_slice(self):
        r = run([str(ROOT / "scripts/fuzz-model-file"), "--cases", "2000", "--workers", "2", "--seed", "5"], timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
