"""The township's shortest paths, compiled (numba): travel minutes written in place.

``Township`` keeps the minutes between every two nodes of its network as a matrix
(``Township.travel``), and recomputes the rows and columns of some sources when a flood
changes roads. The network's core is its grids and any site on more than one road; a dead
end (a site on its one access road) is on no other node's path, so its minutes are its
host's plus the access road. :func:`write_paths` searches each distinct start in the core
once (Dijkstra on a binary heap, without allocating: the caller passes the buffers), then
extends and writes the row and column of every source that starts there. Any correct
Dijkstra finds, for each node, the least sum over paths added up from the start in path
order (rounding keeps a sum monotone in its terms), so these are the bits that
``scipy.sparse.csgraph.dijkstra`` gives, several times faster and with no block of rows
held at once. Where roads differ in length by at most ``BUCKET_SPREAD`` times (a generated
lattice), the search takes nodes from buckets of minutes instead of a heap
(:func:`_bucket_search`), about twice as fast again.

The minutes from x to y and from y to x are sums of the same roads in opposite orders, and
differ in the last bit about half the time. Which of the two searches gives ``travel[x, y]``
is kept from the earlier version, which wrote rows and then columns a block of sources at a
time (``rank``: each source's block): the source of the later block, and within a block the
column's (y's). :func:`tight_sources` and :func:`nearest_communities` are the matrix's other
passes over all nodes (which sources a changed road may concern; the nearest minutes to
each community and shelter); :func:`kept_roads` which of the roads a flood would cut it
must leave open to keep the network connected.
"""

from __future__ import annotations

import numpy as np

from .jit import entry, jit

# The longest road over the shortest up to which a search uses buckets: their ring has about
# twice as many buckets, and a search steps through about twice its longest trip over the
# shortest road's minutes.
BUCKET_SPREAD = 16.0


def bucket_width(minutes: np.ndarray) -> tuple[float, int]:
    """The width in minutes of a bucket search's buckets (half the shortest road, so that
    a road always leads to a later bucket) and the buckets in its ring (a power of two, more
    than the longest road spans); (0.0, 1): the roads differ too much, a heap is used."""
    if len(minutes) == 0 or not minutes.min() > 0 or minutes.max() > BUCKET_SPREAD * minutes.min():
        return 0.0, 1
    width = float(minutes.min()) / 2.0
    ring = 1
    while ring < float(minutes.max()) / width + 3:
        ring *= 2
    return width, ring


@jit
def _push(keys, nodes, size, key, node):
    """Add (key, node) to the binary heap of `size` entries; the new size."""
    k = size
    while k > 0:
        parent = (k - 1) // 2
        if keys[parent] <= key:
            break
        keys[k], nodes[k] = keys[parent], nodes[parent]
        k = parent
    keys[k], nodes[k] = key, node
    return size + 1


@jit
def _pop(keys, nodes, size):
    """Remove the heap's least entry: its node, and the new size."""
    top = nodes[0]
    size -= 1
    key, node = keys[size], nodes[size]
    k = 0
    while True:
        child = 2 * k + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[k], nodes[k] = keys[child], nodes[child]
        k = child
    if size > 0:
        keys[k], nodes[k] = key, node
    return top, size


@jit
def _search(indptr, indices, minutes, start, dist, done, keys, nodes):
    """dist: minutes from `start` to every core node (inf: unreachable), by Dijkstra with
    lazy deletion (a node may be on the heap more than once; its first pop settles it)."""
    dist[:] = np.inf
    done[:] = False
    dist[start] = 0.0
    size = _push(keys, nodes, 0, 0.0, start)
    while size > 0:
        u, size = _pop(keys, nodes, size)
        if done[u]:
            continue
        done[u] = True
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            alt = dist[u] + minutes[k]
            if alt < dist[v]:
                dist[v] = alt
                size = _push(keys, nodes, size, alt, v)


@jit
def _bucket_search(indptr, indices, minutes, start, width, dist, head, keys, nodes, after):
    """dist as :func:`_search` leaves it, by Dial's buckets: entry e (node nodes[e] at
    keys[e] minutes, after[e] the next in its bucket) is in bucket keys[e] // width of a
    ring of len(head) (a power of two). A road is at least two widths long, so a node taken
    from a bucket puts its neighbours in later ones: its minutes are final when it is taken
    (an entry whose minutes have since fallen is passed over), each node is taken once and
    each road followed once, and the buckets are taken in order with no heap."""
    dist[:] = np.inf
    head[:] = -1
    per_minute, last = 1.0 / width, len(head) - 1
    dist[start] = 0.0
    keys[0], nodes[0], after[0], head[0] = 0.0, start, -1, 0
    used = live = 1
    bucket = 0
    while live > 0:
        e = head[bucket & last]
        if e < 0:
            bucket += 1
            continue
        head[bucket & last] = after[e]
        live -= 1
        u = nodes[e]
        if keys[e] != dist[u]:
            continue
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            alt = dist[u] + minutes[k]
            if alt < dist[v]:
                dist[v] = alt
                slot = int(alt * per_minute) & last
                keys[used], nodes[used], after[used], head[slot] = alt, v, head[slot], used
                used += 1
                live += 1


