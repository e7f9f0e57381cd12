"""The course in other languages: translated notebooks kept in step with the English source, and the
messages' ``tr`` / ``N_`` / ``translated`` (at the top, as one module: the pipeline's messages and
the notebooks are translated from the same ``i18n/`` folder, with the standard library only).

The English notebooks in ``solutions/`` are the single source.  A translation lives in
``i18n/<lang>/<NN_topic>.md``: one block per markdown cell, keyed by the cell's id, each under a
marker that holds a hash of the English text it translates::

    <!-- cell: s1 · source: 3f2a9c1d0b7e -->
    ## 1. 어파인 계층 ...

When an English cell changes, its hash no longer matches and the block is *stale*; a cell with no
block is *missing*; a block whose marker ends in ``· todo`` holds English text waiting for its
translation.  ``status`` lists all three, ``update`` writes missing blocks (English text, marked
``todo``) and drops blocks of cells that are gone, keeping every translation it can.
``translate_notebook`` builds the translated notebook: the same cells, ids, code and nbgrader
metadata, with each markdown cell's text replaced and ``metadata.course.language`` set, so the
checks speak the notebook's language.

Only the standard library here.
"""
import contextlib
import copy
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

LANGUAGES = {"en": "English", "ko": "한국어"}
SOURCE_LANGUAGE = "en"
MARKER = re.compile(r"^<!-- cell: (?P<id>\S+) · source: (?P<hash>[0-9a-f]{12})(?P<todo> · todo)? -->$")


def text_hash(text):
    """Twelve hex digits of the SHA-256 of the English text (trailing whitespace ignored)."""
    return hashlib.sha256(text.rstrip().encode("utf-8")).hexdigest()[:12]


def cell_text(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def markdown_cells(nb):
    """(id, text) of every markdown cell, in order."""
    return [(cell.get("id"), cell_text(cell)) for cell in nb.get("cells", [])
            if cell.get("cell_type") == "markdown"]


@dataclass
class Block:
    cell: str
    source_hash: str
    text: str
    todo: bool = False


def parse(text):
    """The blocks of a translation file, in order; raises ValueError on text before the first
    marker or a cell translated twice."""
    blocks, current, lines = [], None, []

    def close():
        if current is not None:
            body = "\n".join(lines).strip("\n")
            blocks.append(Block(current["id"], current["hash"], body, bool(current["todo"])))

    for number, line in enumerate(text.splitlines(), 1):
        found = MARKER.match(line)
        if found:
            close()
            current, lines = found.groupdict(), []
        elif current is None:
            if line.strip():
                raise ValueError(f"line {number}: text before the first cell marker")
        else:
            lines.append(line)
    close()
    seen = set()
    for block in blocks:
        if block.cell in seen:
            raise ValueError(f"cell {block.cell} is translated twice")
        seen.add(block.cell)
    return blocks


def render(blocks):
    parts = []
    for block in blocks:
        todo = " · todo" if block.todo else ""
        parts.append(f"<!-- cell: {block.cell} · source: {block.source_hash}{todo} -->\n{block.text.strip()}\n")
    return "\n".join(parts)


def translation_path(root, lang, assignment):
    return Path(root) / "i18n" / lang / f"{assignment}.md"


def read_blocks(path):
    path = Path(path)
    return parse(path.read_text(encoding="utf-8")) if path.exists() else []


# What a translation must carry over unchanged: display and inline math, inline code, the hint
# blocks, and the decimal numbers of the text (the figures the code prints).
_DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
# An inline formula may run over a line break (not over a blank line); its whitespace is compared
# collapsed, so a translation may break the line elsewhere.
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)((?:[^$\n]|\n(?!\s*\n))+?)(?<![\\$])\$")
_CODE = re.compile(r"`+[^`]+?`+")
# A number ends where a Latin letter, digit or _ does not follow: Korean particles may ("1.1배").
_DECIMAL = re.compile(r"(?<![A-Za-z0-9_.])[-−]?\d+\.\d+(?:e[-+]?\d+)?(?![A-Za-z0-9_]|\.\d)"
                      r"|(?<![A-Za-z0-9_.])\d+e[-+]?\d+(?![A-Za-z0-9_]|\.\d)")


