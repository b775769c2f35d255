"""Sigma detection: rules loaded with pySigma, compiled into Ironwatch's own indexed matcher.

Public surface::

    from ironwatch.detect import load_rules, SigmaEngine, Detection, RoutingOptions

    ruleset = load_rules(["rules/"], placeholders={"Admins": ["adm*"]}, cache_dir=data_dir)
    ruleset.problems          # RuleProblem(path, reason, kind, rule_id, title) for each rule that cannot run
    engine = ruleset.engine() # SigmaEngine
    engine.match_batch(events)  # -> list[Detection]; events are flat ECS dicts from ironwatch.parsers
    engine.rule_stats()       # per-rule evaluations, matches, time

Modules: ``logsources`` (routing and field-map table), ``compiler`` (pySigma → compiled
form), ``matcher`` (compiled form → closures, the semantics), ``index`` (candidate rules per
event), ``engine`` (batches), ``loader`` (files, problems, cache), ``detection`` (outputs).
"""

from .compiler import RuleNotRunnable
from .detection import Attack, Detection, RuleInfo, RuleStats, attack_from_tags
from .engine import SigmaEngine
from .loader import RuleProblem, RuleSet, load_rules
from .logsources import FIELDMAP_VERSION, RoutingOptions

__all__ = ["FIELDMAP_VERSION", "Attack", "Detection", "RoutingOptions", "RuleInfo", "RuleNotRunnable",
           "RuleProblem", "RuleSet", "RuleStats", "SigmaEngine", "attack_from_tags", "load_rules"]