@entry
def write_paths(core_graph, core, dead_ends, starts, sources, rank, width, d, scratch):
    """Rows and columns of `sources` of the travel matrix `d`, in place.

    core_graph: (indptr, indices, minutes) of the core's symmetric CSR matrix; core: the
    core's nodes; dead_ends: (leaves, host, access) of the dead ends (host a node); starts:
    (start, add, dead) per node: where its search starts (a core position), the minutes
    added to it (a dead end's access road) and whether it is a dead end; sources in the
    order of their starts; rank: each node's block among the sources (-1: not a source);
    width: of a bucket search's buckets (0: a heap; ``bucket_width``); scratch: (dist,
    done, keys, nodes, row, head, after) buffers (keys, nodes and after: an entry per road
    and one; head: the ring of buckets)."""
    indptr, indices, minutes = core_graph
    leaves, host, access = dead_ends
    start, add, dead = starts
    dist, done, keys, nodes, row, head, after = scratch
    n = d.shape[0]
    searched = -1
    for s in sources:
        if start[s] != searched:
            searched = start[s]
            if width > 0.0:
                _bucket_search(
                    indptr, indices, minutes, searched, width, dist, head, keys, nodes, after
                )
            else:
                _search(indptr, indices, minutes, searched, dist, done, keys, nodes)
        for k in range(len(core)):
            row[core[k]] = dist[k] + add[s]
        for m in range(len(leaves)):
            row[leaves[m]] = row[host[m]] + access[m]
        if dead[s]:
            row[s] = 0.0
        b = rank[s]
        for y in range(n):
            if rank[y] < b:  # not a source, or one of an earlier block: s gives both
                d[s, y] = row[y]
            if rank[y] <= b:  # ... and within its block, the column's source
                d[y, s] = row[y]


@entry
def tight_sources(d, a, b, minutes, tolerance, out):
    """out[x]: whether a road (a[e], b[e]) of `minutes[e]` (before it changed) may be on a
    shortest path from x: its ends' minutes from x differ by its length, within
    `tolerance` x (1 + its minutes)."""
    for x in range(d.shape[0]):
        out[x] = False
        for e in range(len(a)):
            if abs(abs(d[x, a[e]] - d[x, b[e]]) - minutes[e]) <= tolerance * (1.0 + minutes[e]):
                out[x] = True
                break


@entry
def nearest_communities(d, members, bounds, shelters, node_comm_min, nearest_shelter):
    """node_comm_min[x, c]: the fewest minutes from node x to a member of community c
    (members[bounds[c]:bounds[c + 1]]); nearest_shelter[g]: the first of the grid's nearest
    shelters (none: left as it is)."""
    for x in range(d.shape[0]):
        for c in range(len(bounds) - 1):
            best = d[x, members[bounds[c]]]
            for k in range(bounds[c] + 1, bounds[c + 1]):
                best = min(best, d[x, members[k]])
            node_comm_min[x, c] = best
    for g in range(len(nearest_shelter) if len(shelters) else 0):
        nearest = shelters[0]
        for k in range(1, len(shelters)):
            if d[g, shelters[k]] < d[g, nearest]:
                nearest = shelters[k]
        nearest_shelter[g] = nearest


@jit
def _root(parent, x):
    """x's root in the union-find forest `parent`, halving the path on the way."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@entry
def kept_roads(a, b, open_, drawn, parent, kept):
    """kept[k]: whether road drawn[k] (from a[drawn[k]] to b[drawn[k]]) is the only way left
    between two parts of the network once the open roads (`open_`, the drawn ones closed)
    and the drawn roads before it that were kept join what they join; parent: a buffer per
    node."""
    for v in range(len(parent)):
        parent[v] = v
    for e in range(len(a)):
        if open_[e]:
            ra, rb = _root(parent, a[e]), _root(parent, b[e])
            if ra != rb:
                parent[ra] = rb
    for k in range(len(drawn)):
        ra, rb = _root(parent, a[drawn[k]]), _root(parent, b[drawn[k]])
        kept[k] = ra != rb
        if ra != rb:
            parent[ra] = rb
