"""Benchmark of the whole app against the simulator: prints a table and a JSON line.

    scripts/bench            (or: python -m tests.bench.app [--starts N] [--calls N] [--memory-calls N])

It needs a screen, D-Bus and a Secret Service; started outside `scripts/desktop-session` it
restarts itself inside one. The simulator runs in a process of its own (`ringdesk sim`), as the
platform would be elsewhere. Every RingDesk process gets a throwaway RINGDESK_HOME whose settings
point at it: JWT sign-in (the JWT is in the session's keyring, as "remember" leaves it), and the
phone to ring first already chosen (`Settings.dialer`).

What is measured, and where:

- Start: `python -m ringdesk` is started `--starts` times, after a first start (reported apart in
  the JSON) that signs in with the JWT and creates the history; the others sign in from the
  stored tokens. A second X client (Xlib through ctypes) sees the main window (the window
  titled "RingDesk" that stays) mapped, and its first pixels drawn (an XDamage report). The app
  is stopped with SIGTERM (its quit guard) one second after its log says it is signed in.
- Calls, burst and memory: each in a fresh app process running `RingDeskApp` on the qasync loop
  as `ringdesk.app.main` does (`run_app`, with its GUI-thread garbage collector). Calls are
  placed by clicking the real Call button; the simulator's request log (wall-clock time of
  arrival) says when a request was received; an event filter on the status view's headline
  says when a new headline was painted. The calls part raises the simulator's Heavy limit (a
  call every 5 s is more than 10 a minute); the burst uses the platform's real limits; the
  memory part raises the Light and Heavy limits and polls every `--memory-poll` s, so that 100
  calls take half a minute instead of four.

Times depend on the machine and on what else runs there: compare them between versions on the
same machine, never use them for pass/fail. Counts (requests per call, 429s, calls held back)
are the figures that hold anywhere.

The modules: `x11` (the X client), `process` (processes, homes, settings, logs), `driver` (the
app process and the Qt driver in it), `figures` (what is measured), `report` (table and JSON),
`__main__` (the command line).
"""
