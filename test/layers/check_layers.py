#!/usr/bin/env python3
"""Checks that the code keeps the layering its READMEs state.

A layer is a directory under src/ with a README.md and a CMakeLists.txt (src/storage and
src/storage/delta are two layers). From each README it reads:
  - "May depend on:"  the layers this one may include and link. Layers are the names of layer
                      directories (`lake`, `storage/delta/`, backticks and a trailing '/' are
                      optional); other words (libraries) are prose. Text in parentheses and
                      everything after the first full stop are comments. "every other layer"
                      allows all.
  - "Front door:"     the headers other layers may include: every backticked `*.h`, either a
                      path from src/ (`catalog/sync.h`) or a name in the layer (`json.h`).
  - "Tests:"          extra layers that the layer's tests (*_test.cc and helpers such as
                      *_test_util.h) may include and link: named (`demo`) or by a header of
                      theirs (`demo/importau_generator.h`).
Then it fails on:
  - an `#include "other/..."` in src/ of a layer the README does not allow (tests may also use
    the layers and headers of their "Tests:" paragraph, and any header of an allowed layer);
  - such an include, outside tests, of a header that is not a front door of its layer;
  - `duckdb.h` included anywhere but src/engine/;
  - a strata_* library linked in a layer's CMakeLists.txt that the README does not allow, or
    linked PUBLIC (DEPS) although no front-door header of the layer includes that layer;
  - a README without "May depend on:" or "Front door:", or naming a front door that does not
    exist.
Each problem is printed as FILE:LINE: what, and the exit code is 1 if there is any.

  check_layers.py SRC_DIR     check a tree
  check_layers.py --self-test run the checker on small trees with known problems
"""
import os
import re
import sys
import tempfile

KEY_LINE = re.compile(r"^([A-Z][A-Za-z /-]{0,30}):(\s|$)")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
BACKTICKED = re.compile(r"`([^`]+)`")


def is_test_file(name):
    return re.search(r"_test(_|\.)", name) is not None


def paragraphs(readme_text):
    """{key: text} for the paragraphs that start with 'Key:' on a line of their own."""
    out = {}
    key = None
    for line in readme_text.splitlines():
        match = KEY_LINE.match(line)
        if match:
            key = match.group(1)
            out[key] = line[match.end(1) + 1:].strip()
        elif not line.strip() or line.startswith("#"):
            key = None
        elif key is not None:
            out[key] += " " + line.strip()
    return out


def strip_comments(text):
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", "", text)
    return re.split(r"\.(\s|$)", text, maxsplit=1)[0]


class Layer:
    def __init__(self, src, name):
        self.name = name
        self.dir = os.path.join(src, name)
        self.readme = os.path.join(self.dir, "README.md")
        with open(self.readme, encoding="utf-8") as f:
            self.paragraphs = paragraphs(f.read())
        self.allowed = set()
        self.allows_all = False
        self.front_doors = set()
        self.test_layers = set()
        self.library = None


def layer_names(src):
    names = []
    for root, dirs, files in os.walk(src):
        dirs.sort()
        if "README.md" in files and "CMakeLists.txt" in files:
            names.append(os.path.relpath(root, src).replace(os.sep, "/"))
    return names


def layer_of(path, names):
    """The layer (longest directory prefix) of a src-relative path, or None."""
    best = None
    for name in names:
        if path.startswith(name + "/") and (best is None or len(name) > len(best)):
            best = name
    return best


def as_layer(word, names):
    word = word.strip().strip("`").strip()
    word = re.sub(r"\s+only$", "", word).strip().strip("`").rstrip("/")
    return word if word in names else None


def header_path(token, layer, names):
    """A backticked header as a src-relative path (`catalog/sync.h`, or `json.h` in `layer`);
    None for a header of another layer (a README may point there)."""
    owner = layer_of(token, names) if "/" in token else None
    if owner is None:
        return layer + "/" + token
    return token if owner == layer else None


