"""Clinical knowledge of HSP Desktop: data dictionary, units, eligibility, derived scores, outcome definition.

Modules: :mod:`~hsp_desktop.clinical.dictionary` (VARIABLES, validate_record), :mod:`~hsp_desktop.clinical.units`,
:mod:`~hsp_desktop.clinical.eligibility` (check_eligibility), :mod:`~hsp_desktop.clinical.derived` (BMI, BSA,
Child-Pugh) and :mod:`~hsp_desktop.clinical.outcome` (derive_outcome).
"""
