from __future__ import annotations

import pytest

from hsp_desktop.clinical.eligibility import EXCLUSIONS, check_eligibility, require_eligible
from hsp_desktop.errors import EligibilityError

FLAGS = [f for e in EXCLUSIONS for f in e.flags]


def base() -> dict:
    return {"study_id": "HSP-0009", "age": 50, "consent": 1} | {f: 0 for f in FLAGS}


def test_eligible() -> None:
    assert check_eligibility(base()) == (True, [])
    require_eligible(base())


@pytest.mark.parametrize("age", [18, 75, 18.0, "60"])
def test_age_limits_inclusive(age) -> None:
    assert check_eligibility(base() | {"age": age})[0]


@pytest.mark.parametrize("age", [17, 76, 75.5, 17.9])
def test_age_outside(age) -> None:
    ok, reasons = check_eligibility(base() | {"age": age})
    assert not ok and len(reasons) == 1 and "18-75" in reasons[0]


@pytest.mark.parametrize("flag", FLAGS)
def test_each_exclusion_flag(flag: str) -> None:
    ok, reasons = check_eligibility(base() | {flag: 1})
    assert not ok and len(reasons) == 1 and flag in reasons[0] and reasons[0].startswith("excluded")


def test_consent_and_missing_and_all_reasons() -> None:
    assert check_eligibility(base() | {"consent": 0}) == (False, ["no written informed consent"])
    ok, reasons = check_eligibility({"age": None})
    assert not ok and len(reasons) == 2 + len(EXCLUSIONS)
    rec = base() | {"age": 80, "consent": "no", "prior_splenectomy": 1, "haematological_disease": "yes"}
    ok, reasons = check_eligibility(rec)
    assert len(reasons) == 4
    with pytest.raises(EligibilityError) as info:
        require_eligible(rec)
    assert info.value.reasons == reasons and "HSP-0009" in str(info.value)
    assert len(EXCLUSIONS) == 5 and len(FLAGS) == 7


def test_reasons_in_chinese() -> None:
    ok, reasons = check_eligibility(base() | {"age": 80, "prior_splenectomy": 1}, language="zh")
    assert not ok and len(reasons) == 2
    assert "超出研究范围" in reasons[0] and reasons[1].startswith("排除")
