"""The real clocks, handed to the core by whoever builds it (``core/`` reads none).

Each is a :class:`authgate.core.ports.Clock`: a function of no arguments that
returns seconds. Tests pass their own.
"""

import time

#: Seconds since the epoch: dates tokens, sessions and revocations.
system_clock = time.time

#: Seconds on a clock that never goes back: measures how long ago something was.
monotonic = time.monotonic

#: The finest monotonic clock: measures how long a computation took.
perf_counter = time.perf_counter
