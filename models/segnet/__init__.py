"""The demonstration spleen/liver segmentation network: a small 3-D U-Net trained with torch, shipped as ONNX.

``models.segnet.train.train_and_export`` trains it on a synthetic cohort folder (``hsp synth``) and writes an
ONNX segmentation model folder for :mod:`hsp_desktop.segmentation.onnx_model`.  Torch is imported only here, for
training; the application runs the exported ONNX file.
"""
