"""Shape kernels: marching-cubes mesh (surface area, enclosed volume), maximum diameters and axis moments.

The mesh is the one PyRadiomics 3 builds (``cshape.c``): the mask is padded with one background voxel on every
side, each 2x2x2 cube of voxel centres is classified by its 8 corners, cubes whose corner 7 is inside are
complemented (the table then holds 128 configurations and the volume contribution changes sign), and every
vertex sits half-way along a cube edge.  Corners are numbered (z, y, x): 0 (0,0,0), 1 (0,0,1), 2 (0,1,1),
3 (0,1,0), 4 (1,0,0), 5 (1,0,1), 6 (1,1,1), 7 (1,1,0); edge k joins the corners in :data:`EDGE_CORNERS`.

The triangle sets are the first 128 rows of the classic public-domain marching-cubes table (Lorensen & Cline
1987, as tabulated by C. Bloyd / P. Bourke, "Polygonising a scalar field", 1994).  The winding of every triangle
is normalised here, at import, so that its normal points from the inside corners to the outside ones; the mesh
volume is then the sum of signed tetrahedra (divergence theorem).

Diameters are the largest distances between mesh vertices overall (3-D) and between vertices that share a z, y
or x coordinate (the 2-D "slice", "column" and "row" diameters); an exact branch-and-bound on the distance to the
centroid replaces PyRadiomics' all-pairs loop, with the same floating-point distances.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit

__all__ = ["EDGE_CORNERS", "axis_eigenvalues", "mesh_shape", "mesh_shape_2d"]

CORNERS = np.array(
    [[0, 0, 0], [0, 0, 1], [0, 1, 1], [0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 1, 1], [1, 1, 0]], dtype=np.int64
)
EDGE_CORNERS = np.array(
    [[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4], [0, 4], [1, 5], [2, 6], [3, 7]],
    dtype=np.int64,
)
#: Edge mid-points in cube coordinates (z, y, x).
EDGE_POINTS = (CORNERS[EDGE_CORNERS[:, 0]] + CORNERS[EDGE_CORNERS[:, 1]]) / 2.0

_TRIANGLES = """
;0 8 3;0 1 9;1 8 3 9 8 1;1 2 10;0 8 3 1 2 10;9 2 10 0 2 9;2 8 3 2 10 8 10 9 8;3 11 2;0 11 2 8 11 0;1 9 0 2 3 11;
1 11 2 1 9 11 9 8 11;3 10 1 11 10 3;0 10 1 0 8 10 8 11 10;3 9 0 3 11 9 11 10 9;9 8 10 10 8 11;4 7 8;4 3 0 7 3 4;
0 1 9 8 4 7;4 1 9 4 7 1 7 3 1;1 2 10 8 4 7;3 4 7 3 0 4 1 2 10;9 2 10 9 0 2 8 4 7;2 10 9 2 9 7 2 7 3 7 9 4;
8 4 7 3 11 2;11 4 7 11 2 4 2 0 4;9 0 1 8 4 7 2 3 11;4 7 11 9 4 11 9 11 2 9 2 1;3 10 1 3 11 10 7 8 4;
1 11 10 1 4 11 1 0 4 7 11 4;4 7 8 9 0 11 9 11 10 11 0 3;4 7 11 4 11 9 9 11 10;9 5 4;9 5 4 0 8 3;0 5 4 1 5 0;
8 5 4 8 3 5 3 1 5;1 2 10 9 5 4;3 0 8 1 2 10 4 9 5;5 2 10 5 4 2 4 0 2;2 10 5 3 2 5 3 5 4 3 4 8;9 5 4 2 3 11;
0 11 2 0 8 11 4 9 5;0 5 4 0 1 5 2 3 11;2 1 5 2 5 8 2 8 11 4 8 5;10 3 11 10 1 3 9 5 4;4 9 5 0 8 1 8 10 1 8 11 10;
5 4 0 5 0 11 5 11 10 11 0 3;5 4 8 5 8 10 10 8 11;9 7 8 5 7 9;9 3 0 9 5 3 5 7 3;0 7 8 0 1 7 1 5 7;1 5 3 3 5 7;
9 7 8 9 5 7 10 1 2;10 1 2 9 5 0 5 3 0 5 7 3;8 0 2 8 2 5 8 5 7 10 5 2;2 10 5 2 5 3 3 5 7;7 9 5 7 8 9 3 11 2;
9 5 7 9 7 2 9 2 0 2 7 11;2 3 11 0 1 8 1 7 8 1 5 7;11 2 1 11 1 7 7 1 5;9 5 8 8 5 7 10 1 3 10 3 11;
5 7 0 5 0 9 7 11 0 1 0 10 11 10 0;11 10 0 11 0 3 10 5 0 8 0 7 5 7 0;11 10 5 7 11 5;10 6 5;0 8 3 5 10 6;
9 0 1 5 10 6;1 8 3 1 9 8 5 10 6;1 6 5 2 6 1;1 6 5 1 2 6 3 0 8;9 6 5 9 0 6 0 2 6;5 9 8 5 8 2 5 2 6 3 2 8;
2 3 11 10 6 5;11 0 8 11 2 0 10 6 5;0 1 9 2 3 11 5 10 6;5 10 6 1 9 2 9 11 2 9 8 11;6 3 11 6 5 3 5 1 3;
0 8 11 0 11 5 0 5 1 5 11 6;3 11 6 0 3 6 0 6 5 0 5 9;6 5 9 6 9 11 11 9 8;5 10 6 4 7 8;4 3 0 4 7 3 6 5 10;
1 9 0 5 10 6 8 4 7;10 6 5 1 9 7 1 7 3 7 9 4;6 1 2 6 5 1 4 7 8;1 2 5 5 2 6 3 0 4 3 4 7;8 4 7 9 0 5 0 6 5 0 2 6;
7 3 9 7 9 4 3 2 9 5 9 6 2 6 9;3 11 2 7 8 4 10 6 5;5 10 6 4 7 2 4 2 0 2 7 11;0 1 9 4 7 8 2 3 11 5 10 6;
9 2 1 9 11 2 9 4 11 7 11 4 5 10 6;8 4 7 3 11 5 3 5 1 5 11 6;5 1 11 5 11 6 1 0 11 7 11 4 0 4 11;
0 5 9 0 6 5 0 3 6 11 6 3 8 4 7;6 5 9 6 9 11 4 7 9 7 11 9;10 4 9 6 4 10;4 10 6 4 9 10 0 8 3;10 0 1 10 6 0 6 4 0;
8 3 1 8 1 6 8 6 4 6 1 10;1 4 9 1 2 4 2 6 4;3 0 8 1 2 9 2 4 9 2 6 4;0 2 4 4 2 6;8 3 2 8 2 4 4 2 6;
10 4 9 10 6 4 11 2 3;0 8 2 2 8 11 4 9 10 4 10 6;3 11 2 0 1 6 0 6 4 6 1 10;6 4 1 6 1 10 4 8 1 2 1 11 8 11 1;
9 6 4 9 3 6 9 1 3 11 6 3;8 11 1 8 1 0 11 6 1 9 1 4 6 4 1;3 11 6 3 6 0 0 6 4;6 4 8 11 6 8;7 10 6 7 8 10 8 9 10;
0 7 3 0 10 7 0 9 10 6 7 10;10 6 7 1 10 7 1 7 8 1 8 0;10 6 7 10 7 1 1 7 3;1 2 6 1 6 8 1 8 9 8 6 7;
2 6 9 2 9 1 6 7 9 0 9 3 7 3 9;7 8 0 7 0 6 6 0 2;7 3 2 6 7 2;2 3 11 10 6 8 10 8 9 8 6 7;
2 0 7 2 7 11 0 9 7 6 7 10 9 10 7;1 8 0 1 7 8 1 10 7 6 7 10 2 3 11;11 2 1 11 1 7 10 6 1 6 7 1;
8 9 6 8 6 7 9 1 6 11 6 3 1 3 6;0 9 1 11 6 7;7 8 0 7 0 6 3 11 0 11 6 0;7 11 6
"""


def _build_table() -> npt.NDArray[np.int64]:
    rows = [r.split() for r in _TRIANGLES.replace("\n", "").split(";")]
    if len(rows) != 128:
        raise RuntimeError(f"marching-cubes table has {len(rows)} rows, expected 128")
    table = np.full((128, 16), -1, dtype=np.int64)
    for config, row in enumerate(rows):
        edges = [int(e) for e in row]
        inside = [(config >> c) & 1 for c in range(8)]
        for t in range(0, len(edges), 3):
            a, b, c = edges[t : t + 3]
            pa, pb, pc = EDGE_POINTS[a], EDGE_POINTS[b], EDGE_POINTS[c]
            normal = np.cross(pb - pa, pc - pa)
            outward = np.zeros(3)
            for e in (a, b, c):
                c0, c1 = EDGE_CORNERS[e]
                if inside[c0] == inside[c1]:
                    raise RuntimeError(f"table row {config}: edge {e} has no crossing")
                src, dst = (c0, c1) if inside[c0] else (c1, c0)
                outward += CORNERS[dst] - CORNERS[src]
            if float(normal @ outward) < 0:
                b, c = c, b
            table[config, t : t + 3] = (a, b, c)
    return table


#: (128, 16) edge triples per configuration, -1 terminated, outward winding.
TRIANGLE_TABLE = _build_table()


@njit
def _mesh(
    mask: npt.NDArray[np.bool_],
    spacing: npt.NDArray[np.float64],
    table: npt.NDArray[np.int64],
    corners: npt.NDArray[np.int64],
    points: npt.NDArray[np.float64],
) -> tuple[float, float]:
    nz, ny, nx = mask.shape
    area = 0.0
    volume = 0.0
    a = np.empty(3)
    b = np.empty(3)
    c = np.empty(3)
    flat = mask.ravel()
    # the cube's corners as unsigned flat steps (no wrap-around test per read)
    step = np.empty(8, dtype=np.uint64)
    for k in range(8):
        step[k] = np.uint64((corners[k, 0] * ny + corners[k, 1]) * nx + corners[k, 2])
    for iz in range(nz - 1):
        for iy in range(ny - 1):
            row = np.uint64((iz * ny + iy) * nx)
            for ix in range(nx - 1):
                base = row + np.uint64(ix)
                idx = 0
                for k in range(8):
                    if flat[base + step[np.uint64(k)]]:
                        idx |= 1 << k
                sign = 1.0
                if idx & 0x80:
                    idx ^= 0xFF
                    sign = -1.0
                if idx == 0:
                    continue
                t = 0
                while t < 16 and table[idx, t] >= 0:
                    ea = table[idx, t]
                    eb = table[idx, t + 1]
                    ec = table[idx, t + 2]
                    a[0] = (iz + points[ea, 0]) * spacing[0]
                    a[1] = (iy + points[ea, 1]) * spacing[1]
                    a[2] = (ix + points[ea, 2]) * spacing[2]
                    b[0] = (iz + points[eb, 0]) * spacing[0]
                    b[1] = (iy + points[eb, 1]) * spacing[1]
                    b[2] = (ix + points[eb, 2]) * spacing[2]
                    c[0] = (iz + points[ec, 0]) * spacing[0]
                    c[1] = (iy + points[ec, 1]) * spacing[1]
                    c[2] = (ix + points[ec, 2]) * spacing[2]
                    x0 = a[1] * b[2] - b[1] * a[2]
                    x1 = a[2] * b[0] - b[2] * a[0]
                    x2 = a[0] * b[1] - b[0] * a[1]
                    volume += sign * (x0 * c[0] + x1 * c[1] + x2 * c[2])
                    for d in range(3):
                        a[d] -= c[d]
                        b[d] -= c[d]
                    x0 = a[1] * b[2] - b[1] * a[2]
                    x1 = a[2] * b[0] - b[2] * a[0]
                    x2 = a[0] * b[1] - b[0] * a[1]
                    area += 0.5 * np.sqrt(x0 * x0 + x1 * x1 + x2 * x2)
                    t += 3
    return area, volume / 6.0


@njit
def _vertices(
    mask: npt.NDArray[np.bool_], spacing: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    # every edge between two neighbouring voxel centres whose labels differ carries one vertex (its mid-point)
    nz, ny, nx = mask.shape
    n = 0
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                m = mask[z, y, x]
                if x + 1 < nx and mask[z, y, x + 1] != m:
                    n += 1
                if y + 1 < ny and mask[z, y + 1, x] != m:
                    n += 1
                if z + 1 < nz and mask[z + 1, y, x] != m:
                    n += 1
    pts = np.empty((n, 3))
    keys = np.empty((n, 3), dtype=np.int64)  # doubled coordinates: exact equality test
    k = 0
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                m = mask[z, y, x]
                for d in range(3):
                    dz = 1 if d == 0 else 0
                    dy = 1 if d == 1 else 0
                    dx = 1 if d == 2 else 0
                    if z + dz >= nz or y + dy >= ny or x + dx >= nx:
                        continue
                    if mask[z + dz, y + dy, x + dx] == m:
                        continue
                    pts[k, 0] = (z + 0.5 * dz) * spacing[0]
                    pts[k, 1] = (y + 0.5 * dy) * spacing[1]
                    pts[k, 2] = (x + 0.5 * dx) * spacing[2]
                    keys[k, 0] = 2 * z + dz
                    keys[k, 1] = 2 * y + dy
                    keys[k, 2] = 2 * x + dx
                    k += 1
    return pts, keys


@njit
def _max_dist2(pts: npt.NDArray[np.float64], members: npt.NDArray[np.int64]) -> float:
    m = members.size
    if m < 2:
        return 0.0
    cen = np.zeros(3)
    for i in range(m):
        for d in range(3):
            cen[d] += pts[members[i], d]
    for d in range(3):
        cen[d] /= m
    r = np.empty(m)
    for i in range(m):
        s = 0.0
        for d in range(3):
            t = pts[members[i], d] - cen[d]
            s += t * t
        r[i] = np.sqrt(s)
    order = np.argsort(-r)
    best = 0.0
    for ii in range(m):
        i = members[order[ii]]
        ri = r[order[ii]]
        if ii + 1 < m:
            bound = (ri + r[order[ii + 1]]) * (1.0 + 1e-9)
            if bound * bound < best:
                break
        for jj in range(ii + 1, m):
            bound = (ri + r[order[jj]]) * (1.0 + 1e-9)
            if bound * bound < best:
                break
            j = members[order[jj]]
            d0 = pts[i, 0] - pts[j, 0]
            d1 = pts[i, 1] - pts[j, 1]
            d2 = pts[i, 2] - pts[j, 2]
            dist = d0 * d0 + d1 * d1 + d2 * d2
            if dist > best:
                best = dist
    return best


@njit
def _stable_order(keys: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``argsort(keys, kind="mergesort")`` of small non-negative integers, by counting (O(n), same order)."""
    n = keys.size
    top = 0
    for i in range(n):
        top = max(top, int(keys[i]))
    start = np.zeros(top + 2, dtype=np.int64)
    for i in range(n):
        start[keys[i] + 1] += 1
    for v in range(top + 1):
        start[v + 1] += start[v]
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        k = keys[i]
        order[start[k]] = i
        start[k] += 1
    return order