def _squeeze(text):
    return re.sub(r"\s+", " ", text)


def invariants(text):
    """The parts of a markdown cell a translation keeps as they are, each a sorted list."""
    code = _CODE.findall(text)
    rest = _CODE.sub(" ", text)
    display = _DISPLAY_MATH.findall(rest)
    rest = _DISPLAY_MATH.sub(" ", rest)
    inline = [m.group(0) for m in _INLINE_MATH.finditer(rest)]
    rest = _INLINE_MATH.sub(" ", rest)
    return {"display math": sorted(map(_squeeze, display)), "inline math": sorted(map(_squeeze, inline)),
            "inline code": sorted(code),
            "hint blocks": ["<details>"] * text.count("<details>"),
            "decimal numbers": sorted(n.replace("−", "-") for n in _DECIMAL.findall(rest))}


def differences(english, translated):
    """Sentences saying what a translation changed that it must keep; empty when none."""
    ours, theirs = invariants(english), invariants(translated)
    out = []
    for kind in ours:
        if ours[kind] != theirs[kind]:
            lost = [x for x in ours[kind] if x not in theirs[kind]]
            added = [x for x in theirs[kind] if x not in ours[kind]]
            detail = "; ".join(part for part in (f"English only: {lost[:3]}" if lost else "",
                                                 f"translation only: {added[:3]}" if added else "") if part)
            out.append(f"{kind} differ" + (f" ({detail})" if detail else f" (count {len(ours[kind])} vs {len(theirs[kind])})"))
    return out


@dataclass
class Status:
    missing: list      # cell ids with no block
    stale: list        # cell ids whose English changed since they were translated
    todo: list         # cell ids still holding English text
    orphans: list      # blocks of cells the English notebook no longer has
    changed: dict      # cell id -> what the translation changed that it must keep (formulas, code, ...)

    @property
    def complete(self):
        return not (self.missing or self.stale or self.todo or self.orphans or self.changed)


def status(nb, blocks):
    """How far ``blocks`` are from translating every markdown cell of the English ``nb``."""
    english = dict(markdown_cells(nb))
    have = {b.cell: b for b in blocks}
    missing = [cid for cid in english if cid not in have]
    stale = [cid for cid, text in english.items() if cid in have and have[cid].source_hash != text_hash(text)]
    todo = [cid for cid in english if cid in have and have[cid].todo]
    orphans = [b.cell for b in blocks if b.cell not in english]
    changed = {}
    for cid, text in english.items():
        block = have.get(cid)
        if block is not None and not block.todo and cid not in stale:
            found = differences(text, block.text)
            if found:
                changed[cid] = found
    return Status(missing, stale, todo, orphans, changed)


def update(nb, blocks):
    """Blocks for every markdown cell of ``nb``, in its order: a translation is kept (a stale one
    keeps its text and old hash, so it stays stale until someone re-translates it and sets the
    hash), a missing cell gets its English text marked todo, orphans are dropped."""
    have = {b.cell: b for b in blocks}
    out = []
    for cid, text in markdown_cells(nb):
        if cid in have:
            out.append(have[cid])
        else:
            out.append(Block(cid, text_hash(text), text, todo=True))
    return out


def translate_notebook(nb, blocks, lang):
    """A copy of the English ``nb`` in ``lang``: markdown cells replaced by their blocks, code cells
    untouched, ``metadata.course.language`` set.  Raises ValueError when a block is missing,
    stale or todo (a half-translated notebook is never produced)."""
    state = status(nb, blocks)
    problems = [f"{kind}: {', '.join(ids)}" for kind, ids in
                (("missing", state.missing), ("stale", state.stale), ("not translated yet", state.todo)) if ids]
    if problems:
        raise ValueError(f"the {LANGUAGES.get(lang, lang)} translation is incomplete ({'; '.join(problems)})")
    have = {b.cell: b for b in blocks}
    out = copy.deepcopy(nb)
    for cell in out["cells"]:
        if cell.get("cell_type") == "markdown":
            cell["source"] = have[cell["id"]].text
    out.setdefault("metadata", {}).setdefault("course", {})["language"] = lang
    return out


