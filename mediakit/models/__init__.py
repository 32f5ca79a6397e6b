"""The models shipped with mediakit (nothing is downloaded at run time): YuNet, the face detector.

Source, checksum and licences: README.md here (LICENSE-YuNet-MIT.txt, and the training repository's
LICENSE-libfacedetection.train-Apache-2.0.txt).
"""

from __future__ import annotations

from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parent
YUNET = MODEL_DIR / "face_detection_yunet_2023mar.onnx"
YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
