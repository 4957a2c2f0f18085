"""Reading VRPLIB vehicle-routing instances with time windows, their solutions, and checking
a solution independently.

The VRPLIB text format (``NAME : C101``, ``NODE_COORD_SECTION``, ``DEMAND_SECTION``,
``TIME_WINDOW_SECTION``, ``SERVICE_TIME_SECTION`` or a scalar ``SERVICE_TIME``,
``DEPOT_SECTION``, ``EOF``) is parsed here without any third-party reader, with coordinates
(``EUC_2D``) or an explicit ``FULL_MATRIX``. A solution file lists ``Route #k: 5 3 7 …`` with
the depot numbered 0, then ``Cost …``.

Costs follow the DIMACS 2021 convention used by the published best-known solutions: each
Euclidean distance is truncated to one decimal, travel time equals distance, the objective is
the total distance. All arithmetic is done in integer tenths so it is exact.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class VrplibError(ValueError):
    """The file is not a VRPLIB instance or solution this module understands."""


@dataclass(frozen=True, slots=True)
class VrptwInstance:
    """A single-depot VRPTW; node 0 is the depot, times and distances in tenths (DIMACS)."""

    name: str
    distances: np.ndarray
    """Integer tenths, ``distances[i, j]`` from node i to node j."""
    demands: tuple[int, ...]
    capacity: int
    vehicles: int
    tw_early: tuple[int, ...]
    """Tenths, earliest service start per node."""
    tw_late: tuple[int, ...]
    """Tenths, latest service start per node (the depot's is the latest return)."""
    service: tuple[int, ...]
    """Tenths, service duration per node."""

    @property
    def num_clients(self) -> int:
        return len(self.demands) - 1


def _tenths(value: float) -> int:
    """A time or duration of the file in integer tenths (the files hold whole numbers)."""
    return round(value * 10)


def read_instance(path: str | Path) -> VrptwInstance:
    """Parse a VRPLIB VRPTW instance (depot first, as in every published VRPTW set)."""
    text = Path(path).read_text(encoding="utf-8")
    specs: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "EOF":
            break
        if line.endswith("_SECTION") or line.split()[0].endswith("_SECTION"):
            name = line.split()[0]
            current = sections.setdefault(name, [])
            continue
        match = re.match(r"^([A-Z_]+)\s*:\s*(.*)$", line)
        if match and not line[0].isdigit() and line[0] != "-":
            specs[match.group(1)] = match.group(2).strip()
            current = None
            continue
        if current is None:
            raise VrplibError(f"Ligne hors section : « {line} ».")
        current.append(line.split())

    try:
        dimension = int(specs["DIMENSION"])
    except (KeyError, ValueError):
        raise VrplibError("Le fichier n'indique pas sa dimension (DIMENSION).") from None
    if "DEPOT_SECTION" in sections:
        depots = [int(row[0]) for row in sections["DEPOT_SECTION"] if int(row[0]) != -1]
        if depots != [1]:
            raise VrplibError("Seules les instances à un dépôt numéroté 1 sont lues.")

    distances = _distances(specs, sections, dimension)
    demands = _column(sections, "DEMAND_SECTION", dimension, 1, default=0)
    if "TIME_WINDOW_SECTION" not in sections:
        raise VrplibError("Le fichier n'a pas de fenêtres horaires (TIME_WINDOW_SECTION).")
    early = _column(sections, "TIME_WINDOW_SECTION", dimension, 1)
    late = _column(sections, "TIME_WINDOW_SECTION", dimension, 2)
    if "SERVICE_TIME_SECTION" in sections:
        service = _column(sections, "SERVICE_TIME_SECTION", dimension, 1)
    else:
        scalar = float(specs.get("SERVICE_TIME", "0"))
        service = [0.0] + [scalar] * (dimension - 1)
    capacity = int(float(specs.get("CAPACITY", "0"))) or sum(int(d) for d in demands)
    vehicles = int(specs.get("VEHICLES", str(dimension - 1)))
    return VrptwInstance(
        name=specs.get("NAME", Path(path).stem),
        distances=distances,
        demands=tuple(int(d) for d in demands),
        capacity=capacity,
        vehicles=vehicles,
        tw_early=tuple(_tenths(v) for v in early),
        tw_late=tuple(_tenths(v) for v in late),
        service=tuple(_tenths(v) for v in service),
    )


def _column(
    sections: dict[str, list[list[str]]],
    name: str,
    dimension: int,
    column: int,
    default: float | None = None,
) -> list[float]:
    rows = sections.get(name)
    if rows is None:
        if default is None:
            raise VrplibError(f"Section {name} absente.")
        return [default] * dimension
    values: dict[int, float] = {}
    for row in rows:
        try:
            values[int(row[0])] = float(row[column])
        except (IndexError, ValueError):
            raise VrplibError(f"{name} : ligne illisible « {' '.join(row)} ».") from None
    missing = [node for node in range(1, dimension + 1) if node not in values]
    if missing:
        raise VrplibError(f"{name} : le nœud {missing[0]} n'a pas de valeur.")
    return [values[node] for node in range(1, dimension + 1)]


def _distances(
    specs: dict[str, str], sections: dict[str, list[list[str]]], dimension: int
) -> np.ndarray:
    kind = specs.get("EDGE_WEIGHT_TYPE", "EUC_2D")
    if kind == "EUC_2D":
        xs = _column(sections, "NODE_COORD_SECTION", dimension, 1)
        ys = _column(sections, "NODE_COORD_SECTION", dimension, 2)
        result = np.zeros((dimension, dimension), dtype=np.int64)
        for i in range(dimension):
            for j in range(dimension):
                if i != j:
                    result[i, j] = math.floor(10 * math.hypot(xs[i] - xs[j], ys[i] - ys[j]))
        return result
    if kind == "EXPLICIT" and specs.get("EDGE_WEIGHT_FORMAT", "FULL_MATRIX") == "FULL_MATRIX":
        numbers = [float(v) for row in sections.get("EDGE_WEIGHT_SECTION", []) for v in row]
        if len(numbers) != dimension * dimension:
            raise VrplibError("EDGE_WEIGHT_SECTION n'a pas dimension² valeurs.")
        matrix = np.array(numbers, dtype=np.float64).reshape(dimension, dimension)
        return np.floor(matrix * 10 + 1e-9).astype(np.int64)
    raise VrplibError(f"Type de distances non pris en charge : {kind}.")


def read_solution(path: str | Path) -> tuple[list[list[int]], float | None]:
    """Routes (lists of client nodes, depot = 0 excluded) and the stated cost, if any."""
    routes: list[list[int]] = []
    cost: float | None = None
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.lower().startswith("route"):
            _, _, visits = line.partition(":")
            routes.append([int(v) for v in visits.split()])
        elif line.lower().startswith("cost"):
            cost = float(line.split()[1])
    return routes, cost


def write_solution(routes: list[list[int]], cost: float) -> str:
    """The solution in VRPLIB text form."""
    lines = [f"Route #{i}: {' '.join(map(str, route))}" for i, route in enumerate(routes, 1)]
    return "\n".join([*lines, f"Cost {cost:.1f}", ""])


def route_cost(instance: VrptwInstance, routes: list[list[int]]) -> float:
    """Total distance (DIMACS: truncated tenths summed, then divided by 10)."""
    total = 0
    for route in routes:
        path = [0, *route, 0]
        total += sum(int(instance.distances[a, b]) for a, b in zip(path, path[1:], strict=False))
    return total / 10


def check_solution(instance: VrptwInstance, routes: list[list[int]]) -> list[str]:
    """Every broken rule of a VRPTW solution, in French (an empty list means feasible).

    Recomputes the schedule from the matrix: service starts at max(arrival, window opening),
    must start by the window's close, the vehicle returns to the depot by its close, load ≤
    capacity, every client exactly once, no more routes than vehicles.
    """
    errors: list[str] = []
    seen: dict[int, int] = {}
    used = [route for route in routes if route]
    if len(used) > instance.vehicles:
        errors.append(f"{len(used)} tournées pour {instance.vehicles} véhicules.")
    for number, route in enumerate(used, 1):
        load = 0
        departure = instance.tw_early[0]
        previous = 0
        for node in route:
            if not 1 <= node <= instance.num_clients:
                errors.append(f"Tournée {number} : client {node} inconnu.")
                continue
            seen[node] = seen.get(node, 0) + 1
            load += instance.demands[node]
            arrival = departure + int(instance.distances[previous, node])
            start = max(arrival, instance.tw_early[node])
            if start > instance.tw_late[node]:
                errors.append(
                    f"Tournée {number} : client {node} servi à {start / 10:.1f}, "
                    f"après la fin de sa fenêtre ({instance.tw_late[node] / 10:.1f})."
                )
            departure = start + instance.service[node]
            previous = node
        back = departure + int(instance.distances[previous, 0])
        if back > instance.tw_late[0]:
            errors.append(f"Tournée {number} : retour au dépôt à {back / 10:.1f}, trop tard.")
        if load > instance.capacity:
            errors.append(f"Tournée {number} : charge {load} > capacité {instance.capacity}.")
    for node in range(1, instance.num_clients + 1):
        count = seen.get(node, 0)
        if count == 0:
            errors.append(f"Client {node} non servi.")
        elif count > 1:
            errors.append(f"Client {node} servi {count} fois.")
    return errors