def edition_dir(lang):
    """The folder of the learner notebooks in ``lang``: notebooks/ (English), notebooks-<lang>/."""
    return "notebooks" if lang == SOURCE_LANGUAGE else f"notebooks-{lang}"


def translated_languages(root):
    """The languages with a translation folder in ``i18n/``, besides English."""
    folder = Path(root) / "i18n"
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name in LANGUAGES) if folder.is_dir() else []


def edition(root, lang, assignment, nb):
    """``nb`` (a notebook of ``assignment``, solution or learner copy) in ``lang``."""
    if lang == SOURCE_LANGUAGE:
        return nb
    return translate_notebook(nb, read_blocks(translation_path(root, lang, assignment)), lang)


def notebook_language(nb):
    """The language a notebook is written in (``metadata.course.language``), English by default."""
    course = (nb.get("metadata") or {}).get("course") or {}
    lang = course.get("language") if isinstance(course, dict) else None
    return lang if lang in LANGUAGES else SOURCE_LANGUAGE


def language_of_file(path):
    """``notebook_language`` of the notebook file at ``path``; English when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as fh:
            return notebook_language(json.load(fh))
    except (OSError, ValueError, AttributeError):
        return SOURCE_LANGUAGE



# --- the sentences a learner reads: tr("template {field}", field=value) -----------------------------
#
# Every sentence the checks, the progress table and the graders show is a ``str.format`` template
# written in English in the code and looked up in ``i18n/<lang>/messages/<module>.po`` (gettext's format:
# msgid the English template, msgstr its translation) for the language of the notebook being
# checked.  ``tr(template, **fields)`` translates and formats at once; ``N_(template)`` only marks a
# template that is formatted later (a catalog row's sentence, an exercise's title), and
# ``translated(template)`` looks it up then.  A missing translation falls back to the English.

_LANGUAGE = {"explicit": None}
_CATALOGS = {}


def set_language(lang):
    """Speak ``lang`` from now on in this process (None: decide from the environment again).
    The graders call it for each notebook with ``notebook_language`` of that notebook."""
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: one of {sorted(LANGUAGES)}")
    _LANGUAGE["explicit"] = lang


def current_language():
    """The language of the sentences: set_language's, else $AUTOGRADER_LANG, else the language of
    the notebook this kernel runs ($JPY_SESSION_NAME, set by Jupyter Server; without it, as nbgrader
    and nbval run a notebook, the notebook named after the kernel's folder,
    ``<assignment>/<assignment>.ipynb``), else English."""
    import os
    if _LANGUAGE["explicit"]:
        return _LANGUAGE["explicit"]
    env = os.environ.get("AUTOGRADER_LANG", "")
    if env in LANGUAGES:
        return env
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb"):
        return _session_language(session)
    try:
        return _folder_language(os.getcwd())
    except OSError:     # the working folder is gone
        return SOURCE_LANGUAGE


def _folder_language(folder):
    if folder not in _SESSION:
        path = Path(folder) / f"{Path(folder).name}.ipynb"
        _SESSION[folder] = language_of_file(path) if path.is_file() else SOURCE_LANGUAGE
    return _SESSION[folder]


def chosen_language():
    """The language someone chose (set_language, $AUTOGRADER_LANG), or None: then each notebook
    speaks its own."""
    import os
    env = os.environ.get("AUTOGRADER_LANG", "")
    return _LANGUAGE["explicit"] or (env if env in LANGUAGES else None)


@contextlib.contextmanager
def speaking(lang):
    """Speak ``lang`` (a notebook's language) inside the block, unless someone chose a language
    (``chosen_language``): the graders wrap each notebook in it."""
    if chosen_language() is not None or lang not in LANGUAGES:
        yield
        return
    _LANGUAGE["explicit"] = lang
    try:
        yield
    finally:
        _LANGUAGE["explicit"] = None


_SESSION = {}


def session_file(session, cwd=None):
    """The notebook file of ``$JPY_SESSION_NAME``, or None.  Jupyter Server sets it to the
    notebook's path relative to the server's root folder, while the kernel runs in the notebook's
    own folder: the root is one of that folder's parents."""
    here = Path(cwd or Path.cwd()).resolve()
    path = Path(session)
    if path.is_absolute():
        candidates = [path]
    else:
        candidates = [folder / path for folder in (here, *here.parents)] + [here / path.name]
    return next((c for c in candidates if c.is_file()), None)


def _session_language(session):
    if session not in _SESSION:
        found = session_file(session)
        _SESSION[session] = language_of_file(found) if found is not None else SOURCE_LANGUAGE
    return _SESSION[session]


def messages_dir(root, lang):
    """The folder of ``lang``'s message files: one gettext PO file per module of the package
    (``checks/training.py`` -> ``checks.training.po``), so translators of different modules never
    edit the same file."""
    return Path(root) / "i18n" / lang / "messages"


def messages_path(root, lang, module):
    """The PO file of the templates first met in ``module`` (a path relative to the course)."""
    stem = Path(module).with_suffix("").as_posix().removeprefix("autograder/").replace("/", ".")
    return messages_dir(root, lang) / f"{stem}.po"


def read_messages(root, lang):
    """Every entry of ``lang``'s message files, {msgid: Entry}."""
    out = {}
    for path in sorted(messages_dir(root, lang).glob("*.po")):
        for entry in read_po(path):
            out.setdefault(entry.msgid, entry)
    return out


def catalog(lang):
    """{English template: translation} of ``lang`` (empty for English or without a file); fuzzy
    and empty entries are left out."""
    if lang == SOURCE_LANGUAGE:
        return {}
    if lang not in _CATALOGS:
        entries = read_messages(_course_root(), lang).values()
        _CATALOGS[lang] = {e.msgid: e.msgstr for e in entries if e.msgstr and "fuzzy" not in e.flags}
    return _CATALOGS[lang]


def translated(template):
    """``template`` in the current language (itself when it has no translation)."""
    return catalog(current_language()).get(template, template)


def tr(template, **fields):
    """``template`` translated into the current language and formatted with ``fields``."""
    text = translated(template)
    return text.format(**fields) if fields or "{" in text else text


def N_(template):
    """Marks ``template`` for translation; it is translated where it is formatted (``translated``)."""
    return template


# --- gettext's PO format, the part the course uses ------------------------------------------------

@dataclass
class Entry:
    msgid: str
    msgstr: str = ""
    flags: tuple = ()
    references: tuple = ()       # "autograder/checks/x.py:120"
    comments: tuple = ()         # "#." lines: notes for translators


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}