def read_layers(src, problems):
    names = layer_names(src)
    layers = {name: Layer(src, name) for name in names}
    for layer in layers.values():
        rel_readme = os.path.relpath(layer.readme, os.path.dirname(src))
        depends = layer.paragraphs.get("May depend on")
        doors = layer.paragraphs.get("Front door")
        if depends is None:
            problems.append(f"{rel_readme}:1: no 'May depend on:' line")
            depends = ""
        if doors is None:
            problems.append(f"{rel_readme}:1: no 'Front door:' line")
            doors = ""
        allowed_text = strip_comments(depends)
        if "every other layer" in allowed_text:
            layer.allows_all = True
        for word in re.split(r",|;|\band\b", allowed_text):
            name = as_layer(word, names)
            if name is not None and name != layer.name:
                layer.allowed.add(name)
        for token in BACKTICKED.findall(doors):
            if token.endswith(".h"):
                path = header_path(token, layer.name, names)
                if path is None:
                    continue
                layer.front_doors.add(path)
                if not os.path.isfile(os.path.join(src, path)):
                    problems.append(f"{rel_readme}:1: front door {path} does not exist")
        for token in BACKTICKED.findall(layer.paragraphs.get("Tests", "")):
            name = as_layer(token, names)
            if name is None and token.endswith(".h"):
                name = layer_of(token, names)
            if name is not None and name != layer.name:
                layer.test_layers.add(name)
        layer.library = read_library(layer)
    return layers


def read_library(layer):
    """(name, {section: [strata_* libs]}) from the strata_layer(...) call of the layer."""
    with open(os.path.join(layer.dir, "CMakeLists.txt"), encoding="utf-8") as f:
        text = re.sub(r"#[^\n]*", "", f.read())
    call = re.search(r"strata_layer\(\s*(\w+)([^)]*)\)", text)
    if call is None:
        return None
    sections = {"DEPS": [], "PRIVATE_DEPS": [], "TEST_DEPS": []}
    section = "DEPS"
    words = call.group(2).split()
    # A ${variable} list stands for the strata_* names set() in the same file.
    expanded = []
    for word in words:
        variable = re.fullmatch(r"\$\{(\w+)\}", word)
        if variable:
            for value in re.findall(r"set\(\s*" + variable.group(1) + r"\s+([^)]*)\)", text):
                expanded.extend(value.split())
            for value in re.findall(r"list\(\s*\w+\s+" + variable.group(1) + r"\s+([^)]*)\)",
                                    text):
                expanded.extend(value.split())
        else:
            expanded.append(word)
    for word in expanded:
        if word in sections:
            section = word
        elif word.startswith("strata_"):
            sections[section].append(word)
    return call.group(1), sections


def allows(layer, other, test):
    if layer.allows_all or other in layer.allowed:
        return True
    return test and other in layer.test_layers


