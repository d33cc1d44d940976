"""Reading ``ansible-inventory --list`` output in tests."""

from __future__ import annotations

import typing as t


def unwrap_unsafe(value: t.Any) -> t.Any:
    """ansible-inventory 2.19 marks plugin-supplied strings unsafe in --list as ``{'__ansible_unsafe': ...}``
    (never templated: good for hostile text); unwrap the markers to compare values."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return {k: unwrap_unsafe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_unsafe(v) for v in value]
    return value