@njit
def _diameters(
    pts: npt.NDArray[np.float64], keys: npt.NDArray[np.int64], out: npt.NDArray[np.float64]
) -> None:
    n = pts.shape[0]
    out[3] = np.sqrt(_max_dist2(pts, np.arange(n)))
    for axis in range(3):
        order = _stable_order(keys[:, axis])
        best = 0.0
        start = 0
        while start < n:
            stop = start + 1
            key = keys[order[start], axis]
            while stop < n and keys[order[stop], axis] == key:
                stop += 1
            d = _max_dist2(pts, order[start:stop])
            if d > best:
                best = d
            start = stop
        out[axis] = np.sqrt(best)


def mesh_shape(
    mask: npt.NDArray[np.bool_], spacing: tuple[float, float, float]
) -> tuple[float, float, npt.NDArray[np.float64]]:
    """Mesh surface area, mesh volume and maximum diameters of a 3-D ROI.

    Parameters
    ----------
    mask : ndarray of bool, shape (z, y, x)
        The ROI (any bounding box; it is padded with one background voxel here).
    spacing : (sz, sy, sx)
        Voxel size in mm, in array order.

    Returns
    -------
    surface_area : float
        mm^2 (IBSI C0JK).
    volume : float
        mm^3 enclosed by the mesh (IBSI RNU0).
    diameters : ndarray, shape (4,)
        Maximum 2-D diameter in a z plane (slice), a y plane (column), an x plane (row), and the maximum 3-D
        diameter (IBSI L0JK), mm.
    """
    m = np.asarray(mask)
    if m.ndim != 3:
        raise ValueError(f"mask must be 3-D, got {m.ndim}-D")
    sp = np.asarray(spacing, dtype=np.float64).reshape(3)
    if not np.all(sp > 0):
        raise ValueError(f"spacing must be positive, got {spacing}")
    padded = np.pad(m.astype(np.bool_), 1)
    if not padded.any():
        raise ValueError("the ROI is empty")
    area, volume = _mesh(padded, sp, TRIANGLE_TABLE, CORNERS, EDGE_POINTS)
    pts, keys = _vertices(padded, sp)
    diam = np.empty(4)
    _diameters(pts, keys, diam)
    return float(area), float(volume), diam