def _quote(text):
    out = "".join(_ESCAPES.get(ch, ch) for ch in text)
    if "\\n" not in out[:-2]:
        return f'"{out}"'
    lines = out.replace("\\n", "\\n\n").split("\n")
    return '""\n' + "\n".join(f'"{line}"' for line in lines if line)


def _unquote(text):
    body = text.strip()
    assert body.startswith('"') and body.endswith('"'), body
    body = body[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t", "\\": "\\", '"': '"'}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def read_po(path):
    """The entries of a PO file (the header entry, msgid "", left out)."""
    entries, current, field = [], None, None

    def close():
        if current is not None and current["msgid"]:
            entries.append(Entry(current["msgid"], current["msgstr"], tuple(current["flags"]),
                                 tuple(current["refs"]), tuple(current["comments"])))

    def fresh():
        return {"msgid": "", "msgstr": "", "flags": [], "refs": [], "comments": []}

    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if not line:
            close()
            current, field = None, None
            continue
        if current is None:
            current = fresh()
        if line.startswith("#,"):
            current["flags"] += [f.strip() for f in line[2:].split(",") if f.strip()]
        elif line.startswith("#:"):
            current["refs"] += line[2:].split()
        elif line.startswith("#."):
            current["comments"].append(line[2:].strip())
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid "):
            field = "msgid"
            current["msgid"] = _unquote(line[6:])
        elif line.startswith("msgstr "):
            field = "msgstr"
            current["msgstr"] = _unquote(line[7:])
        elif line.startswith('"') and field:
            current[field] += _unquote(line)
    close()
    return entries


def write_po(path, entries, lang):
    header = (f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: {lang}\\n"\n')
    parts = [header]
    for e in entries:
        lines = [f"#. {c}" for c in e.comments]
        if e.references:
            lines.append("#: " + " ".join(e.references))
        if e.flags:
            lines.append("#, " + ", ".join(e.flags))
        lines.append("msgid " + _quote(e.msgid))
        lines.append("msgstr " + _quote(e.msgstr))
        parts.append("\n".join(lines) + "\n")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(parts), encoding="utf-8")


def format_fields(template):
    """The replacement fields of a ``str.format`` template, as written ("{k:.4g}" -> "k:.4g")."""
    import string
    out = []
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is not None:
            out.append(name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else ""))
    return out


