"""A real SMTP server for the suite: aiosmtpd, keeping every message it accepts in a Maildir.

usage: smtp_relay.py MAILDIR PORT
Prints "ready" once it listens, and stops when its standard input closes (the test process
that started it ended), so no server outlives its test run.
"""
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

maildir, port = sys.argv[1], int(sys.argv[2])
controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