@njit
def _moments(
    mask: npt.NDArray[np.bool_], spacing: npt.NDArray[np.float64]
) -> tuple[int, npt.NDArray[np.float64]]:
    # sums in scalar accumulators (registers), each in the same order as a plain loop over the voxels
    nz, ny, nx = mask.shape
    n = 0
    m0 = 0.0
    m1 = 0.0
    m2 = 0.0
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if mask[z, y, x]:
                    n += 1
                    m0 += z * spacing[0]
                    m1 += y * spacing[1]
                    m2 += x * spacing[2]
    cov = np.zeros((3, 3))
    if n == 0:
        return 0, cov
    m0 /= n
    m1 /= n
    m2 /= n
    c00 = 0.0
    c01 = 0.0
    c02 = 0.0
    c11 = 0.0
    c12 = 0.0
    c22 = 0.0
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if mask[z, y, x]:
                    p0 = z * spacing[0] - m0
                    p1 = y * spacing[1] - m1
                    p2 = x * spacing[2] - m2
                    c00 += p0 * p0
                    c01 += p0 * p1
                    c02 += p0 * p2
                    c11 += p1 * p1
                    c12 += p1 * p2
                    c22 += p2 * p2
    cov[0, 0] = c00 / n
    cov[0, 1] = c01 / n
    cov[0, 2] = c02 / n
    cov[1, 0] = c01 / n
    cov[1, 1] = c11 / n
    cov[1, 2] = c12 / n
    cov[2, 0] = c02 / n
    cov[2, 1] = c12 / n
    cov[2, 2] = c22 / n
    return n, cov


