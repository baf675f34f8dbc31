#!/usr/bin/python3
"""An SMTP server that keeps what it is sent, for the e-mail notifier's tests, on aiosmtpd
(Debian's python3-aiosmtpd): smtp_receiver.py PORT MAILDIR CERT KEY USER PASSWORD

STARTTLS offered and required before MAIL; AUTH (PLAIN, LOGIN) required, after STARTTLS.
Each message is written to MAILDIR/<n>.eml (renamed into place whole). Prints READY once it
accepts connections; exits 0 on SIGTERM.
"""
import itertools
import logging
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd 1.4 warns on every AUTH

port, maildir, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
user, password = sys.argv[5].encode(), sys.argv[6].encode()
os.makedirs(maildir, exist_ok=True)
counter = itertools.count(1)


class Store:
    async def handle_DATA(self, server, session, envelope):
        n = next(counter)
        path = os.path.join(maildir, f"{n}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "250 OK stored"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        user, password)
    return AuthResult(success=ok, handled=False)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
controller = Controller(Store(), hostname="127.0.0.1", port=port, tls_context=context,
                        require_starttls=True, authenticator=authenticator, auth_required=True,
                        auth_require_tls=True)
controller.start()
print("READY", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
