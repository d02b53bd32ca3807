"""What tests/test_kubectl_create_apply.py and test_kubectl_change_verbs.py share: a manifest and the in-process
kubectl."""

from __future__ import annotations

import io
from pathlib import Path


from cluster.apiserver.server import APIServer
from cluster.kubectl import cli


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: app1, labels: {app: app1}}
spec:
  replicas: 2
  selector: {matchLabels: {app: app1}}
  template:
    metadata: {labels: {app: app1}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.26
        ports: [{containerPort: 80}]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
      - name: side
        image: busybox
"""


def kubectl(api: APIServer, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(api, list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def ok(api: APIServer, *argv: str, stdin: str = "") -> str:
    code, out, err = kubectl(api, *argv, stdin=stdin)
    assert (code, err) == (0, ""), err
    return out


def manifest(tmp_path: Path, text: str, name: str = "m.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)
