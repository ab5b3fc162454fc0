"""One module per scenario, each with `run(bench, report)`; `run.py` runs them in this order.
`floor` is not a scenario of its own: it makes `rush` measure the storage floor too."""

from bench.scenarios import (
    api,
    memory,
    oversize,
    roster,
    rush,
    scaling,
    slow,
    trickle,
    two_step,
)

SCENARIOS = {
    "rush": rush,
    "two_step": two_step,
    "api": api,
    "scaling": scaling,
    "oversize": oversize,
    "roster": roster,
    "trickle": trickle,
    "slow": slow,
    "memory": memory,
}
