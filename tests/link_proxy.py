"""A TCP relay between PySEB and the test's broker whose link can go dead without a word, as a Pi's Wi-Fi does: frozen,
it forwards nothing either way and keeps both sockets open (no FIN, no RST: paho still says connected, takes every
message and writes it into a socket that delivers none, until its keepalive finds the link dead); while frozen, a new
connection is closed at once (the network unreachable). `back()` is the link back after paho noticed: what the dead
connections held is lost with them, new ones are relayed. `thaw()` is the link back before paho noticed: what the
sockets held goes through, late."""

from __future__ import annotations

import selectors
import socket
import threading

from localbroker import free_port

CHUNK = 65536


class LinkProxy:
    """Listens on a free loopback port (`port`), relays each connection to host:port."""

    host = "127.0.0.1"

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.port = free_port(self.host)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, self.port))
        self._listener.listen(8)
        self._lock = threading.Lock()
        self._asked: list[tuple[bool, bool, bool, threading.Event]] = []  # (frozen, drop, close, done), in turn
        self._frozen = False  # (the relay's thread's own)
        self._peers: dict[socket.socket, socket.socket] = {}  # each relayed socket: the one it forwards to
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, name="link-proxy", daemon=True)
        self._thread.start()

    def freeze(self) -> None:
        """Nothing forwarded either way from now on (once this returns), the sockets left open."""
        self._ask(frozen=True)

    def thaw(self) -> None:
        """Forward again, what the sockets held first (the link back before paho noticed it dead)."""
        self._ask(frozen=False)

    def back(self) -> None:
        """The link back after paho noticed it dead: the connections of before are closed, what they held never
        forwarded; new ones are relayed."""
        self._ask(frozen=False, drop=True)

    def close(self) -> None:
        self._ask(frozen=True, drop=True, close=True)
        self._thread.join(5)
        self._selector.close()
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()

    def _ask(self, frozen: bool, drop: bool = False, close: bool = False) -> None:
        """Hand the relay's thread a change, and wait until it made it."""
        done = threading.Event()
        with self._lock:
            self._asked.append((frozen, drop, close, done))
        self._wake_w.send(b"x")
        if not done.wait(5):
            raise RuntimeError("the link proxy's thread did not answer")

    # --- the relay's thread ----------------------------------------------------------------------------------------
    def _apply(self) -> bool:
        """The changes asked, made in turn; False once closed."""
        with self._lock:
            asked, self._asked = self._asked, []
        for frozen, drop, close, done in asked:
            if drop:
                for sock in list(self._peers):
                    self._drop(sock)
            if frozen != self._frozen:
                # (frozen: the relayed sockets are not read, their data left in their buffers)
                for sock in self._peers:
                    if frozen:
                        self._selector.unregister(sock)
                    else:
                        self._selector.register(sock, selectors.EVENT_READ)
                self._frozen = frozen
            done.set()
            if close:
                return False
        return True

    def _drop(self, sock: socket.socket) -> None:
        peer = self._peers.pop(sock, None)
        for one in (sock, peer):
            if one is None:
                continue
            self._peers.pop(one, None)
            try:
                self._selector.unregister(one)
            except (KeyError, ValueError):
                pass
            one.close()

    def _accept(self) -> None:
        client, _ = self._listener.accept()
        if self._frozen:  # (the network unreachable: no connection goes through)
            client.close()
            return
        try:
            upstream = socket.create_connection(self._target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        self._peers[client], self._peers[upstream] = upstream, client
        self._selector.register(client, selectors.EVENT_READ)
        self._selector.register(upstream, selectors.EVENT_READ)

    def _forward(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(CHUNK)
        except OSError:
            data = b""
        peer = self._peers.get(sock)
        if not data or peer is None:
            self._drop(sock)
            return
        try:
            peer.sendall(data)
        except OSError:
            self._drop(sock)

    def _run(self) -> None:
        while True:
            events = self._selector.select(timeout=0.5)
            if not self._apply():
                return
            for key, _ in events:
                sock = key.fileobj
                if sock is self._wake_r:
                    self._wake_r.recv(CHUNK)
                elif sock is self._listener:
                    self._accept()
                elif not self._frozen and sock in self._peers:
                    self._forward(sock)  # type: ignore[arg-type]
