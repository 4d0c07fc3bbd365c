"""Ctrl-C during a training run: stop between iterations, never in the middle of one.

Python turns Ctrl-C (SIGINT) into a KeyboardInterrupt wherever the program
happens to be, for instance after D's update and before G's. A checkpoint
saved there would hold half an iteration, and resuming from it would not give
the weights of a run that was never stopped. While a ``CtrlC`` block is active,
Ctrl-C only raises a flag; the training loop checks it after each iteration,
saves a checkpoint and stops.
"""

import signal
import sys
import threading


class StopBetweenIterations(KeyboardInterrupt):
    """What a training loop raises after a Ctrl-C, at the end of a complete iteration: safe to checkpoint.

    (A plain KeyboardInterrupt, from a second Ctrl-C, may come in the middle of one: then nothing is saved.)
    """


class CtrlC:
    """While active, Ctrl-C only sets ``pressed``; the loop checks it between iterations.

    A second Ctrl-C, for an iteration that does not end, stops at once (KeyboardInterrupt, no checkpoint).
    """

    def __init__(self):
        self.pressed = False
        self._installed = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # signal handlers live in the main thread only
            self._previous = signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def _handler(self, signum, frame):
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True
        print("Ctrl-C: stopping after this iteration, with a checkpoint (press it again to stop at once)",
              file=sys.stderr)

    def __exit__(self, *exc):
        if self._installed:  # (None: a handler installed from C; Python's default is the nearest we can restore)
            signal.signal(signal.SIGINT, self._previous if self._previous is not None else signal.default_int_handler)
            self._installed = False
