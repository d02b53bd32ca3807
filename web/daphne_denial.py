"""The ASGI "WebSocket Denial Response" extension for Daphne: refuse a handshake with any HTTP answer.

kube-apiserver refuses a streaming upgrade (`kubectl exec` with a wrong token, a
container the pod does not have) with an ordinary HTTP response — 401, 400, 404 —
whose body is a metav1.Status, and client-go shows that Status. The ASGI spec lets
an application do the same by sending `websocket.http.response.start` and
`websocket.http.response.body` instead of `websocket.accept`
(https://asgi.readthedocs.io/en/latest/extensions.html#websocket-denial-response),
but Daphne 4 only knows `websocket.close`, which it answers with a bare 403.

`install()` teaches Daphne's WebSocketProtocol those two messages: the response is
kept until its last body part, then the handshake is failed through autobahn with
that status, and autobahn's error response is written with the kept headers and
body. Applications learn of it from `scope["extensions"]["websocket.http.response"]`
(cluster/apiserver/http/streaming.py adds it when `install()` says it is there).
"""

from __future__ import annotations

from http import HTTPStatus

_INSTALLED = False


def install() -> bool:
    """Patch Daphne once; False when Daphne is not importable (another ASGI server)."""
    global _INSTALLED
    if _INSTALLED:
        return True
    try:
        from autobahn.websocket.types import ConnectionDeny
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return False
    handle_reply = WebSocketProtocol.handle_reply
    send_error = WebSocketProtocol.sendHttpErrorResponse

    def patched_handle_reply(self, message: dict) -> None:  # noqa: ANN001 - Daphne's protocol object
        kind = message.get("type")
        if kind == "websocket.http.response.start" and hasattr(self, "handshake_deferred"):
            self.kubeclass_denial = [int(message["status"]), list(message.get("headers") or []), b""]
            return None
        denial = getattr(self, "kubeclass_denial", None)
        if kind == "websocket.http.response.body" and denial is not None:
            denial[2] += message.get("body", b"")
            if not message.get("more_body") and hasattr(self, "handshake_deferred"):
                self.handshake_deferred.errback(ConnectionDeny(code=denial[0], reason=_phrase(denial[0])))
                del self.handshake_deferred
                self.server.protocol_disconnected(self)
            return None
        return handle_reply(self, message)

    def patched_send_error(self, code: int, reason: str, responseHeaders: list | None = None) -> None:  # noqa: N803
        denial = getattr(self, "kubeclass_denial", None)
        if denial is None:
            return send_error(self, code, reason, responseHeaders)
        status, headers, body = denial
        lines = [f"HTTP/1.1 {status} {_phrase(status)}"]
        lines += [
            f"{name.decode('latin-1')}: {value.decode('latin-1')}"
            for name, value in headers
            if name.lower() not in (b"content-length", b"connection")
        ]
        lines += [f"Content-Length: {len(body)}", "Connection: close"]
        self.sendData(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return None

    WebSocketProtocol.handle_reply = patched_handle_reply
    WebSocketProtocol.sendHttpErrorResponse = patched_send_error
    _INSTALLED = True
    return True


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
