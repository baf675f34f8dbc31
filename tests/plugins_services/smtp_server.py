#!/usr/bin/python3
"""An SMTP server for the smtp plugin's tests, on aiosmtpd (Debian's python3-aiosmtpd).

smtp_server.py PORT MODE [CERT KEY [USER PASSWORD]]
  MODE plain     no TLS at all
       starttls  STARTTLS offered and required before MAIL; AUTH after it
       implicit  TLS from the first byte, as on port 465; AUTH offered
Prints READY once it accepts connections; exits 0 on SIGTERM. Messages are accepted and
dropped: the tests check the dialogue, not delivery.
"""
import logging
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd 1.4 logs a deprecation warning on every AUTH; the tests read stderr on failure only.
logging.getLogger("mail.log").setLevel(logging.ERROR)

port, mode = int(sys.argv[1]), sys.argv[2]
options = {}
if mode in ("starttls", "implicit"):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    if mode == "starttls":
        options.update(tls_context=context, require_starttls=True)
    else:
        options.update(ssl_context=context)
if len(sys.argv) >= 7:
    user, password = sys.argv[5].encode(), sys.argv[6].encode()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            user, password)
        return AuthResult(success=ok, handled=False)

    # Over implicit TLS aiosmtpd does not know the session is encrypted: allow AUTH anyway.
    options.update(authenticator=authenticator, auth_require_tls=(mode == "starttls"))


class Drop:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK dropped"


# Blocked before the controller's thread starts, so that only sigwait() below sees them.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
controller = Controller(Drop(), hostname="127.0.0.1", port=port, server_hostname="mx.test",
                        **options)
controller.start()
print("READY", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
