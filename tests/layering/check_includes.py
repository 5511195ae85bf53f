#!/usr/bin/env python3
"""Fails on an #include that points up the layering.

check_includes.py ROOT [ALLOWED]: reads every #include "..." and #include <binlogkit/...> in
ROOT/src/**/*.{cpp,hpp} and ROOT/include/binlogkit/**/*.hpp and checks it against ALLOWED
(default: tests/layering/allowed.txt beside this script). A file's layer is its folder
(src/<layer>/, include/binlogkit/<layer>/). An include's layer is:
  "binlogkit/<layer>/name.hpp"  that layer (the header must exist);
  "name.hpp"                    a header beside the file: the file's own layer;
  "<layer>/name.hpp"            a private header in src/<layer>/.
Errors: an include of a layer not allowed; an old flat path ("binlogkit/name.hpp"); a file
directly in src/ or include/binlogkit/ (every file has a layer); a quoted include found
nowhere; a public header the umbrella binlogkit/binlogkit.hpp leaves out. Prints one line per problem (file:line: what), exit 1; exit 0 and a summary when
clean; exit 2 when the matrix is unreadable.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
ALWAYS = {"binlogkit/version.hpp"}
USERS_ONLY = {"binlogkit/binlogkit.hpp"}


def read_matrix(path):
    allowed = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        layer, sep, below = line.partition(":")
        if not sep or not re.fullmatch(r"[a-z_]+", layer.strip()):
            raise ValueError(f"{path}:{n}: expected 'layer: lower layers...'")
        allowed[layer.strip()] = set(below.split()) | {layer.strip()}
    for layer, below in allowed.items():
        unknown = below - allowed.keys()
        if unknown:
            raise ValueError(f"{path}: {layer} names unknown layers {sorted(unknown)}")
    return allowed


def layer_of_file(root, f):
    rel = f.relative_to(root).parts
    if rel[0] == "src" and len(rel) >= 3:
        return rel[1]
    if rel[0] == "include" and len(rel) >= 4:
        return rel[2]
    return None


def include_layer(root, f, quote, target, layers):
    """The layer an include names, or (None, why)."""
    if target in ALWAYS:
        return None, None
    if target in USERS_ONLY:
        return None, "the umbrella header is for users of the library, not for its layers"
    parts = target.split("/")
    if parts[0] == "binlogkit":
        if len(parts) == 3 and parts[1] in layers:
            if not (root / "include" / target).exists():
                return None, f"no such public header include/{target}"
            return parts[1], None
        if len(parts) == 2:
            return None, f"old flat path {target}: use binlogkit/<layer>/{parts[1]}"
        return None, f"{target} is in no layer"
    if quote == "<":
        return None, None  # system and third-party headers
    if len(parts) == 1 and (f.parent / target).exists():
        return layer_of_file(root, f), None
    if len(parts) == 2 and parts[0] in layers and (root / "src" / target).exists():
        return parts[0], None
    return None, f"{target} is not beside the file nor a src/<layer>/ header"


def main():
    if len(sys.argv) < 2:
        print("usage: check_includes.py ROOT [ALLOWED]", file=sys.stderr)
        return 2
    root = pathlib.Path(sys.argv[1]).resolve()
    matrix_path = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else pathlib.Path(__file__).with_name("allowed.txt")
    try:
        allowed = read_matrix(matrix_path)
    except (OSError, ValueError) as e:
        print(f"check_includes: {e}", file=sys.stderr)
        return 2
    files = sorted(p for p in (root / "src").rglob("*") if p.suffix in (".cpp", ".hpp"))
    files += sorted((root / "include" / "binlogkit").rglob("*.hpp"))
    problems, checked = [], 0
    for f in files:
        rel = f.relative_to(root)
        if rel.as_posix() in ("include/binlogkit/binlogkit.hpp",):
            continue
        own = layer_of_file(root, f)
        if own not in allowed:
            problems.append(f"{rel}: in no layer of {matrix_path.name} (move it into src/<layer>/ or include/binlogkit/<layer>/)")
            continue
        for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            checked += 1
            layer, why = include_layer(root, f, m.group(1), m.group(2), allowed)
            if why:
                problems.append(f"{rel}:{n}: {why}")
            elif layer is not None and layer not in allowed[own]:
                problems.append(f"{rel}:{n}: {own} includes {m.group(2)} of layer {layer}, above it "
                                f"({own} may include: {' '.join(sorted(allowed[own]))})")
    umbrella = root / "include" / "binlogkit" / "binlogkit.hpp"
    if umbrella.exists():
        listed = {m.group(2) for m in map(INCLUDE.match, umbrella.read_text().splitlines()) if m}
        for f in sorted((root / "include" / "binlogkit").glob("*/*.hpp")):
            name = f.relative_to(root / "include").as_posix()
            if name not in listed:
                problems.append(f"include/binlogkit/binlogkit.hpp: does not include {name}")
    else:
        problems.append("include/binlogkit/binlogkit.hpp: the umbrella header is missing")
    for p in problems:
        print(p)
    if problems:
        print(f"check_includes: {len(problems)} problem(s) in {len(files)} files")
        return 1
    print(f"check_includes: {checked} includes in {len(files)} files follow {matrix_path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
