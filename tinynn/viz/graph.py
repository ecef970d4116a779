"""Pictures of the computation graph: ``draw_graph`` (matplotlib only) and ``to_dot`` (text).

Nodes are the leaf tensors (your inputs and parameters), the ops (one box per ``Function``)
and the output; each edge carries the shape of the tensor that flows along it. Draw the
graph *before* ``backward()``, which frees it (or call ``backward(retain_graph=True)``).

>>> import tinynn as tn
>>> x = tn.Tensor([[1.0, 2.0]], requires_grad=True, name="x")  # name: the label in the picture
>>> w = tn.Tensor([[0.5, -1.0]], requires_grad=True, name="w")
>>> y = (x * w).sum()
>>> print(to_dot(y))  # doctest: +ELLIPSIS
digraph tinynn {
  rankdir=LR;
  n0 [label="x", shape=ellipse];
...
  n2 -> n3 [label="(1, 2)"];
...
"""
from __future__ import annotations

from tinynn import backend
from tinynn.nn.module import Parameter
from tinynn.tensor import Tensor
from tinynn.viz._mpl import finish, new_axes


def _shape_text(shape) -> str:
    return "()" if len(shape) == 0 else "(" + ", ".join(str(n) for n in shape) + (",)" if len(shape) == 1 else ")")


def _op_label(fn) -> str:
    """The op's class name without the ``Function`` suffix every built-in op carries: the
    boxes stay short (MulFunction is drawn "Mul"); a custom ``Broken(Function)`` stays "Broken"."""
    name = type(fn).__name__
    return name[:-len("Function")] if name.endswith("Function") and name != "Function" else name


def _leaf_label(t: Tensor) -> str:
    if t.name:
        return t.name
    if t._data.size == 1 and not t.requires_grad:  # a constant such as the 2 in ``x * 2``
        return f"{backend.to_host(t._data).item():g}"
    if isinstance(t, Parameter):
        return "param"
    return "input" if t.requires_grad else "const"  # a tensor you made with requires_grad=True


