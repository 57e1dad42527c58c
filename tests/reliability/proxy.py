"""A TCP proxy in the test process, standing between the server and PostgreSQL, that can fail
the way networks do: cut (nothing listens, every open connection is reset) or black-holed
(connections are accepted but nothing ever comes back)."""

import contextlib
import selectors
import socket
import struct
import threading

POLL_SECONDS = 0.05  # how quickly the proxy's threads notice they must stop


class TcpProxy:
    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0  # chosen on the first open, kept afterwards
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def open(self, *, black_hole: bool = False) -> None:
        """Listen (again, on the same port). A black hole accepts connections and never
        answers, like a host whose traffic is silently dropped."""
        assert self._listener is None, "already open"
        self._stop.clear()
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        listener.settimeout(POLL_SECONDS)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept, black_hole)

    def cut(self) -> None:
        """Stop listening and reset every connection, both towards the server and towards
        PostgreSQL (which then ends its sessions)."""
        self._stop.set()
        while self._threads:  # the accept thread, popped last, may add a forwarder on its way out
            self._threads.pop().join(timeout=5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                _reset(sock)
            self._sockets.clear()

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self, black_hole: bool) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            self._keep(client)
            if black_hole:
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                self._close(client)
                continue
            self._keep(upstream)
            self._spawn(self._forward, client, upstream)

    def _keep(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _forward(self, client: socket.socket, upstream: socket.socket) -> None:
        """Copy bytes both ways until either side closes or the proxy is cut."""
        peers = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peers:
                selector.register(sock, selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=POLL_SECONDS):
                    try:
                        data = key.fileobj.recv(65536)
                        if data:
                            peers[key.fileobj].sendall(data)
                    except OSError:
                        data = b""
                    if not data:
                        self._close(client, upstream)
                        return

    def _close(self, *socks: socket.socket) -> None:
        with self._lock:
            for sock in socks:
                self._sockets.discard(sock)
                sock.close()


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN, as a dropped connection looks to its peer."""
    with contextlib.suppress(OSError):  # already closed by its peer
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
