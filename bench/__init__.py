"""The deadline rush, measured on one machine (README, "The deadline rush, measured").

`python bench/rush.py` (or `make bench`) runs it: `run.py` starts the stack and runs the
scenarios in `scenarios/`, one module each, with the clients of `client.py`, the processes
of `stack.py` and the figures of `figures.py`.
"""
