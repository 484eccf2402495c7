"""The scoring pipeline: the only package that knows the order of the data flow.

``run_case`` is a generator (progress per stage, returns a :class:`CaseResult`); the CLI (``hsp score``,
``hsp demo``) and the GUI run the same generator.
"""

from hsp_desktop.pipeline.run import STAGES, CaseResult, Parts, run_case, run_to_end

__all__ = ["STAGES", "CaseResult", "Parts", "run_case", "run_to_end"]