def axis_eigenvalues(
    mask: npt.NDArray[np.bool_], spacing: tuple[float, ...], ddof: int = 0
) -> tuple[int, npt.NDArray[np.float64]]:
    """Voxel count and sorted eigenvalues of the ROI's coordinate covariance.

    Parameters
    ----------
    mask : ndarray of bool, 3-D (z, y, x)
        The ROI.
    spacing : (sz, sy, sx)
        Voxel size in mm, array order.
    ddof : int
        0: divide by N (PyRadiomics); 1: divide by N - 1 (IBSI-1 reference values).

    Returns
    -------
    count : int
        Number of ROI voxels.
    eigenvalues : ndarray, shape (3,)
        Ascending; PyRadiomics' axis lengths are ``4 * sqrt(eigenvalue)``.  Values in (-1e-10, 0) are set to 0.
    """
    m = np.ascontiguousarray(mask, dtype=np.bool_)
    if m.ndim != 3:
        raise ValueError(f"mask must be 3-D, got {m.ndim}-D")
    sp = np.asarray(spacing, dtype=np.float64).reshape(3)
    n, cov = _moments(m, sp)
    if n == 0:
        raise ValueError("the ROI is empty")
    if ddof and n > ddof:
        cov = cov * (n / (n - ddof))
    ev = np.linalg.eigvalsh(cov)
    ev = np.where((ev < 0) & (ev > -1e-10), 0.0, ev)
    return n, np.sort(ev)


