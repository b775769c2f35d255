"""Sigma rule files → compiled rules and a list of problems, with a compiled rule-set cache.

Every ``.yml``/``.yaml`` file under the given folders is parsed with pySigma on its own, so
one bad file never hides the others. A rule pySigma accepts is compiled (``compiler``);
a rule that cannot run — pySigma refuses it, it uses something Ironwatch cannot evaluate,
a ``%placeholder%`` has no configured values, or its logsource names events Ironwatch never
receives — becomes a ``RuleProblem`` with its path and the reason. Nothing is dropped
silently.

Parsing with pySigma costs about 3 ms a rule, so compiled rules are cached in a JSON file
in a directory the caller owns (the data directory). Entries are keyed by the SHA-256 of
each file's bytes; the header names the cache format, the engine, pySigma and field-map
versions and a hash of the settings that change compilation (placeholder values, routing
options). Anything unexpected in the cache — another version, a setting changed, a file
that is not ours — and the cache is ignored and rewritten: it only ever saves time.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from .compiler import RuleNotRunnable, compile_rule
from .engine import SigmaEngine
from .logsources import DEFAULT_OPTIONS, FIELDMAP_VERSION, RoutingOptions, resolve

#: bump when the compiled form or the compiler's output changes
ENGINE_VERSION = 1
CACHE_FORMAT = "ironwatch-sigma-cache"
CACHE_FILE = "sigma-rules.cache.json"
RULE_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class RuleProblem:
    """A rule (or file) that cannot run, with where and why."""

    path: str
    reason: str
    #: ``invalid`` (pySigma refuses it), ``unsupported`` (Ironwatch cannot evaluate it),
    #: ``placeholder`` (values not configured), ``logsource`` (no such events),
    #: ``correlation`` (correlation rules run in the core, not in this matcher)
    kind: str
    rule_id: str = ""
    title: str = ""


@dataclass
class RuleSet:
    """Compiled rules ready for ``SigmaEngine`` and the problems found loading them."""

    rules: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RuleProblem] = field(default_factory=list)
    files: int = 0
    cached_files: int = 0
    options: RoutingOptions = field(default_factory=RoutingOptions)

    def engine(self) -> SigmaEngine:
        return SigmaEngine(self.rules, self.options)


def rule_files(paths: Iterable[Path | str]) -> list[Path]:
    """Rule files under ``paths`` (files are taken as given), sorted, each once."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(x for x in p.rglob("*") if x.suffix in RULE_SUFFIXES and x.is_file()))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"no such rule file or folder: {p}")
    return list(dict.fromkeys(out))


def _problem_kind(exc: RuleNotRunnable) -> str:
    return "placeholder" if "placeholder" in str(exc) else "unsupported"


def compile_file(data: bytes, path: str, placeholders: Mapping[str, Sequence[str]],
                 options: RoutingOptions) -> tuple[list[dict[str, Any]], list[RuleProblem]]:
    """Compiled rules and problems of one rule file's bytes."""
    try:
        collection = SigmaCollection.from_yaml(data, collect_errors=True)
    except (SigmaError, ValueError, UnicodeDecodeError) as exc:
        return [], [RuleProblem(path, f"not a Sigma rule file: {exc}", "invalid")]
    rules: list[dict[str, Any]] = []
    problems = [RuleProblem(path, str(err), "invalid") for err in collection.errors]
    seen_errors = {p.reason for p in problems}
    for item in collection.rules:
        rid, title = str(getattr(item, "id", "") or ""), str(getattr(item, "title", "") or "")
        if not isinstance(item, SigmaRule):
            problems.append(RuleProblem(path, f"{type(item).__name__} is evaluated by the core's correlation, "
                                        "not by the event matcher", "correlation", rid, title))
            continue
        errors = [str(e) for e in item.errors if str(e) not in seen_errors]
        if errors:
            problems.extend(RuleProblem(path, e, "invalid", rid, title) for e in errors)
            continue
        if item.errors:
            continue
        try:
            compiled = compile_rule(item, path, placeholders)
        except RuleNotRunnable as exc:
            problems.append(RuleProblem(path, str(exc), _problem_kind(exc), rid, title))
            continue
        except SigmaError as exc:
            problems.append(RuleProblem(path, str(exc), "invalid", rid, title))
            continue
        ls = compiled["logsource"]
        if not resolve(ls["product"], ls["category"], ls["service"], options):
            described = ", ".join(f"{k}: {v}" for k, v in ls.items() if v) or "none"
            problems.append(RuleProblem(path, f"logsource ({described}) names events Ironwatch does not "
                                        "receive or map", "logsource", rid, title))
            continue
        rules.append(compiled)
    return rules, problems


def _settings_hash(placeholders: Mapping[str, Sequence[str]], options: RoutingOptions) -> str:
    blob = orjson.dumps({"placeholders": {k: list(v) for k, v in placeholders.items()}, "options": options.key()},
                        option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()


def _header(settings: str) -> dict[str, Any]:
    return {"format": CACHE_FORMAT, "engine": ENGINE_VERSION, "fieldmap": FIELDMAP_VERSION,
            "pysigma": importlib.metadata.version("pysigma"), "settings": settings}


def _read_cache(path: Path, header: Mapping[str, Any]) -> dict[str, Any]:
    try:
        document = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not isinstance(document, dict) or document.get("header") != header:
        return {}
    entries = document.get("files")
    return entries if isinstance(entries, dict) else {}


def _write_cache(path: Path, header: Mapping[str, Any], entries: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".sigma-cache-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps({"header": header, "files": entries}))
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


def _from_entry(entry: Any, path: str) -> tuple[list[dict[str, Any]], list[RuleProblem]] | None:
    """A cache entry with the current path stamped in; ``None`` when it is not well-formed."""
    if not (isinstance(entry, dict) and isinstance(entry.get("rules"), list)
            and isinstance(entry.get("problems"), list)):
        return None
    try:
        rules = [{**r, "path": path} for r in entry["rules"]]
        problems = [RuleProblem(**{**p, "path": path}) for p in entry["problems"]]
    except TypeError:
        return None
    if not all({"id", "detections", "condition", "logsource", "tags"} <= r.keys() for r in rules):
        return None
    return rules, problems


def load_rules(paths: Iterable[Path | str], placeholders: Mapping[str, Sequence[str]] | None = None,
               cache_dir: Path | str | None = None, options: RoutingOptions = DEFAULT_OPTIONS) -> RuleSet:
    """Every rule under ``paths`` compiled (from the cache where the file is unchanged)."""
    placeholders = dict(placeholders or {})
    header = _header(_settings_hash(placeholders, options))
    cache_path = Path(cache_dir) / CACHE_FILE if cache_dir is not None else None
    cached = _read_cache(cache_path, header) if cache_path is not None else {}
    result = RuleSet(options=options)
    entries: dict[str, Any] = {}
    for file in rule_files(paths):
        data = file.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        path = str(file)
        loaded = _from_entry(cached.get(digest), path)
        if loaded is None:
            loaded = compile_file(data, path, placeholders, options)
        else:
            result.cached_files += 1
        rules, problems = loaded
        entries[digest] = {"rules": rules, "problems": [asdict(p) for p in problems]}
        result.rules.extend(rules)
        result.problems.extend(problems)
        result.files += 1
    if cache_path is not None and (result.cached_files != result.files or len(cached) != len(entries)):
        _write_cache(cache_path, header, entries)
    return result


__all__ = ["CACHE_FILE", "ENGINE_VERSION", "RuleProblem", "RuleSet", "compile_file", "load_rules", "rule_files"]
