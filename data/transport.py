"""Geometry of the transport cost (data/freight.py): great-circle distances and region centroids.

Region centroid: production-weighted mean (on the unit sphere) of country centroids
(mappings/country_centroids.csv, 360info/geoBoundaries largest-polygon centroids, CC BY 4.0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine distance in km (arrays or scalars, degrees)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def weighted_centroids(points: pd.DataFrame) -> pd.DataFrame:
    """points: region, lat, lon, weight -> region, lat, lon (weighted mean direction on the sphere)."""
    lat, lon = np.radians(points["lat"]), np.radians(points["lon"])
    w = points["weight"].to_numpy(dtype=float)
    xyz = pd.DataFrame({"region": points["region"].to_numpy(), "x": w * np.cos(lat) * np.cos(lon),
                        "y": w * np.cos(lat) * np.sin(lon), "z": w * np.sin(lat)})
    s = xyz.groupby("region")[["x", "y", "z"]].sum()
    out = pd.DataFrame({"lat": np.degrees(np.arctan2(s["z"], np.hypot(s["x"], s["y"]))),
                        "lon": np.degrees(np.arctan2(s["y"], s["x"]))})
    return out.reset_index()