# ---------------------------------------------------------------------------------------------------------------
# 2-D: marching squares (PyRadiomics ``shape2D``).  Corners (y, x): 0 (0,0), 1 (0,1), 2 (1,1), 3 (1,0); edge k
# joins corners k and k+1 (mod 4); vertices at edge mid-points.  Where two diagonal corners are inside (configs
# 5 and 10) each inside corner is cut off by its own segment.  Segments are oriented so that the shoelace sum
# over all segments (y, x coordinates) is the enclosed area.

CORNERS_2D = np.array([[0, 0], [0, 1], [1, 1], [1, 0]], dtype=np.int64)
EDGE_POINTS_2D = np.array([[0.0, 0.5], [0.5, 1.0], [1.0, 0.5], [0.5, 0.0]])


def _build_segments() -> npt.NDArray[np.int64]:
    table = np.full((16, 4), -1, dtype=np.int64)
    for config in range(1, 15):
        inside = [(config >> c) & 1 for c in range(4)]
        crossing = [e for e in range(4) if inside[e] != inside[(e + 1) % 4]]
        if len(crossing) == 2:
            pairs = [tuple(crossing)]
        else:  # saddle: cut off each inside corner (edges k-1 and k meet at corner k)
            pairs = [((c - 1) % 4, c) for c in range(4) if inside[c]]
        row = []
        for a, b in pairs:
            inward = np.zeros(2)
            for e in (a, b):
                c0, c1 = e, (e + 1) % 4
                src, dst = (c1, c0) if inside[c0] else (c0, c1)
                inward += CORNERS_2D[dst] - CORNERS_2D[src]
            t = EDGE_POINTS_2D[b] - EDGE_POINTS_2D[a]
            if t[0] * inward[1] - t[1] * inward[0] < 0:
                a, b = b, a
            row += [a, b]
        table[config, : len(row)] = row
    return table


