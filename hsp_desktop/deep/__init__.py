"""The CNN's application glue: cohort reading, outcomes, ``hsp train-cnn`` and ``hsp deep-features``.

- :mod:`hsp_desktop.deep.cohort` - CT + label map -> the shared preprocessing; cohort folders; outcomes;
- :mod:`hsp_desktop.deep.features` - deep score and deep features through ONNX Runtime (no torch);
- :mod:`hsp_desktop.deep.training` - training and export (imports torch inside its function only);
- :mod:`hsp_desktop.deep.cli` - the two commands.
"""
