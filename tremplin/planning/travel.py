"""Travel times between locations.

The engine and the checker ask a :class:`TravelModel` for whole minutes between two
:class:`~tremplin.planning.problem.Location` s. Two implementations:

- :class:`SpeedModel` estimates a road trip from coordinates alone: great-circle distance
  (haversine) × a detour factor gives road kilometres, driven at a speed that depends on the
  distance band (slow in town for the first kilometres, faster on departmental roads, faster
  still beyond), rounded up to the minute. The time is a piecewise-linear, increasing, concave
  function of the distance, so the triangle inequality holds up to one minute of rounding.
- :class:`MatrixTravel` reads minutes from a matrix, for a road network or a routing service
  computed elsewhere.

docs/algorithms/planning.md explains the figures and what the model ignores (traffic, public
transport, parking).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tremplin.planning.problem import Location

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
MATRIX_BLOCK = 256  # rows computed at once


class TravelModel(Protocol):
    """Whole minutes to go from one location to another."""

    def minutes(self, origin: Location, destination: Location) -> int: ...

    def matrix(self, locations: Sequence[Location]) -> np.ndarray:
        """Minutes between every pair, ``result[i, j]`` from ``locations[i]`` to ``[j]``
        (int64, zero diagonal)."""
        ...


def haversine_km(a: Location, b: Location) -> float:
    """Great-circle distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class SpeedBand:
    """Road kilometres up to ``up_to_km`` (cumulative) are driven at ``kmh``."""

    up_to_km: float
    kmh: float


# Urban streets for the first 3 km (20 km/h door to door, parking included), then
# departmental roads (40 km/h average) up to 15 km, then main roads (65 km/h).
DEFAULT_BANDS = (SpeedBand(3.0, 20.0), SpeedBand(15.0, 40.0), SpeedBand(math.inf, 65.0))
# Road distance / great-circle distance in French rural and peri-urban areas is ~1.3.
DEFAULT_DETOUR = 1.3


@dataclass(frozen=True, slots=True)
class SpeedModel:
    """Minutes from coordinates: haversine × ``detour`` km, driven band by band, rounded up."""

    detour: float = DEFAULT_DETOUR
    bands: tuple[SpeedBand, ...] = DEFAULT_BANDS

    def road_minutes(self, road_km: float) -> float:
        """Exact (unrounded) minutes to drive ``road_km``."""
        minutes = 0.0
        done = 0.0
        for band in self.bands:
            if road_km <= done:
                break
            stretch = min(road_km, band.up_to_km) - done
            minutes += stretch / band.kmh * 60
            done = band.up_to_km
        return minutes

    def minutes(self, origin: Location, destination: Location) -> int:
        if origin == destination:
            return 0
        road_km = haversine_km(origin, destination) * self.detour
        # A tiny tolerance keeps exact whole minutes from rounding up to the next one.
        return math.ceil(self.road_minutes(road_km) - 1e-9)

    def matrix(self, locations: Sequence[Location]) -> np.ndarray:
        """Vectorised :meth:`minutes` for every pair (same rounding), by blocks of rows so
        that the temporary arrays stay small."""
        n = len(locations)
        result = np.zeros((n, n), dtype=np.int64)
        if n == 0:
            return result
        lat = np.radians(np.array([loc.lat for loc in locations], dtype=np.float64))
        lon = np.radians(np.array([loc.lon for loc in locations], dtype=np.float64))
        for first in range(0, n, MATRIX_BLOCK):
            rows = slice(first, min(n, first + MATRIX_BLOCK))
            dlat = lat[None, :] - lat[rows, None]
            dlon = lon[None, :] - lon[rows, None]
            h = (
                np.sin(dlat / 2) ** 2
                + np.cos(lat[rows])[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
            )
            road = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h))) * self.detour
            minutes = np.zeros_like(road)
            done = 0.0
            for band in self.bands:
                stretch = np.clip(np.minimum(road, band.up_to_km) - done, 0.0, None)
                minutes += stretch / band.kmh * 60
                done = band.up_to_km
            block = np.ceil(minutes - 1e-9).astype(np.int64)
            block[(dlat == 0) & (dlon == 0)] = 0
            result[rows] = block
        return result


class MatrixTravel:
    """Minutes read from a precomputed matrix (e.g. a road network's travel times)."""

    def __init__(self, locations: Sequence[Location], minutes: np.ndarray) -> None:
        array = np.asarray(minutes, dtype=np.int64)
        if array.shape != (len(locations), len(locations)):
            raise ValueError("La matrice des temps de trajet n'a pas la taille des lieux.")
        if (array < 0).any():
            raise ValueError("La matrice des temps de trajet contient un temps négatif.")
        self._index = {location: i for i, location in enumerate(locations)}
        self._minutes = array

    def minutes(self, origin: Location, destination: Location) -> int:
        try:
            return int(self._minutes[self._index[origin], self._index[destination]])
        except KeyError as error:
            raise KeyError(f"Lieu absent de la matrice des temps de trajet : {error}") from None

    def matrix(self, locations: Sequence[Location]) -> np.ndarray:
        try:
            rows = np.array([self._index[location] for location in locations], dtype=np.int64)
        except KeyError as error:
            raise KeyError(f"Lieu absent de la matrice des temps de trajet : {error}") from None
        return self._minutes[np.ix_(rows, rows)].copy()
