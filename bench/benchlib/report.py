"""Markdown tables for the bench's results."""


def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)


def num(value, digits=0):
    if value is None:
        return "—"
    if value == float("inf"):
        return "∞"
    return f"{value:,.{digits}f}"


def ms(value):
    if value is None:
        return "—"
    if value == float("inf"):
        return "fail"
    if value < 1:
        return f"{value:.3f}"
    if value < 10:
        return f"{value:.2f}"
    return f"{value:,.1f}"


def mb(value_bytes):
    return "—" if value_bytes is None else f"{value_bytes / 1e6:.1f}"


def ratio(ours, theirs):
    if ours is None or theirs in (None, 0):
        return None
    return ours / theirs


def times(value):
    return "—" if value is None else f"{value:.2f}×"
