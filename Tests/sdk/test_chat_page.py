"""The chat page at `/` in a real browser: Debian's chromium, headless, driven through its
chromedriver by selenium. TERN_BASE_URL: the open server; TERN_KEYED_URL: the server with key
"test-key"; TERN_BINARY and TERN_MODEL_PATH start a server with --no-ui. With
TERN_SCREENSHOT_DIR set, screenshots of the page are written there."""
import json
import os
import subprocess
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

OPEN = os.environ["TERN_BASE_URL"].removesuffix("/v1")
KEYED = os.environ["TERN_KEYED_URL"].removesuffix("/v1")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,760",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions"]:
        options.add_argument(arg)
    # Every request the page makes (Network.* events) and the console (CSP violations land there).
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def running(base, headers=None):
    req = urllib.request.Request(base + "/metrics", headers=headers or {})
    text = urllib.request.urlopen(req).read().decode()
    values = {line.split("{")[0].split()[0]: float(line.split()[-1]) for line in text.splitlines() if line and not line.startswith("#")}
    return values["vllm:num_requests_running"] + values["vllm:num_requests_waiting"]


class ChatPage(unittest.TestCase):
    def setUp(self):
        self.driver = browser()
        self.wait = WebDriverWait(self.driver, 60, poll_frequency=0.05)

    def tearDown(self):
        self.driver.quit()

    def screenshot(self, name):
        if os.environ.get("TERN_SCREENSHOT_DIR"):
            self.driver.save_screenshot(os.path.join(os.environ["TERN_SCREENSHOT_DIR"], name + ".png"))

    def el(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def assistant(self):
        bubbles = self.driver.find_elements(By.CSS_SELECTOR, ".msg.assistant")
        return bubbles[-1] if bubbles else None

    def send(self, text):
        self.el("#input").send_keys(text)
        self.el("#send").click()

    def settle(self):
        """Waits for the answer in flight to end (the send button is back)."""
        self.wait.until(lambda d: self.el("#send").is_displayed())

    def requested_urls(self):
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def assert_no_console_errors(self):
        errors = [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        # An expected 401 (the key prompt) shows as a failed resource load; nothing else may.
        errors = [e for e in errors if "status of 401" not in e]
        self.assertEqual(errors, [], "console errors (a CSP violation would be one)")

    def test_loads_offline_streams_keeps_the_conversation(self):
        d = self.driver
        d.get(OPEN + "/")
        self.wait.until(lambda _: self.el("#model").text not in ("", "connecting…"))
        self.assertIn("SmolLM2", self.el("#model").text)
        self.el("#system").send_keys("You are a terse assistant.")
        self.el("#temperature").send_keys("0")
        self.el("#max_tokens").send_keys("24")
        self.el("#seed").send_keys("7")
        self.send("What is the capital of France?")
        self.settle()
        first = self.assistant().text
        self.assertTrue(first.strip())
        self.assertRegex(self.el("#stats").text, r"\d+ tokens · [\d.–]+ tok/s · first token [\d.]+ s")
        # The conversation goes on: the second request carries the first exchange.
        self.send("And of Italy?")
        self.settle()
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, ".msg.user")), 2)
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, ".msg.assistant")), 2)
        kept = json.loads(d.execute_script("return sessionStorage.getItem('tern.chat')"))
        self.assertEqual([m["role"] for m in kept], ["user", "assistant", "user", "assistant"])
        self.assertEqual(kept[0]["content"], "What is the capital of France?")
        self.screenshot("chat-page")
        # Reloaded, the tab keeps its conversation and settings.
        d.refresh()
        self.wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, ".msg.assistant")) == 2)
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, ".msg.assistant")[0].text.split("\n")[0], first.split("\n")[0])
        self.assertEqual(self.el("#max_tokens").get_attribute("value"), "24")
        # Nothing left this machine: every request went to the server itself (or was a data: URL).
        urls = self.requested_urls()
        self.assertIn(OPEN + "/v1/chat/completions", urls)
        for url in urls:
            parts = urllib.parse.urlsplit(url)
            self.assertTrue(parts.scheme == "data" or parts.hostname in ("127.0.0.1", "localhost"), url)
        self.assert_no_console_errors()

    def test_stop_aborts_and_the_server_frees_the_request(self):
        self.driver.get(OPEN + "/")
        self.wait.until(lambda _: self.el("#model").text not in ("", "connecting…"))
        self.el("#temperature").send_keys("0")
        self.el("#max_tokens").send_keys("1500")
        self.send("Count from 1 to 1000, separated by commas.")
        # Text arrives while the request is still running: it streams.
        self.wait.until(lambda _: self.assistant() is not None and len(self.assistant().text) > 3)
        self.assertTrue(self.el("#stop").is_displayed())
        self.assertGreaterEqual(running(OPEN), 1)
        self.el("#stop").click()
        self.settle()
        self.assertEqual(self.assistant().find_element(By.CSS_SELECTOR, ".note").text, "stopped")
        deadline = time.time() + 5
        while running(OPEN) > 0 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(running(OPEN), 0, "the server still runs the aborted request")
        self.assert_no_console_errors()

    def test_keyed_server_asks_for_the_key_then_works(self):
        d = self.driver
        d.get(KEYED + "/")
        dialog = self.el("#key-dialog")
        self.wait.until(lambda _: dialog.is_displayed())
        self.assertIn("API key", self.el("#key-error").text)
        self.screenshot("chat-page-key")
        self.el("#key").send_keys("wrong-key\n")
        self.wait.until(lambda _: "incorrect" in self.el("#key-error").text and dialog.is_displayed())
        self.el("#key").send_keys("test-key\n")
        self.wait.until(lambda _: "SmolLM2" in self.el("#model").text)
        self.assertEqual(json.loads(d.execute_script("return sessionStorage.getItem('tern.apiKey')")), "test-key")
        self.el("#max_tokens").send_keys("8")
        self.send("Hello!")
        self.settle()
        self.assertTrue(self.assistant().text.strip())
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, ".msg.error"), [])


class NoUI(unittest.TestCase):
    def test_no_ui_flag_turns_the_page_off(self):
        port = 8089
        with open(os.devnull, "w") as null:
            p = subprocess.Popen([os.environ["TERN_BINARY"], "serve", "--model", os.environ["TERN_MODEL_PATH"], "--port", str(port), "--no-ui"],
                                 stdout=null, stderr=null)
        try:
            for _ in range(600):
                try:
                    if urllib.request.urlopen(f"http://127.0.0.1:{port}/health").status == 200:
                        break
                except Exception:
                    time.sleep(0.1)
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/")
            self.assertEqual(e.exception.code, 404)
            self.assertEqual(urllib.request.urlopen(OPEN + "/").headers["Content-Type"], "text/html; charset=utf-8")
        finally:
            p.terminate()
            p.wait(timeout=30)


if __name__ == "__main__":
    unittest.main()
