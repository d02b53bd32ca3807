"""Sets of fields in the FieldsV1 encoding, and their algebra (sigs.k8s.io/structured-merge-diff fieldpath).

A set is a tree: `f:<field>` for a field, `k:{"name":"nginx"}` for an element of a list-map,
`v:"x"` for a member of a set list, `i:<n>` for an index; a leaf `{}` is an owned field, and `.`
marks a node that is owned itself as well as having owned children. Sets are kept in this form
throughout, so reading and writing managedFields costs no conversion; no operation modifies its
arguments, and a result shares unchanged subtrees with them.

Simplified: `i:` elements are never made (lists without a list type are atomic), and the order of
the f:, k: and v: elements is plain string order, which is PathElement order for those we make.
"""

from __future__ import annotations

import json

MEMBER = "."
Tree = dict  # FieldsV1: "f:…"/"k:…"/"v:…"/"i:…" → subtree; "." marks an owned node with children; {} an owned leaf


def is_member(node: Tree) -> bool:
    return not node or MEMBER in node


def build(member: bool, children: dict) -> Tree | None:
    if not children:
        return {} if member else None
    # sorted as SMD serializes a set (and so the stored JSON is the same on every run); "." first.
    # Plain string order is PathElement order for the f:, k: and v: elements we make (i: never).
    ordered: Tree = {MEMBER: {}} if member else {}
    if len(children) == 1:
        ordered.update(children)
    else:
        for key in sorted(children):
            ordered[key] = children[key]
    return ordered


def union(a: Tree | None, b: Tree | None) -> Tree | None:
    if a is None:
        return b
    if b is None:
        return a
    kids = dict(children_of(a))
    for key, sub in children_of(b):
        kids[key] = union(kids[key], sub) if key in kids else sub
    return build(is_member(a) or is_member(b), kids)


def difference(a: Tree | None, b: Tree | None) -> Tree | None:
    if a is None or b is None:
        return a
    kids = {}
    b_kids = b if b else {}
    for key, sub in children_of(a):
        rest = difference(sub, b_kids[key]) if key in b_kids else sub
        if rest is not None:
            kids[key] = rest
    return build(is_member(a) and not is_member(b), kids)


def intersection(a: Tree | None, b: Tree | None) -> Tree | None:
    if a is None or b is None:
        return None
    kids = {}
    for key, sub in children_of(a):
        if key in b and key != MEMBER:
            both = intersection(sub, b[key])
            if both is not None:
                kids[key] = both
    return build(is_member(a) and is_member(b), kids)


def children_of(node: Tree):
    return ((k, v) for k, v in node.items() if k != MEMBER)


def _order(key: str) -> tuple[int, str]:
    return ("fkvi".find(key[0]), key)  # fieldpath.PathElement.Compare: fields, keys, values, indexes


def paths(tree: Tree | None, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The owned paths in Set.Iterate's order: a level's members, then each child's."""
    if not tree:
        return []
    keys = sorted((k for k in tree if k != MEMBER), key=_order)
    out = [prefix + (k,) for k in keys if is_member(tree[k])]
    for key in keys:
        if any(k != MEMBER for k in tree[key]):
            out += paths(tree[key], prefix + (key,))
    return out


def path_string(path: tuple[str, ...]) -> str:
    """fieldpath.Path.String(): `.spec.template.spec.containers[name="nginx"].image`."""
    out = []
    for element in path:
        kind, text = element[0], element[2:]
        if kind == "f":
            out.append("." + text)
        elif kind == "k":
            fields = json.loads(text)
            out.append("[" + ",".join(f"{name}={_go_string(value)}" for name, value in fields.items()) + "]")
        elif kind == "v":
            out.append(f"[={_go_string(json.loads(text))}]")
        else:
            out.append(f"[{text}]")
    return "".join(out)


def _go_string(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
