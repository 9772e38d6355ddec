import subprocess
import sys

from .conftest import REPO

CODE = """
import sys
for name in ("faster_whisper", "ctranslate2", "av", "onnxruntime", "cn2an"):
    sys.modules[name] = None  # make the import fail as if the package were not installed
import qa_engine.audio as audio
from qa_engine.analyzers.base import registered
assert ".wav" in audio.AUDIO_EXTENSIONS and "acoustics" in registered()
try:
    audio.load_call(audio.__file__)  # not audio: decoding needs PyAV, which is "missing"
except ImportError as exc:
    print("ImportError", exc)
"""


def test_package_imports_without_audio_dependencies():
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ImportError")