def check_includes(src, layers, problems):
    names = list(layers)
    root_dir = os.path.dirname(src)
    for dirpath, dirs, files in os.walk(src):
        dirs.sort()
        for file in sorted(files):
            if not file.endswith((".h", ".cc")):
                continue
            path = os.path.join(dirpath, file)
            rel = os.path.relpath(path, src).replace(os.sep, "/")
            shown = os.path.relpath(path, root_dir)
            own = layer_of(rel, names)
            if own is None:
                continue
            layer = layers[own]
            test = is_test_file(file)
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
            for number, line in enumerate(lines, 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                header = match.group(2)
                where = f"{shown}:{number}: #include {match.group(1)}{header}"
                where += '"' if match.group(1) == '"' else ">"
                if os.path.basename(header) == "duckdb.h":
                    if own != "engine":
                        problems.append(f"{where}: only src/engine/ includes duckdb.h")
                    continue
                if match.group(1) != '"':
                    continue
                other = layer_of(header, names)
                if other is None or other == own:
                    continue
                if not allows(layer, other, test):
                    allowed = ", ".join(sorted(layer.allowed)) or "no other layer"
                    problems.append(
                        f"{where}: layer {own} may not depend on {other} "
                        f"(src/{own}/README.md, May depend on: {allowed})")
                elif not test and header not in layers[other].front_doors:
                    doors = ", ".join(sorted(layers[other].front_doors)) or "none"
                    problems.append(
                        f"{where}: {header} is not a front door of {other} "
                        f"(src/{other}/README.md, Front door: {doors})")


def exposed_layers(src, layer, names):
    """The other layers whose headers the layer's front doors include (through its own)."""
    seen, exposed = set(), set()
    stack = sorted(layer.front_doors)
    while stack:
        header = stack.pop()
        path = os.path.join(src, header)
        if header in seen or not os.path.isfile(path):
            continue
        seen.add(header)
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                match = INCLUDE.match(line)
                if not match or match.group(1) != '"':
                    continue
                other = layer_of(match.group(2), names)
                if other == layer.name:
                    stack.append(match.group(2))
                elif other is not None:
                    exposed.add(other)
    return exposed


def check_links(src, layers, problems):
    by_library = {}
    for layer in layers.values():
        if layer.library is not None:
            by_library["strata_" + layer.library[0]] = layer.name
    for layer in layers.values():
        if layer.library is None:
            continue
        shown = os.path.relpath(os.path.join(layer.dir, "CMakeLists.txt"), os.path.dirname(src))
        exposed = exposed_layers(src, layer, list(layers))
        for library in layer.library[1]["DEPS"]:
            other = by_library.get(library)
            if other is not None and other not in exposed:
                problems.append(
                    f"{shown}:1: DEPS {library} is public, but no front door of {layer.name} "
                    f"includes {other}: make it a PRIVATE_DEPS")
        for section, libraries in layer.library[1].items():
            for library in libraries:
                other = by_library.get(library)
                if other is None or other == layer.name:
                    continue
                if not allows(layer, other, section == "TEST_DEPS"):
                    problems.append(
                        f"{shown}:1: {section} {library}: layer {layer.name} may not depend on "
                        f"{other} (src/{layer.name}/README.md)")


def check(src):
    problems = []
    layers = read_layers(src, problems)
    check_includes(src, layers, problems)
    check_links(src, layers, problems)
    return problems


def write(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)


def self_test():
    """The checker finds each kind of problem, names file and line, and passes a clean tree."""
    clean = {
        "src/low/README.md": "# low\nOwns: x.\nFront door: `low/low.h`.\n"
                             "May depend on: the C++ standard library only.\n",
        "src/low/CMakeLists.txt": "strata_layer(low DEPS fmt::fmt)\n",
        "src/low/low.h": "#pragma once\n",
        "src/low/private.h": "#pragma once\n",
        "src/low/low.cc": '#include "low/low.h"\n#include "low/private.h"\n',
        "src/util/README.md": "# util\nFront door: `util.h`.\nMay depend on: nothing.\n",
        "src/util/CMakeLists.txt": "strata_layer(util)\n",
        "src/util/util.h": "#pragma once\n",
        "src/high/README.md": "# high\nOwns: y.\nFront door: `high/high.h`.\n"
                              "May depend on: `low/` (its\nfront door),\nfmt. Not `util`.\n"
                              "Tests: they use `util/util.h`.\n",
        "src/high/CMakeLists.txt": "set(deps strata_low)\n"
                                   "strata_layer(high DEPS ${deps} TEST_DEPS strata_util)\n",
        "src/high/high.h": '#pragma once\n#include "low/low.h"\n',
        "src/high/high_test.cc": '#include "low/private.h"\n#include "util/util.h"\n',
    }
    broken = dict(clean)
    broken.update({
        "src/low/low.cc": '#include "low/low.h"\n\n#include "high/high.h"\n',
        "src/high/high.cc": '#include "high/high.h"\n#include "low/private.h"\n'
                            '#include "util/util.h"\n#include <duckdb.h>\n',
        "src/util/README.md": "# util\nFront door: `util.h`, `gone.h`.\nMay depend on: nothing.\n",
        "src/low/CMakeLists.txt": "strata_layer(low DEPS strata_high)\n",
        "src/high/high.h": "#pragma once\n",
    })
    expected = [
        'src/low/low.cc:3: #include "high/high.h": layer low may not depend on high',
        'src/high/high.cc:2: #include "low/private.h": low/private.h is not a front door of low',
        'src/high/high.cc:3: #include "util/util.h": layer high may not depend on util',
        "src/high/high.cc:4: #include <duckdb.h>: only src/engine/ includes duckdb.h",
        "src/util/README.md:1: front door util/gone.h does not exist",
        "src/low/CMakeLists.txt:1: DEPS strata_high: layer low may not depend on high",
        "src/low/CMakeLists.txt:1: DEPS strata_high is public, but no front door of low",
        "src/high/CMakeLists.txt:1: DEPS strata_low is public, but no front door of high",
    ]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        write(os.path.join(tmp, "clean"), clean)
        problems = check(os.path.join(tmp, "clean", "src"))
        if problems:
            failures.append("clean tree reported: " + "; ".join(problems))
        write(os.path.join(tmp, "broken"), broken)
        problems = check(os.path.join(tmp, "broken", "src"))
        for want in expected:
            if not any(p.startswith(want) for p in problems):
                failures.append("not reported: " + want)
        if len(problems) != len(expected):
            failures.append(f"{len(problems)} problems reported, {len(expected)} expected: " +
                            "; ".join(problems))
    for failure in failures:
        print(failure)
    print("self-test " + ("failed" if failures else "passed"))
    return 1 if failures else 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print(__doc__.strip().splitlines()[-2].strip(), file=sys.stderr)
        return 2
    src = os.path.abspath(argv[1])
    problems = check(src)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} layering problem(s) in {src}" if problems else
          f"layering: every include and link in {src} keeps its layer's README")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