# --- which templates the code holds ------------------------------------------------------------------

# Calls whose first argument (``tr``, ``N_``) or second (``like``, ``Mistake``: the sentence) is a
# template for the learner; ``Exercises(notebook, [(key, title, points), ...])`` holds titles.
_TEMPLATE_ARGS = {"tr": 0, "N_": 0, "like": 1, "_like": 1, "Mistake": 1}


def templates_in(source, filename="<source>"):
    """[(template, line)] of every constant template in ``source`` (see _TEMPLATE_ARGS)."""
    import ast
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name == "Exercises" and len(node.args) > 1 and isinstance(node.args[1], ast.List):
            for part in node.args[1].elts:
                if isinstance(part, ast.Tuple) and len(part.elts) > 1 and isinstance(part.elts[1], ast.Constant):
                    found.append((part.elts[1].value, part.elts[1].lineno))
            continue
        index = _TEMPLATE_ARGS.get(name)
        if index is None or len(node.args) <= index:
            continue
        arg = node.args[index]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.append((arg.value, arg.lineno))
    return found


def code_templates(root=None):
    """{template: [references]} over the course's package."""
    root = Path(root or _course_root())
    out = {}
    for path in sorted((root / "autograder").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for template, line in templates_in(path.read_text(encoding="utf-8"), rel):
            out.setdefault(template, []).append(f"{rel}:{line}")
    return out


def update_messages(lang, root=None):
    """Bring i18n/<lang>/messages/*.po in step with the code: a new template gets an empty msgstr
    in the file of the module it is first met in, a template gone from the code is dropped,
    references are refreshed, translations kept (wherever they were)."""
    root = Path(root or _course_root())
    old = read_messages(root, lang)
    files = {}
    entries = []
    for template, refs in code_templates(root).items():
        kept = old.get(template)
        entry = Entry(template, kept.msgstr if kept else "", kept.flags if kept else (),
                      tuple(refs), kept.comments if kept else ())
        files.setdefault(messages_path(root, lang, refs[0].rsplit(":", 1)[0]), []).append(entry)
        entries.append(entry)
    for path in messages_dir(root, lang).glob("*.po"):
        if path not in files:
            path.unlink()
    for path, group in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_po(path, group, lang)
    _CATALOGS.pop(lang, None)
    return entries


def message_file(template_refs):
    """The name of the PO file (``checks.training``) a template with these references lives in."""
    return messages_path(".", "en", template_refs[0].rsplit(":", 1)[0]).stem


def message_problems(lang, root=None, files=None):
    """Sentences saying what is wrong with ``lang``'s messages: untranslated, fuzzy, stale
    templates, and translations whose fields are not among the English template's.  ``files``:
    only the templates of these PO files (``{"check", "checks.__init__"}``), the code's and the
    files' own."""
    root = Path(root or _course_root())
    entries = read_messages(root, lang)
    problems = []
    code = code_templates(root)
    if files is not None:
        code = {t: refs for t, refs in code.items() if message_file(refs) in files}
        entries = {msgid: e for path in sorted(messages_dir(root, lang).glob("*.po")) if path.stem in files
                   for e in read_po(path) for msgid in [e.msgid]}
    for template, refs in code.items():
        entry = entries.get(template)
        if entry is None or not entry.msgstr:
            problems.append(f"not translated ({refs[0]}): {template!r}")
        elif "fuzzy" in entry.flags:
            problems.append(f"fuzzy ({refs[0]}): {template!r}")
        else:
            try:
                extra = set(format_fields(entry.msgstr)) - set(format_fields(template))
            except ValueError as exc:
                problems.append(f"not a valid template ({exc}) ({refs[0]}): {entry.msgstr!r}")
                continue
            if extra:
                problems.append(f"fields {sorted(extra)} are not in the English ({refs[0]}): {entry.msgstr!r}")
    for template in entries:
        if template not in code:
            problems.append(f"no longer in the code: {template!r}")
    return problems

def message_counts(lang, root=None):
    """{PO file name: (translated, templates)} over the code's templates, file by file."""
    root = Path(root or _course_root())
    entries = read_messages(root, lang)
    counts = {}
    for template, refs in code_templates(root).items():
        entry = entries.get(template)
        done = bool(entry and entry.msgstr and "fuzzy" not in entry.flags)
        have, total = counts.get(message_file(refs), (0, 0))
        counts[message_file(refs)] = (have + done, total + 1)
    return dict(sorted(counts.items()))


# --- the translators' command: python -m autograder.i18n {status,update} LANG [NN_topic ...] ----

def _course_root():
    return Path(__file__).resolve().parents[1]


def _assignments(root, names):
    found = sorted(p.name for p in (Path(root) / "solutions").iterdir() if p.is_dir() and p.name[:2].isdigit())
    return [a for a in found if a in names] if names else found


def _english(root, assignment):
    path = Path(root) / "solutions" / assignment / f"{assignment}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(prog="python -m autograder.i18n",
                                     description="Keep the translations in i18n/<lang>/ in step with solutions/.")
    parser.add_argument("command", choices=["status", "update"],
                        help="status: what is missing, stale or not translated yet, in the notebooks and in the "
                             "checks' messages; update: add the missing cells (English text marked todo), drop "
                             "cells that are gone, and bring the message files in step with the code")
    parser.add_argument("lang", choices=sorted(set(LANGUAGES) - {SOURCE_LANGUAGE}))
    parser.add_argument("assignments", nargs="*", help="e.g. 04_vector_backprop (default: all)")
    args = parser.parse_args(argv)
    root = _course_root()
    incomplete = 0
    for assignment in _assignments(root, args.assignments):
        nb = _english(root, assignment)
        path = translation_path(root, args.lang, assignment)
        blocks = read_blocks(path)
        if args.command == "update":
            blocks = update(nb, blocks)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(blocks), encoding="utf-8")
        state = status(nb, blocks)
        total = len(markdown_cells(nb))
        done = total - len(set(state.missing) | set(state.stale) | set(state.todo))
        print(f"{assignment}: {done} / {total} cells translated"
              + "".join(f"; {kind}: {', '.join(ids)}" for kind, ids in
                        (("missing", state.missing), ("stale", state.stale), ("todo", state.todo),
                         ("gone from the English", state.orphans)) if ids))
        for cid, found in state.changed.items():
            print(f"  cell {cid}: " + "; ".join(found))
        incomplete += not state.complete
    if args.assignments:
        return 1 if incomplete and args.command == "status" else 0
    # the messages of the checks: one PO file per module of the package
    if args.command == "update":
        update_messages(args.lang, root)
    rel = messages_dir(root, args.lang).relative_to(root).as_posix()
    for name, (done, total) in message_counts(args.lang, root).items():
        print(f"{rel}/{name}.po: {done} / {total} messages translated")
    problems = message_problems(args.lang, root)
    for problem in problems[:20]:
        print(f"  {problem}")
    if len(problems) > 20:
        print(f"  ... and {len(problems) - 20} more (autograder.i18n.message_problems({args.lang!r}) lists them)")
    incomplete += bool(problems)
    return 1 if incomplete and args.command == "status" else 0


if __name__ == "__main__":
    raise SystemExit(main())
