"""HSP Desktop: predicts refractory hypersplenism 6 months after liver transplantation.

The package is laid out along the data flow::

    importers -> imaging (geometry check, resample) -> radiomics -> deep -> pipeline (feature table)
    -> models (risk) -> registry -> reporting (PDF)

``gui`` is the only package that imports Qt; ``cli`` is the ``hsp`` command line.
"""

__version__ = "0.1.0"

INTENDED_USE = (
    "HSP Desktop estimates, before liver transplantation, the probability that an adult recipient (18-75 years) "
    "develops refractory hypersplenism 6 months after transplantation. It supports, and does not replace, the "
    "judgement of the transplant team. Research use within the registered observational study; not validated "
    "for recipients outside the study's eligibility criteria."
)


def build_id() -> str:
    """The build identifier written by ``packaging/build`` (``"source"`` in a source checkout)."""
    try:
        from hsp_desktop._build import BUILD_ID  # type: ignore[import-not-found]
    except ImportError:
        return "source"
    return str(BUILD_ID)
