#!/usr/bin/env python3
"""Clients the listener tests need that curl cannot be: each prints one line to check.

probe.py close PORT CAFILE
    TLS GET /core/status/ with Connection: close, read to the end: prints
    "headers <response head lines, lowercased, joined by |>" then "end close_notify" when
    the server ended TLS properly (recv gave b"") or "end <error>" when it did not.
probe.py cipher PORT CAFILE CIPHER
    TLS 1.2 offering only CIPHER (OpenSSL name): prints "handshake ok <cipher>" or
    "handshake failed <reason>".
probe.py slow PORT KIND SECONDS
    Opens a slow connection and reports how long the server kept it: KIND is raw (TCP, no
    TLS handshake), head (TLS, half a request head), natsws (TLS, half a GET /natsws) or
    body (TLS, full head announcing a body that never comes). Prints "closed <seconds>" or
    "open <seconds>" when still open after SECONDS.
probe.py bigbody PORT CAFILE PATH
    TLS POST PATH announcing a 10 MB body, sending only the head: prints "status <code>
    <connection header>" as soon as the answer arrives, or "no answer".
"""
import socket
import ssl
import sys
import time


def tls(port, cafile=None):
    context = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
    if not cafile:
        context.check_hostname = False
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    return context.wrap_socket(raw, server_hostname="localhost")


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1").lower().split("\r\n"), rest


def close_probe(port, cafile):
    sock = tls(port, cafile)
    sock.sendall(b"GET /core/status/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    lines, _ = read_head(sock)
    print("headers " + "|".join(lines), flush=True)
    try:
        while sock.recv(65536):
            pass
        print("end close_notify")
    except (ssl.SSLError, OSError) as error:
        print("end " + type(error).__name__ + " " + str(error).replace("\n", " "))


def cipher_probe(port, cafile, cipher):
    context = ssl.create_default_context(cafile=cafile)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(cipher)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as sock:
                print("handshake ok " + sock.cipher()[0])
    except (ssl.SSLError, OSError) as error:
        print("handshake failed " + str(error).replace("\n", " "))


def slow_probe(port, kind, seconds):
    start = time.monotonic()
    if kind == "raw":
        sock = socket.create_connection(("127.0.0.1", port), timeout=seconds)
    else:
        sock = tls(port)
        sock.settimeout(seconds)
        if kind == "head":
            sock.sendall(b"GET /core/status/ HTTP/1.1\r\nHost: local")
        elif kind == "natsws":
            sock.sendall(b"GET /natsws HTTP/1.1\r\nHost: localhost\r\nUpgrade: webso")
        elif kind == "body":
            sock.sendall(b"POST /v2/login/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    try:
        while True:
            if not sock.recv(65536):
                break
    except socket.timeout:
        print("open %.1f" % (time.monotonic() - start))
        return
    except (ssl.SSLError, OSError):
        pass
    print("closed %.1f" % (time.monotonic() - start))


def big_body_probe(port, cafile, path):
    sock = tls(port, cafile)
    sock.settimeout(20)
    sock.sendall(("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n" % path).encode())
    try:
        lines, _ = read_head(sock)
    except (socket.timeout, ssl.SSLError, OSError):
        print("no answer")
        return
    if not lines or not lines[0]:
        print("no answer")
        return
    connection = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("connection:")), "-")
    print("status %s %s" % (lines[0].split(" ")[1], connection))


def short_body_probe(port, cafile, path, token):
    """Announces 100 bytes of body, sends 5, then ends its side of the connection."""
    sock = tls(port, cafile)
    sock.settimeout(20)
    sock.sendall(("POST %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Token %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"cli" % (path, token)).encode())
    # socket.socket.shutdown: a TCP half-close under the TLS session (SSLSocket.shutdown would drop TLS).
    socket.socket.shutdown(sock, socket.SHUT_WR)
    try:
        lines, _ = read_head(sock)
    except (socket.timeout, ssl.SSLError, OSError):
        print("no answer")
        return
    print("status %s" % (lines[0].split(" ")[1] if lines and lines[0] else "none"))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "close":
        close_probe(int(sys.argv[2]), sys.argv[3])
    elif mode == "cipher":
        cipher_probe(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif mode == "slow":
        slow_probe(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
    elif mode == "bigbody":
        big_body_probe(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif mode == "shortbody":
        short_body_probe(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
