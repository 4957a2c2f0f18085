"""The planning engine: staffs a week's interventions and routes each worker's days.

``solve(week, travel=…, seconds=…)`` returns a :class:`~tremplin.planning.problem.Plan`. The
week is decomposed (docs/algorithms/planning.md explains why, with measurements):

1. **Analysis.** Each worker's availability minus absences gives *shifts* (a stretch of one
   day the worker may spend away from home). For each intervention, the shifts able to do it
   alone (skills, habilitations, window reachable from home and back, daily and weekly
   maximum, MAD cap) are its candidates; an intervention without any gets its precise reason.
2. **Construction** by cheapest insertion under the whole objective (locked visits, the
   client's usual worker, the most constrained visits, then day by day with pro-rata
   targets), **repair** of what is left (ejection chains of depth one) and **balance** of
   hours by single relocations.
3. **Large-neighbourhood search with CP-SAT**: the whole week of a small group of workers is
   re-assigned exactly (daily and weekly maximum, MAD cap, pairs of visits one shift cannot
   chain, equity, continuity, travel estimated as insertion detours), re-sequenced, and kept
   when the objective improves.
4. **Equity repair**: each insertion worker still below the band gets their whole week
   re-planned by CP-SAT with exact routing, taking visits from whoever holds them
   (:mod:`tremplin.planning.engine.equity`), kept when the objective improves.
5. **Routing with PyVRP**: each day is re-sequenced, each visit pinned to its shift by giving
   each shift its own time segment; a new order is kept where it travels less.
6. **Final repair**, then the plan with the reason of every unserved intervention.

The objective, lexicographic in spirit, is one weighted sum (weights below): unserved
interventions, insertion workers' minutes outside ±10 % of target, minutes below a contract
minimum, interventions away from the client's usual worker, distance to target inside the
band, travel. Everything runs on one thread; a seed gives the same plan as long as the
deterministic work limits (rounds, CP-SAT deterministic time, PyVRP iterations) are reached
before the wall-clock safety limits.
"""

from __future__ import annotations

from tremplin.planning.engine.model import EQUITY_BAND, candidates
from tremplin.planning.engine.pipeline import solve
from tremplin.planning.engine.routing import run_pyvrp, solve_vrptw

__all__ = ["EQUITY_BAND", "candidates", "run_pyvrp", "solve", "solve_vrptw"]
