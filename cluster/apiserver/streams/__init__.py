"""The streaming subresources' sessions: what runs once `pods/exec`, `pods/attach` or `pods/portforward` is upgraded.

- location.py: the request's options and kube-apiserver's checks before the upgrade;
- wire.py: remotecommand's websocket channels (v5/v4/v1, base64) and the closing Status;
- remotecommand.py: exec and attach sessions (the kubelet's remotecommand server, simulated);
- terminal.py: `exec -it … sh`: an interactive shell and the pseudo-terminal's line discipline;
- spdy.py, portforward.py: port-forward, SPDY/3.1 tunnelled in a websocket (kubectl) or the
  kubelet's channel protocol (the Python client), reaching the simulated server in the pod.

The websocket itself (authentication, routing, limits) is cluster/apiserver/http/streaming.py.
"""