def collect_graph(root: Tensor):
    """Walk the graph that produced ``root``.

    Returns ``(nodes, edges)``: nodes is a list of dicts ``{"id", "kind" ("leaf", "param", "op"
    or "output"), "label", "depth"}`` in an order where every node comes after its inputs;
    edges is a list of ``(src_id, dst_id, shape_text)``. Leaves that require grad have kind
    "param" instead of "leaf"; ops are labelled by class name without the ``Function``
    suffix (``MulFunction`` is "Mul"); unnamed leaves are labelled "param" if they are an
    ``nn.Parameter`` and "input" otherwise (name a tensor, ``t.name = "W"``, to label it).

    >>> import tinynn as tn
    >>> a = tn.tensor([1.0, 2.0], requires_grad=True)
    >>> nodes, edges = collect_graph((a * a).sum())
    >>> [n["label"] for n in nodes], [e[2] for e in edges]
    (['input', 'Mul', 'Sum', 'output'], ['(2,)', '(2,)', '(2,)', '()'])
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"collect_graph: expected a Tensor, got {type(root).__name__}")
    ids = {}  # id(tensor or Function) -> node id
    nodes, edges = [], []

    def node_for(tensor):
        """The node that produced ``tensor``: its op, or the tensor itself for a leaf."""
        fn = tensor.creator
        key = id(fn) if fn is not None else id(tensor)
        return ids.get(key), key

    # iterative post-order walk: inputs before the op that uses them
    stack = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        node_id, key = node_for(tensor)
        if node_id is not None:
            continue
        fn = tensor.creator
        if fn is None:
            ids[key] = len(nodes)
            nodes.append({"id": len(nodes), "kind": "param" if tensor.requires_grad else "leaf",
                          "label": _leaf_label(tensor), "depth": 0})
            continue
        if fn.inputs is None:
            raise ValueError(
                f"draw the graph before backward(): backward freed the inputs of {type(fn).__name__}. "
                "Draw first, or call loss.backward(retain_graph=True)")
        if not expanded:
            stack.append((tensor, True))
            stack.extend((t, False) for t in reversed(fn.inputs) if node_for(t)[0] is None)
            continue
        parents = [node_for(t)[0] for t in fn.inputs]
        depth = 1 + max(nodes[p]["depth"] for p in parents)
        ids[key] = len(nodes)
        nodes.append({"id": len(nodes), "kind": "op", "label": _op_label(fn), "depth": depth})
        edges.extend((p, ids[key], _shape_text(t.shape)) for p, t in zip(parents, fn.inputs))
    for n in nodes:  # draw each leaf just left of the first op that uses it
        if n["kind"] in ("leaf", "param"):
            consumers = [nodes[dst]["depth"] for src, dst, _ in edges if src == n["id"]]
            n["depth"] = min(consumers) - 1 if consumers else 0
    source = node_for(root)[0]
    out_id = len(nodes)
    nodes.append({"id": out_id, "kind": "output", "label": root.name or "output",
                  "depth": nodes[source]["depth"] + 1})
    edges.append((source, out_id, _shape_text(root.shape)))
    return nodes, edges


def to_dot(root: Tensor) -> str:
    """The graph of ``root`` as Graphviz DOT text (render it anywhere; no binary needed here).

    >>> import tinynn as tn
    >>> x = tn.tensor([1.0, 2.0], requires_grad=True)
    >>> dot = to_dot((x * x).sum())
    >>> dot.splitlines()[0], "Mul" in dot, "Sum" in dot
    ('digraph tinynn {', True, True)
    """
    nodes, edges = collect_graph(root)
    shapes = {"leaf": "ellipse", "param": "ellipse", "op": "box", "output": "doubleoctagon"}
    lines = ["digraph tinynn {", "  rankdir=LR;"]
    for n in nodes:
        label = n["label"].replace('"', r"\"")
        lines.append(f'  n{n["id"]} [label="{label}", shape={shapes[n["kind"]]}];')
    for src, dst, shape in edges:
        lines.append(f'  n{src} -> n{dst} [label="{shape}"];')
    lines.append("}")
    return "\n".join(lines)


def _positions(nodes, edges):
    """Left to right by depth. Rows are assigned from the output back: an op's first op
    input stays on its row (the main path runs straight), its leaves fan out around it
    (+1, −1, +2, ...), and nodes that land on one spot in a column are pushed apart."""
    parents = {}
    for src, dst, _ in edges:
        parents.setdefault(dst, []).append(src)
    row = {nodes[-1]["id"]: 0.0}
    for n in reversed(nodes):
        y = row.setdefault(n["id"], 0.0)
        ops = [p for p in dict.fromkeys(parents.get(n["id"], [])) if nodes[p]["kind"] == "op"]
        leaves = [p for p in dict.fromkeys(parents.get(n["id"], [])) if nodes[p]["kind"] != "op"]
        for k, p in enumerate(ops):
            row.setdefault(p, y - 1.5 * k)
        if ops:  # the middle row is taken by the main path: fan out above and below it
            offsets = [sign * (i // 2 + 1) for i, sign in zip(range(len(leaves)), [-1, 1] * len(leaves))]
        else:  # a first layer: centre the inputs on the op
            offsets = [i - (len(leaves) - 1) / 2 for i in range(len(leaves))]
        for p, offset in zip(leaves, offsets):
            row.setdefault(p, y + offset)
    columns = {}
    for n in nodes:
        columns.setdefault(n["depth"], []).append(n["id"])
    pos = {}
    for depth, members in columns.items():
        members.sort(key=lambda i: row[i])
        previous = None
        for i in members:
            y = row[i] if previous is None else max(row[i], previous + 1.0)
            pos[i] = (float(depth), y)
            previous = y
    return pos


def draw_graph(root: Tensor, ax=None, path=None, title=None):
    """Draw the computation graph of ``root`` with matplotlib; returns the Figure.

    Leaves are green (blue when they require grad), ops grey boxes, the output yellow; each
    arrow is labelled with the shape it carries. ``path`` saves a PNG.

    >>> import tinynn as tn
    >>> x = tn.ones(2, 3, requires_grad=True)
    >>> fig = draw_graph((x.tanh() * 2).sum(), title="tanh(x)·2, summed")
    """
    nodes, edges = collect_graph(root)
    pos = _positions(nodes, edges)
    width = max(p[0] for p in pos.values()) + 1
    low, high = min(p[1] for p in pos.values()), max(p[1] for p in pos.values())
    height = high - low + 1
    fig, ax = new_axes(ax, figsize=(min(2.0 + 1.7 * width, 16), min(1.2 + 1.0 * height, 10)))
    styles = {
        "leaf": dict(boxstyle="round,pad=0.35", fc="#d9f2d9", ec="#2e7d32"),
        "param": dict(boxstyle="round,pad=0.35", fc="#dbe9fb", ec="#1565c0"),
        "op": dict(boxstyle="square,pad=0.35", fc="#eeeeee", ec="#424242"),
        "output": dict(boxstyle="round4,pad=0.35", fc="#fff3c4", ec="#f9a825"),
    }
    for n in nodes:
        style = styles[n["kind"]]
        x, y = pos[n["id"]]
        ax.text(x, y, n["label"], ha="center", va="center", fontsize=9, bbox=style, zorder=3)
    seen = {}
    for src, dst, shape in edges:
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        repeat = seen[src, dst] = seen.get((src, dst), -1) + 1  # x * x: bend the second arrow
        bend = 0.35 * repeat
        ax.annotate("", xy=(x1 - 0.22, y1), xytext=(x0 + 0.22, y0), zorder=1,
                    arrowprops=dict(arrowstyle="->", color="#616161", lw=1.0,
                                    connectionstyle=f"arc3,rad={bend}"))
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 - 0.08 - 0.3 * bend, shape, ha="center", va="bottom",
                fontsize=7, color="#6a1b9a", zorder=2)
    ax.set_xlim(-0.6, width - 0.4)
    ax.set_ylim(high + 0.6, low - 0.6)  # row +1 is drawn below the main path
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return finish(fig, path, dpi=90)
