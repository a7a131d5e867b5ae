#!/usr/bin/env python3
"""The HTTP half of the dnsmasq reference setup (netboot/lab --server dnsmasq): serves the boot artifacts
at /boot/files/<path>, an iPXE script per MAC at /boot/<mac>.ipxe (kernel + initrd over HTTP with the
kernel command line given), and records the boot events nodes POST to /api/v1/nodes/<name>/boot-events
as JSON lines in EVENTS. With SSHKEY it also serves that public key at /api/v1/ssh-key, as the appliance does,
so a node's init does the same work with both servers (without it the fetch fails and retries). It is a
reference for figures and a lab without the appliance, not the product.

usage: standin-http.py ADDRESS PORT BOOTDIR EVENTS 'KERNEL ARGS' [SSHKEY]"""
import json
import os
import sys
import time
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

address, port, bootdir, events, kargs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ssh_key = open(sys.argv[6], "rb").read() if len(sys.argv) > 6 else None


class Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=bootdir, **kwargs)

    def translate_path(self, path):
        path = path.split("?", 1)[0]
        if path.startswith("/boot/files/"):
            return super().translate_path("/" + path[len("/boot/files/"):])
        return "/nonexistent"

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path.startswith("/boot/") and path.endswith(".ipxe") and "/files/" not in path:
            mac = urllib.parse.unquote(path[len("/boot/"):-len(".ipxe")]).lower().replace("-", ":")
            base = f"http://{address}:{port}"
            script = (f"#!ipxe\nkernel {base}/boot/files/vmlinuz initrd=initrd.img {kargs} fabric.mac={mac}\n"
                      f"initrd {base}/boot/files/initrd.img\nboot\n").encode()
            self.log_event({"at": time.time(), "mac": mac, "stage": "script"})
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(script)))
            self.end_headers()
            self.wfile.write(script)
            return
        if path == "/api/v1/ssh-key" and ssh_key is not None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(ssh_key)))
            self.end_headers()
            self.wfile.write(ssh_key)
            return
        super().do_GET()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        parts = self.path.split("/")
        if len(parts) == 6 and parts[1:4] == ["api", "v1", "nodes"] and parts[5] == "boot-events":
            try:
                event = json.loads(body)
            except ValueError:
                self.send_error(400)
                return
            event.update({"at": time.time(), "node": parts[4], "from": self.client_address[0],
                          "token": (self.headers.get("Authorization") or "")[len("Bearer "):]})
            self.log_event(event)
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_error(404)

    def log_event(self, event):
        with open(events, "a") as f:
            f.write(json.dumps(event) + "\n")


ThreadingHTTPServer((address, port), Handler).serve_forever()
