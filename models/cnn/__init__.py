"""The spleen CNN: preprocessing and manifest (NumPy only), model/training/export (torch, ``train`` extra).

Run-time code imports only :mod:`models.cnn.preprocess`, :mod:`models.cnn.manifest` and :mod:`models.deep`;
:mod:`models.cnn.model`, :mod:`models.cnn.train` and :mod:`models.cnn.export` import torch and are used for
training and export alone.
"""
