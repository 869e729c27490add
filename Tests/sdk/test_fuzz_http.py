"""A small seeded slice of scripts/fuzz-http against the open SmolLM2 server (TERN_BASE_URL):
mutated requests, bad framing, header abuse, chunked edge cases and wrong JSON types, with and
without a half-close; no 5xx but 501/503/505, every answer HTTP, the server still up. The full
campaign (11,000 cases a round) is `scripts/fuzz-http --url … --rounds 4`."""
import os
import pathlib
import subprocess
import sys
import unittest
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]


class FuzzHTTPSlice(unittest.TestCase):
    def test_seeded_slice(self):
        u = urllib.parse.urlparse(os.environ["TERN_BASE_URL"])
        r = subprocess.run([sys.executable, str(ROOT / "scripts/fuzz-http"), "--url", f"http://{u.hostname}:{u.port}",
                            "--cases", "1200", "--seed", "17", "--workers", "16"], capture_output=True, text=True, timeout=300)
        print(r.stdout, r.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