SEGMENT_TABLE = _build_segments()


@njit
def _mesh2d(
    mask: npt.NDArray[np.bool_],
    spacing: npt.NDArray[np.float64],
    table: npt.NDArray[np.int64],
    points: npt.NDArray[np.float64],
) -> tuple[float, float]:
    ny, nx = mask.shape
    perimeter = 0.0
    surface = 0.0
    for iy in range(ny - 1):
        for ix in range(nx - 1):
            idx = 0
            if mask[iy, ix]:
                idx |= 1
            if mask[iy, ix + 1]:
                idx |= 2
            if mask[iy + 1, ix + 1]:
                idx |= 4
            if mask[iy + 1, ix]:
                idx |= 8
            if idx == 0 or idx == 15:
                continue
            t = 0
            while t < 4 and table[idx, t] >= 0:
                ea = table[idx, t]
                eb = table[idx, t + 1]
                a0 = (iy + points[ea, 0]) * spacing[0]
                a1 = (ix + points[ea, 1]) * spacing[1]
                b0 = (iy + points[eb, 0]) * spacing[0]
                b1 = (ix + points[eb, 1]) * spacing[1]
                surface += a0 * b1 - b0 * a1
                d0 = a0 - b0
                d1 = a1 - b1
                perimeter += np.sqrt(d0 * d0 + d1 * d1)
                t += 2
    return perimeter, surface / 2.0


def mesh_shape_2d(mask: npt.NDArray[np.bool_], spacing: tuple[float, float]) -> tuple[float, float, float]:
    """Perimeter, enclosed area and maximum diameter of a 2-D ROI (marching squares, PyRadiomics ``shape2D``).

    Parameters
    ----------
    mask : ndarray of bool, shape (y, x)
        The ROI (padded here with one background pixel).
    spacing : (sy, sx)
        Pixel size in mm, array order.

    Returns
    -------
    perimeter : float
        mm (IBSI has no 2-D code; PyRadiomics ``Perimeter``).
    surface : float
        mm^2 enclosed by the contour (``MeshSurface``).
    diameter : float
        Largest distance between contour vertices, mm (``MaximumDiameter``).
    """
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2-D, got {m.ndim}-D")
    sp = np.asarray(spacing, dtype=np.float64).reshape(2)
    if not np.all(sp > 0):
        raise ValueError(f"spacing must be positive, got {spacing}")
    padded = np.pad(m.astype(np.bool_), 1)
    if not padded.any():
        raise ValueError("the ROI is empty")
    perimeter, surface = _mesh2d(padded, sp, SEGMENT_TABLE, EDGE_POINTS_2D)
    pts, _ = _vertices(padded[np.newaxis], np.array([1.0, sp[0], sp[1]]))
    diameter = np.sqrt(_max_dist2(pts, np.arange(pts.shape[0])))
    return float(perimeter), float(surface), float(diameter)
