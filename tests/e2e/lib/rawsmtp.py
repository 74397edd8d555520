#!/usr/bin/env python3
"""rawsmtp.py PORT - one SMTP session to 127.0.0.1:PORT with raw bytes.

The commands come on stdin, one a line, with Python's backslash escapes
(\\xff, \\x00, \\r, \\n, \\\\) decoded; each goes out with CRLF added.  A
line "BODY <escaped>" sends its bytes as they are (the message after DATA,
ending in \\r\\n.\\r\\n).  Every reply line is printed as "STAGE LINE",
STAGE the command's first word in upper case (CONNECT for the banner, DOT
for BODY), bytes outside printable ASCII shown as \\xNN; a line that is not
well-formed SMTP (RFC 5321 4.2: "NNN" and " " or "-", printable ASCII,
CRLF-terminated, no bare CR or LF, at most 512 octets with the CRLF) is
also printed as "MALFORMED STAGE REASON: LINE".  The session ends after the
last command (QUIT is sent) or when the server closes it.  Exit status 0,
or 1 when the connection fails.
"""
import codecs
import re
import socket
import sys

REPLY = re.compile(rb"^[2-5][0-9][0-9]([ -]|$)")


def show(raw):
    """raw bytes as printable ASCII, others as \\xNN."""
    return "".join(chr(b) if 0x20 <= b < 0x7f else "\\x%02x" % b
                   for b in raw)


class Session:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.closed = False

    def line(self):
        """one line up to LF (with it), or what is left at EOF."""
        while b"\n" not in self.buf:
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, OSError):
                data = b""
            if not data:
                self.closed = True
                rest, self.buf = self.buf, b""
                return rest
            self.buf += data
        i = self.buf.index(b"\n") + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def reply(self, stage):
        """print one reply's lines, checked; False once the peer is gone."""
        while True:
            raw = self.line()
            if raw == b"":
                return False
            text = raw[:-2] if raw.endswith(b"\r\n") else raw
            reason = None
            if not raw.endswith(b"\r\n"):
                reason = "not ended by CRLF"
            elif b"\r" in text or b"\n" in text:
                reason = "bare CR or LF"
            elif len(raw) > 512:
                reason = "%d octets" % len(raw)
            elif any(b < 0x20 or b >= 0x7f for b in text):
                reason = "not printable ASCII"
            elif not REPLY.match(text):
                reason = "no reply code"
            print("%s %s" % (stage, show(text.rstrip(b"\r\n"))))
            if reason is not None:
                print("MALFORMED %s %s: %s" % (stage, reason, show(raw)))
            if len(text) < 4 or text[3:4] != b"-":
                return True

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True


def main():
    port = int(sys.argv[1])
    try:
        s = Session(port)
    except OSError as e:
        print("SESSION cannot connect: %s" % e)
        return 1
    if not s.reply("CONNECT"):
        return 0
    for cmd in sys.stdin.read().split("\n"):
        if cmd == "":
            continue
        if cmd.startswith("BODY "):
            stage, data = "DOT", cmd[5:]
            data = codecs.escape_decode(data.encode("latin-1"))[0]
        else:
            stage = re.split(r"[ :]", cmd, 1)[0].upper()
            data = codecs.escape_decode(cmd.encode("latin-1"))[0] + b"\r\n"
        s.send(data)
        if s.closed or not s.reply(stage):
            print("SESSION closed by the server after %s" % stage)
            return 0
    s.send(b"QUIT\r\n")
    s.reply("QUIT")
    return 0


if __name__ == "__main__":
    sys.exit(main())
