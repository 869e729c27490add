"""The shipped deployment recipes against their schemas: every Kubernetes manifest under
Config/deploy/kubernetes with `kubernetes-validate` (strict: an unknown or misspelt field
fails), Config/deploy/compose.yaml against the Compose specification's schema (vendored by
`check-jsonschema`), and the promises the manifests make to each other (the drain fits in
the grace period, the probes hit Tern's routes, the HPA's metric is the adapter's)."""
import pathlib
import subprocess
import sys
import tempfile
import unittest

import kubernetes_validate
import yaml

root = pathlib.Path(__file__).resolve().parents[2]
deploy = root / "Config/deploy"
KUBERNETES = "1.37.0"


def documents():
    for path in sorted((deploy / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path.name, doc


class Manifests(unittest.TestCase):
    def test_every_manifest_is_valid_kubernetes(self):
        kinds = []
        for name, doc in documents():
            with self.subTest(file=name, kind=doc.get("kind")):
                kubernetes_validate.validate(doc, KUBERNETES, strict=True)
                kinds.append(doc["kind"])
        self.assertEqual(sorted(set(kinds)), ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PersistentVolumeClaim", "Service"])

    def test_a_broken_manifest_is_caught(self):
        deployment = next(doc for _, doc in documents() if doc["kind"] == "Deployment")
        deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}  # misspelt
        with self.assertRaises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(deployment, KUBERNETES, strict=True)

    def test_drain_probes_and_autoscaling_agree(self):
        docs = {d["kind"]: d for _, d in documents()}
        pod = docs["Deployment"]["spec"]["template"]["spec"]
        tern = pod["containers"][0]
        env = {e["name"]: e["value"] for e in tern["env"]}
        sleep = int(tern["lifecycle"]["preStop"]["exec"]["command"][-1])
        self.assertGreater(pod["terminationGracePeriodSeconds"], sleep + float(env["TERN_SHUTDOWN_TIMEOUT"]))
        self.assertEqual(tern["readinessProbe"]["httpGet"]["path"], "/health")
        self.assertEqual(tern["livenessProbe"]["httpGet"]["path"], "/live")
        metric = docs["HorizontalPodAutoscaler"]["spec"]["metrics"][0]["pods"]["metric"]["name"]
        self.assertIn(f'as: "{metric}"', docs["ConfigMap"]["data"]["config.yaml"])
        claim = pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
        self.assertEqual(docs["PersistentVolumeClaim"]["metadata"]["name"], claim)


class Compose(unittest.TestCase):
    def test_compose_file_follows_the_compose_spec(self):
        r = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                            str(deploy / "compose.yaml")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_a_broken_compose_file_is_caught(self):
        with tempfile.TemporaryDirectory() as d:
            broken = pathlib.Path(d) / "compose.yaml"
            broken.write_text((deploy / "compose.yaml").read_text().replace("stop_grace_period: 40s", "stop_grace_period: [40]"))
            r = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(broken)],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)


class NginxConfig(unittest.TestCase):
    def test_nginx_accepts_the_config(self):
        """`nginx -t` on the shipped file, wrapped as the official image includes it (conf.d)."""
        with tempfile.TemporaryDirectory() as d:
            conf = (deploy / "nginx.conf").read_text().replace("server tern:8080", "server 127.0.0.1:9")
            conf = conf.replace("/var/log/nginx/tern-access.log", f"{d}/access.log")
            (pathlib.Path(d) / "tern.conf").write_text(conf)
            (pathlib.Path(d) / "nginx.conf").write_text(
                f"pid {d}/nginx.pid; error_log {d}/error.log; events {{}}\n"
                f"http {{ client_body_temp_path {d}/b; proxy_temp_path {d}/p; fastcgi_temp_path {d}/f; uwsgi_temp_path {d}/u; "
                f"scgi_temp_path {d}/s; include {d}/tern.conf; }}\n")
            r = subprocess.run(["nginx", "-t", "-p", d, "-e", f"{d}/error.log", "-c", f"{d}/nginx.conf"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
